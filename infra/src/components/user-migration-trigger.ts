/**
 * The user-migration trigger (infra/lambdas/user-migration.ts): during a tier
 * move, a deferred user (a password of its own, not on the target pool yet)
 * who signs in or resets the password directly at the target's public client
 * is created there once Gatehouse has proven the password at the source
 * (`POST /internal/cognito-user-migration`; README "Moving a tenant between tiers").
 *
 * - One function, wired by TierUserPools to every shared pool and by the API
 *   to every silo pool it creates (`userMigration` in `GATEHOUSE_COGNITO_TRIGGERS`),
 *   as the pools' UserMigration trigger: any pool may become a move's target.
 * - Its requests are signed with the deployment's events secret
 *   (CognitoEventsTrigger's, which the API already has as `COGNITO_EVENTS_SECRET`),
 *   given to the Lambda as an encrypted environment variable.
 * - Its role may write its logs and nothing else: it calls no AWS API.
 * - It ships post-events.ts beside its handler: the signing is shared, not copied.
 */
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { POST_EVENTS_HANDLER } from './cognito-events-trigger.js';
import { TRIGGER_RUNTIME, triggerArchive } from './cognito-triggers.js';

export const USER_MIGRATION_HANDLER = 'user-migration';
/** Cognito waits at most 5 s; the API signs in at the source pool to check the password (the handler's own timeout is 4 s). */
export const USER_MIGRATION_TIMEOUT_SECONDS = 5;

export interface UserMigrationTriggerArgs {
  readonly deployment: string;
  readonly region: pulumi.Input<string>;
  readonly accountId: pulumi.Input<string>;
  /** The API's public host: requests go to `https://<apiHost>/internal/cognito-user-migration`. */
  readonly apiHost: string;
  /** The deployment's events secret (`whsec_…`, CognitoEventsTrigger.secretValue). */
  readonly eventsSecret: pulumi.Input<string>;
  readonly logRetentionDays?: number;
  readonly tags?: Readonly<Record<string, string>>;
}

export function userMigrationRouteUrl(apiHost: string): string {
  if (!/^[a-z0-9.-]+$/i.test(apiHost)) throw new Error(`apiHost "${apiHost}" is not a host name`);
  return `https://${apiHost}/internal/cognito-user-migration`;
}

export class UserMigrationTrigger extends pulumi.ComponentResource {
  readonly function: aws.lambda.Function;
  readonly functionArn: pulumi.Output<string>;

  constructor(name: string, args: UserMigrationTriggerArgs, opts?: pulumi.ComponentResourceOptions) {
    super('gatehouse:identity:UserMigrationTrigger', name, {}, opts);
    const tags = { ...args.tags };
    const url = userMigrationRouteUrl(args.apiHost);

    const role = new aws.iam.Role(
      `${name}-role`,
      {
        assumeRolePolicy: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
        }),
        tags,
      },
      { parent: this },
    );
    new aws.iam.RolePolicyAttachment(
      `${name}-logs`,
      { role: role.name, policyArn: 'arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole' },
      { parent: this },
    );

    const functionName = `${args.deployment}-${USER_MIGRATION_HANDLER}`;
    const logGroup = new aws.cloudwatch.LogGroup(
      `${name}-logs`,
      { name: `/aws/lambda/${functionName}`, retentionInDays: args.logRetentionDays ?? 30, tags },
      { parent: this },
    );
    this.function = new aws.lambda.Function(
      `${name}-function`,
      {
        name: functionName,
        role: role.arn,
        runtime: TRIGGER_RUNTIME,
        architectures: ['arm64'],
        handler: 'index.handler',
        code: triggerArchive(USER_MIGRATION_HANDLER, [POST_EVENTS_HANDLER]),
        timeout: USER_MIGRATION_TIMEOUT_SECONDS,
        memorySize: 128,
        environment: { variables: { GATEHOUSE_USER_MIGRATION_URL: url, GATEHOUSE_EVENTS_SECRET: pulumi.secret(args.eventsSecret) } },
        tags,
      },
      { parent: this, dependsOn: [logGroup] },
    );
    // Only Cognito, only for user pools of this account and region (silo pools included).
    new aws.lambda.Permission(
      `${name}-cognito`,
      {
        action: 'lambda:InvokeFunction',
        function: this.function.name,
        principal: 'cognito-idp.amazonaws.com',
        sourceArn: pulumi.interpolate`arn:aws:cognito-idp:${args.region}:${args.accountId}:userpool/*`,
        sourceAccount: args.accountId,
      },
      { parent: this },
    );
    this.functionArn = this.function.arn;
    this.registerOutputs({ functionArn: this.functionArn });
  }
}
