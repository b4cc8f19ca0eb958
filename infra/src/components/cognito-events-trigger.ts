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
import { triggerArchive } from './cognito-triggers.js';
import { sharedSecret, triggerFunction, triggerRole } from './trigger-function.js';

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
    const secret = sharedSecret(this, name, {
      secretName: `${args.deployment}/cognito-events-secret`,
      description: 'Gatehouse: signs the Cognito post-events Lambda reports (COGNITO_EVENTS_SECRET)',
      property: EVENTS_SECRET_PROPERTY,
      value,
      kmsKeyArn: args.kmsKeyArn,
      deletionProtection: args.deletionProtection,
      tags,
    });
    this.function = triggerFunction(this, {
      resourceNames: { logGroup: `${name}-logs`, function: `${name}-function`, permission: `${name}-cognito` },
      functionName: `${args.deployment}-${POST_EVENTS_HANDLER}`,
      role: triggerRole(this, name, tags),
      code: triggerArchive(POST_EVENTS_HANDLER),
      environment: { GATEHOUSE_EVENTS_URL: url, GATEHOUSE_EVENTS_SECRET: value },
      region: args.region,
      accountId: args.accountId,
      ...(args.logRetentionDays === undefined ? {} : { logRetentionDays: args.logRetentionDays }),
      tags,
    });
    this.functionArn = this.function.arn;
    this.secretArn = secret.arn;
    this.secretValue = value;
    this.registerOutputs({ functionArn: this.functionArn, secretArn: this.secretArn });
  }
}
