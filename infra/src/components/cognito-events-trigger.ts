/**
 * The post-confirmation / post-authentication trigger (infra/lambdas/post-events.ts):
 * reports confirmations and sign-ins that happen at Cognito directly to
 * Gatehouse's `POST /internal/cognito-events`, so events are complete whichever
 * way users sign in (README "Events and hooks").
 *
 * - One function, wired by TierUserPools to every shared pool and by the API
 *   to every silo pool (as `postEvents` in `GATEHOUSE_COGNITO_TRIGGERS`), as
 *   both PostConfirmation and PostAuthentication.
 * - Its reports are signed per Standard Webhooks with the events secret: 32
 *   random bytes (random.RandomBytes, kept in state as a secret so that the
 *   Lambda and the API always hold the same value), given to the Lambda as an
 *   environment variable and to the API through a Secrets Manager secret
 *   (`{"secret": "whsec_…"}`) that External Secrets copies into the API's
 *   Secret as `COGNITO_EVENTS_SECRET`.
 * - Its role may write its logs and nothing else: it calls no AWS API.
 */
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import * as random from '@pulumi/random';
import { TRIGGER_RUNTIME, TRIGGER_TIMEOUT_SECONDS, triggerModuleSource } from './cognito-triggers.js';

export const POST_EVENTS_HANDLER = 'post-events';
/** The JSON property of the Secrets Manager secret that holds the `whsec_` value. */
export const EVENTS_SECRET_PROPERTY = 'secret';

export interface CognitoEventsTriggerArgs {
  readonly deployment: string;
  readonly region: pulumi.Input<string>;
  readonly accountId: pulumi.Input<string>;
  /** The API's public host: reports go to `https://<apiHost>/internal/cognito-events`. */
  readonly apiHost: string;
  /** Secrets Manager's customer-managed key (keys.ts). */
  readonly kmsKeyArn: pulumi.Input<string>;
  readonly deletionProtection: boolean;
  readonly logRetentionDays?: number;
  readonly tags?: Readonly<Record<string, string>>;
}

export function eventsRouteUrl(apiHost: string): string {
  if (!/^[a-z0-9.-]+$/i.test(apiHost)) throw new Error(`apiHost "${apiHost}" is not a host name`);
  return `https://${apiHost}/internal/cognito-events`;
}

export class CognitoEventsTrigger extends pulumi.ComponentResource {
  readonly function: aws.lambda.Function;
  readonly functionArn: pulumi.Output<string>;
  /** The secret the API reads `COGNITO_EVENTS_SECRET` from (property `secret`). */
  readonly secretArn: pulumi.Output<string>;
  /** The `whsec_` value itself (a Pulumi secret), for other Lambdas that call Gatehouse's internal routes. */
  readonly secretValue: pulumi.Output<string>;

  constructor(name: string, args: CognitoEventsTriggerArgs, opts?: pulumi.ComponentResourceOptions) {
    super('gatehouse:identity:CognitoEventsTrigger', name, {}, opts);
    const tags = { ...args.tags };
    const url = eventsRouteUrl(args.apiHost);

    const key = new random.RandomBytes(`${name}-key`, { length: 32 }, { parent: this });
    const value = pulumi.secret(pulumi.interpolate`whsec_${key.base64}`);
    const secret = new aws.secretsmanager.Secret(
      `${name}-secret`,
      {
        name: `${args.deployment}/cognito-events-secret`,
        description: 'Gatehouse: signs the Cognito post-events Lambda reports (COGNITO_EVENTS_SECRET)',
        kmsKeyId: args.kmsKeyArn,
        recoveryWindowInDays: args.deletionProtection ? 30 : 7,
        tags,
      },
      { parent: this },
    );
    new aws.secretsmanager.SecretVersion(
      `${name}-secret`,
      { secretId: secret.id, secretString: pulumi.secret(value.apply((whsec) => JSON.stringify({ [EVENTS_SECRET_PROPERTY]: whsec }))) },
      { parent: this },
    );

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

    const functionName = `${args.deployment}-${POST_EVENTS_HANDLER}`;
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
        code: new pulumi.asset.AssetArchive({ 'index.mjs': new pulumi.asset.StringAsset(triggerModuleSource(POST_EVENTS_HANDLER)) }),
        timeout: TRIGGER_TIMEOUT_SECONDS,
        memorySize: 128,
        environment: { variables: { GATEHOUSE_EVENTS_URL: url, GATEHOUSE_EVENTS_SECRET: value } },
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
    this.secretArn = secret.arn;
    this.secretValue = value;
    this.registerOutputs({ functionArn: this.functionArn, secretArn: this.secretArn });
  }
}
