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
import { triggerArchive } from './cognito-triggers.js';
import { triggerFunction, triggerRole } from './trigger-function.js';

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

    this.function = triggerFunction(this, {
      resourceNames: { logGroup: `${name}-logs`, function: `${name}-function`, permission: `${name}-cognito` },
      functionName: `${args.deployment}-${USER_MIGRATION_HANDLER}`,
      role: triggerRole(this, name, tags),
      code: triggerArchive(USER_MIGRATION_HANDLER, [POST_EVENTS_HANDLER]),
      environment: { GATEHOUSE_USER_MIGRATION_URL: url, GATEHOUSE_EVENTS_SECRET: pulumi.secret(args.eventsSecret) },
      timeoutSeconds: USER_MIGRATION_TIMEOUT_SECONDS,
      region: args.region,
      accountId: args.accountId,
      ...(args.logRetentionDays === undefined ? {} : { logRetentionDays: args.logRetentionDays }),
      tags,
    });
    this.functionArn = this.function.arn;
    this.registerOutputs({ functionArn: this.functionArn });
  }
}
