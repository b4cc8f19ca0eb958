/**
 * The tier-move token exchange's custom-auth triggers (infra/lambdas:
 * define-auth-challenge, create-auth-challenge, verify-auth-challenge-response):
 * after a tier move's cut-over, `POST /v1/auth/refresh` with a source refresh
 * token gets the user target tokens through Cognito's custom flow on the
 * target's Gatehouse client, answered with an HMAC only Gatehouse can make
 * (README "Moving a tenant between tiers").
 *
 * - Wired by TierUserPools to every shared pool and by the API to the silo
 *   pools it creates (`defineAuthChallenge`, `createAuthChallenge`,
 *   `verifyAuthChallengeResponse` in `GATEHOUSE_COGNITO_TRIGGERS`).
 * - The exchange key: 32 random bytes (random.RandomBytes, kept in state as a
 *   secret so the verify Lambda and the API always hold the same value),
 *   given to the verify Lambda as an environment variable and to the API
 *   through a KMS-encrypted Secrets Manager secret (`{"key": "<base64>"}`)
 *   that External Secrets copies into the API's Secret as
 *   `COGNITO_TOKEN_EXCHANGE_KEY`. Define and create never see it.
 * - The roles may write their logs and nothing else: the functions call no AWS API.
 */
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import * as random from '@pulumi/random';
import { triggerArchive } from './cognito-triggers.js';
import { sharedSecret, triggerFunction, triggerRole } from './trigger-function.js';

export const TOKEN_EXCHANGE_HANDLERS = {
  defineAuthChallenge: 'define-auth-challenge',
  createAuthChallenge: 'create-auth-challenge',
  verifyAuthChallengeResponse: 'verify-auth-challenge-response',
} as const;
export type TokenExchangeTriggerKind = keyof typeof TOKEN_EXCHANGE_HANDLERS;

/** The JSON property of the Secrets Manager secret that holds the base64 key. */
export const TOKEN_EXCHANGE_KEY_PROPERTY = 'key';

export interface CognitoTokenExchangeTriggersArgs {
  readonly deployment: string;
  readonly region: pulumi.Input<string>;
  readonly accountId: pulumi.Input<string>;
  /** Secrets Manager's customer-managed key (keys.ts). */
  readonly kmsKeyArn: pulumi.Input<string>;
  readonly deletionProtection: boolean;
  readonly logRetentionDays?: number;
  readonly tags?: Readonly<Record<string, string>>;
}

export class CognitoTokenExchangeTriggers extends pulumi.ComponentResource {
  readonly functions: Readonly<Record<TokenExchangeTriggerKind, aws.lambda.Function>>;
  readonly defineAuthChallengeArn: pulumi.Output<string>;
  readonly createAuthChallengeArn: pulumi.Output<string>;
  readonly verifyAuthChallengeResponseArn: pulumi.Output<string>;
  /** The secret the API reads `COGNITO_TOKEN_EXCHANGE_KEY` from (property `key`). */
  readonly secretArn: pulumi.Output<string>;

  constructor(name: string, args: CognitoTokenExchangeTriggersArgs, opts?: pulumi.ComponentResourceOptions) {
    super('gatehouse:identity:CognitoTokenExchangeTriggers', name, {}, opts);
    const tags = { ...args.tags };

    const key = new random.RandomBytes(`${name}-key`, { length: 32 }, { parent: this });
    const value = pulumi.secret(key.base64);
    const secret = sharedSecret(this, name, {
      secretName: `${args.deployment}/cognito-token-exchange-key`,
      description: 'Gatehouse: the tier-move token exchange answers (COGNITO_TOKEN_EXCHANGE_KEY)',
      property: TOKEN_EXCHANGE_KEY_PROPERTY,
      value,
      kmsKeyArn: args.kmsKeyArn,
      deletionProtection: args.deletionProtection,
      tags,
    });
    const role = triggerRole(this, name, tags);
    const functions = {} as Record<TokenExchangeTriggerKind, aws.lambda.Function>;
    for (const [kind, file] of Object.entries(TOKEN_EXCHANGE_HANDLERS) as [TokenExchangeTriggerKind, string][]) {
      functions[kind] = triggerFunction(this, {
        resourceNames: { logGroup: `${name}-${file}-logs`, function: `${name}-${file}`, permission: `${name}-${file}-cognito` },
        functionName: `${args.deployment}-${file}`,
        role,
        code: triggerArchive(file),
        // Only the verifier holds the key.
        ...(kind === 'verifyAuthChallengeResponse' ? { environment: { GATEHOUSE_TOKEN_EXCHANGE_KEY: value } } : {}),
        region: args.region,
        accountId: args.accountId,
        ...(args.logRetentionDays === undefined ? {} : { logRetentionDays: args.logRetentionDays }),
        tags,
      });
    }
    this.functions = functions;
    this.defineAuthChallengeArn = functions.defineAuthChallenge.arn;
    this.createAuthChallengeArn = functions.createAuthChallenge.arn;
    this.verifyAuthChallengeResponseArn = functions.verifyAuthChallengeResponse.arn;
    this.secretArn = secret.arn;
    this.registerOutputs({
      defineAuthChallengeArn: this.defineAuthChallengeArn,
      createAuthChallengeArn: this.createAuthChallengeArn,
      verifyAuthChallengeResponseArn: this.verifyAuthChallengeResponseArn,
      secretArn: this.secretArn,
    });
  }
}
