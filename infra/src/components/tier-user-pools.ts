/**
 * The deployment's shared Cognito user pools: one per pool-model or
 * bridge-model tier, plus the operators' pool, each with its groups, a hosted
 * UI domain and (pool model, operators) the shared app client. Silo tenants'
 * pools are not here: the API creates them at provisioning from the same
 * blueprints (`siloPoolBlueprint`).
 *
 * Everything a pool looks like comes from `@gatehouse/tiers` blueprints, the
 * same ones the API uses against the local emulator, so AWS and local agree.
 */
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import {
  type EmailSending,
  type AppClientBlueprint,
  PRE_TOKEN_GENERATION_LAMBDA_VERSION,
  type TierConfiguration,
  type UserPoolBlueprint,
  sharedPoolBlueprints,
} from '@gatehouse/tiers';
import { type SharedPoolEnvEntry, cognitoIssuer, sharedPoolsEnvValue } from '../api-environment.js';

export interface HostedUiArgs {
  readonly callbackUrls: readonly string[];
  readonly logoutUrls: readonly string[];
}

/** The deployment's Cognito triggers (CognitoTriggers), wired to every pool. */
export interface TriggerArnsInput {
  readonly preSignUp: pulumi.Input<string>;
  readonly preTokenGeneration: pulumi.Input<string>;
  /** Post confirmation + post authentication (CognitoEventsTrigger): sign-ins at Cognito reach Gatehouse's events. */
  readonly postEvents?: pulumi.Input<string>;
  /** User migration (UserMigrationTrigger): a tier move's deferred users signing in at a target pool directly. */
  readonly userMigration?: pulumi.Input<string>;
  /** Define / create / verify auth challenge (CognitoTokenExchangeTriggers): the tier-move token exchange at refresh; all three or none. */
  readonly defineAuthChallenge?: pulumi.Input<string>;
  readonly createAuthChallenge?: pulumi.Input<string>;
  readonly verifyAuthChallengeResponse?: pulumi.Input<string>;
}

export interface TierUserPoolsArgs {
  /** The validated tier configuration (`gatehouse:tiers` or `config/tiers.json`). */
  readonly tiers: TierConfiguration;
  /** Deployment name, the pools' name prefix and `gatehouse:deployment` tag, e.g. `gatehouse-prod`. */
  readonly deployment: string;
  /** Region of the pools (the stack's `aws:region`). */
  readonly region: pulumi.Input<string>;
  /** Hosted UI domain prefix; each pool gets `<prefix>-<key>.auth.<region>.amazoncognito.com`. */
  readonly domainPrefix: string;
  /** OAuth settings of the shared clients for the hosted UI; without it the clients use the API's flows only. */
  readonly hostedUi?: HostedUiArgs;
  /** SES sending for the shared pools (ses.ts); absent: Cognito's default sender. */
  readonly email?: EmailSending;
  /** The pre sign-up and pre-token-generation functions every pool calls. */
  readonly triggers: TriggerArnsInput;
  readonly tags?: Readonly<Record<string, string>>;
}

export class TierUserPoolsArgsError extends Error {
  override readonly name = 'TierUserPoolsArgsError';
}

/** Cognito's limit for a domain prefix. */
const MAX_DOMAIN_LENGTH = 63;

export function validateTierUserPoolsArgs(args: Pick<TierUserPoolsArgs, 'deployment' | 'domainPrefix' | 'tiers'>): void {
  const problems: string[] = [];
  if (!/^[a-z][a-z0-9-]{2,30}$/.test(args.deployment)) {
    problems.push(`deployment "${args.deployment}" must be 3-31 lower-case letters, digits or dashes`);
  }
  for (const blueprint of sharedPoolBlueprints(args.tiers, { deployment: args.deployment, deletionProtection: true })) {
    const domain = hostedUiDomain(args.domainPrefix, blueprint.key);
    if (domain.length > MAX_DOMAIN_LENGTH) {
      problems.push(`hosted UI domain "${domain}" is longer than ${MAX_DOMAIN_LENGTH} characters; shorten cognitoDomainPrefix`);
    }
    if (/aws|amazon|cognito/.test(domain)) {
      problems.push(`hosted UI domain "${domain}" may not contain "aws", "amazon" or "cognito"`);
    }
  }
  if (problems.length > 0) {
    throw new TierUserPoolsArgsError(`invalid TierUserPools arguments:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

export function hostedUiDomain(prefix: string, key: string): string {
  return `${prefix}-${key}`;
}

/** The pool's LambdaConfig: the same triggers on every pool (the API gives silo pools the same ARNs). */
export function lambdaConfigArgs(triggers: TriggerArnsInput): aws.types.input.cognito.UserPoolLambdaConfig {
  return {
    preSignUp: triggers.preSignUp,
    preTokenGenerationConfig: { lambdaArn: triggers.preTokenGeneration, lambdaVersion: PRE_TOKEN_GENERATION_LAMBDA_VERSION },
    ...(triggers.postEvents ? { postConfirmation: triggers.postEvents, postAuthentication: triggers.postEvents } : {}),
    ...(triggers.userMigration ? { userMigration: triggers.userMigration } : {}),
    // Only as a complete set, like the API's toLambdaConfig: a pool with half the custom flow would fail every exchange.
    ...(triggers.defineAuthChallenge && triggers.createAuthChallenge && triggers.verifyAuthChallengeResponse
      ? {
          defineAuthChallenge: triggers.defineAuthChallenge,
          createAuthChallenge: triggers.createAuthChallenge,
          verifyAuthChallengeResponse: triggers.verifyAuthChallengeResponse,
        }
      : {}),
  };
}

/**
 * A blueprint as `aws.cognito.UserPool` arguments. Deletion protection is
 * always ACTIVE for shared pools: deleting one deletes every user of every
 * tenant in the tier, and a recreated pool has a new id and issuer.
 */
export function userPoolArgs(blueprint: UserPoolBlueprint, triggers: TriggerArnsInput): aws.cognito.UserPoolArgs {
  return {
    name: blueprint.poolName,
    deletionProtection: 'ACTIVE',
    // No `usernameAttributes`/`aliasAttributes`: usernames are opaque ids that
    // Gatehouse maps from (tenant, e-mail), so one e-mail can exist in two
    // tenants of the same pool. E-mail is an ordinary, verified attribute.
    usernameConfiguration: { caseSensitive: false },
    ...(blueprint.signInAliases.length > 0 ? { aliasAttributes: [...blueprint.signInAliases] } : {}),
    autoVerifiedAttributes: [...blueprint.autoVerifiedAttributes],
    // Keep the old address until the new one is verified.
    userAttributeUpdateSettings: { attributesRequireVerificationBeforeUpdates: [...blueprint.attributesRequireVerificationBeforeUpdate] },
    accountRecoverySetting: { recoveryMechanisms: [{ name: 'verified_email', priority: 1 }] },
    // Per tier (operators: never). Sign-ups that bypass Gatehouse are refused by the pre sign-up trigger.
    adminCreateUserConfig: { allowAdminCreateUserOnly: !blueprint.selfSignUp },
    verificationMessageTemplate: { defaultEmailOption: 'CONFIRM_WITH_CODE' },
    passwordPolicy: { ...blueprint.passwordPolicy },
    mfaConfiguration: blueprint.mfa,
    softwareTokenMfaConfiguration: { enabled: blueprint.mfa !== 'OFF' },
    // Threat protection (advanced security) needs the Plus feature plan.
    userPoolTier: blueprint.threatProtection === 'OFF' ? 'ESSENTIALS' : 'PLUS',
    userPoolAddOns: { advancedSecurityMode: blueprint.threatProtection },
    schemas: blueprint.customAttributes.map((attribute) => ({
      name: attribute.name,
      attributeDataType: 'String',
      // Immutable: set once at creation (sign-up through the Gatehouse client, or AdminCreateUser), never changed.
      mutable: false,
      developerOnlyAttribute: false,
      required: false,
      stringAttributeConstraints: { minLength: '1', maxLength: String(attribute.maxLength) },
    })),
    emailConfiguration:
      blueprint.email.sendingAccount === 'COGNITO_DEFAULT'
        ? { emailSendingAccount: 'COGNITO_DEFAULT' }
        : {
            emailSendingAccount: 'DEVELOPER',
            sourceArn: blueprint.email.sourceArn,
            fromEmailAddress: blueprint.email.from,
            ...(blueprint.email.replyToAddress ? { replyToEmailAddress: blueprint.email.replyToAddress } : {}),
            ...(blueprint.email.configurationSet ? { configurationSet: blueprint.email.configurationSet } : {}),
          },
    lambdaConfig: lambdaConfigArgs(triggers),
    tags: { ...blueprint.tags },
  };
}

/** One of a pool's two app clients (public or Gatehouse), every setting from the blueprint. */
export function userPoolClientArgs(
  blueprint: UserPoolBlueprint,
  client: AppClientBlueprint,
  userPoolId: pulumi.Input<string>,
  hostedUi: HostedUiArgs | undefined,
): aws.cognito.UserPoolClientArgs {
  const oauth = client.oauthCapable && hostedUi !== undefined;
  return {
    name: client.name,
    userPoolId,
    generateSecret: client.generateSecret,
    explicitAuthFlows: [...client.authFlows],
    readAttributes: [...client.readAttributes],
    // Only the Gatehouse client may write `custom:tenantId` / `custom:tenantTier`.
    writeAttributes: [...client.writeAttributes],
    accessTokenValidity: blueprint.tokenValidity.accessTokenMinutes,
    idTokenValidity: blueprint.tokenValidity.idTokenMinutes,
    refreshTokenValidity: blueprint.tokenValidity.refreshTokenDays,
    tokenValidityUnits: { accessToken: 'minutes', idToken: 'minutes', refreshToken: 'days' },
    preventUserExistenceErrors: client.preventUserExistenceErrors ? 'ENABLED' : 'LEGACY',
    enableTokenRevocation: client.enableTokenRevocation,
    enablePropagateAdditionalUserContextData: client.propagateUserContext,
    authSessionValidity: client.authSessionValidityMinutes,
    supportedIdentityProviders: ['COGNITO'],
    ...(oauth
      ? {
          allowedOauthFlowsUserPoolClient: true,
          allowedOauthFlows: ['code'],
          allowedOauthScopes: ['openid', 'email', 'profile'],
          callbackUrls: [...hostedUi.callbackUrls],
          logoutUrls: [...hostedUi.logoutUrls],
        }
      : {}),
  };
}

export interface SharedUserPool {
  readonly key: string;
  readonly model: 'pool' | 'bridge' | 'operators';
  readonly userPool: aws.cognito.UserPool;
  /** The public client (front ends, SRP); bridge tiers have none (one per tenant instead). */
  readonly client: aws.cognito.UserPoolClient | undefined;
  /** The confidential client the API's own flows use; bridge tiers have none (one per tenant instead). */
  readonly gatehouseClient: aws.cognito.UserPoolClient | undefined;
  readonly groups: readonly aws.cognito.UserGroup[];
  readonly domain: aws.cognito.UserPoolDomain;
}

export class TierUserPools extends pulumi.ComponentResource {
  /** Pools by key (tier name or `operators`), for tests and wiring. */
  readonly pools: Readonly<Record<string, SharedUserPool>>;
  readonly poolIds: pulumi.Output<Record<string, string>>;
  readonly poolArns: pulumi.Output<string[]>;
  readonly issuers: pulumi.Output<Record<string, string>>;
  /** Shared public client ids; bridge tiers have none. */
  readonly clientIds: pulumi.Output<Record<string, string>>;
  /** Shared Gatehouse (confidential) client ids; bridge tiers have none. */
  readonly gatehouseClientIds: pulumi.Output<Record<string, string>>;
  /** The value of the API's `GATEHOUSE_SHARED_POOLS`. */
  readonly sharedPoolsJson: pulumi.Output<string>;

  constructor(name: string, args: TierUserPoolsArgs, opts?: pulumi.ComponentResourceOptions) {
    super('gatehouse:identity:TierUserPools', name, {}, opts);
    validateTierUserPoolsArgs(args);

    const blueprints = sharedPoolBlueprints(args.tiers, {
      deployment: args.deployment,
      deletionProtection: true,
      ...(args.email ? { email: args.email } : {}),
    });
    const models = new Map<string, 'pool' | 'bridge'>(
      args.tiers.tiers.flatMap((tier) => (tier.model === 'silo' ? [] : [[tier.name, tier.model] as const])),
    );
    const pools: Record<string, SharedUserPool> = {};
    for (const blueprint of blueprints) {
      const resourceName = `${name}-${blueprint.key}`;
      const poolArgs = userPoolArgs(blueprint, args.triggers);
      const userPool = new aws.cognito.UserPool(
        resourceName,
        { ...poolArgs, tags: { ...args.tags, ...blueprint.tags } },
        // Schema attributes cannot change after creation; a diff there must fail loudly, not replace the pool.
        { parent: this, protect: true },
      );
      const groups = blueprint.groups.map(
        (group, index) =>
          new aws.cognito.UserGroup(
            `${resourceName}-${group}`,
            { name: group, userPoolId: userPool.id, precedence: index, description: `Gatehouse role ${group}` },
            { parent: this },
          ),
      );
      const client = blueprint.sharedClients
        ? new aws.cognito.UserPoolClient(
            `${resourceName}-client`,
            userPoolClientArgs(blueprint, blueprint.clients.public, userPool.id, args.hostedUi),
            { parent: this },
          )
        : undefined;
      const gatehouseClient = blueprint.sharedClients
        ? new aws.cognito.UserPoolClient(
            `${resourceName}-gatehouse-client`,
            userPoolClientArgs(blueprint, blueprint.clients.gatehouse, userPool.id, args.hostedUi),
            // The secret stays in Cognito: the API reads it with DescribeUserPoolClient, never from state outputs.
            { parent: this, additionalSecretOutputs: ['clientSecret'] },
          )
        : undefined;
      const domain = new aws.cognito.UserPoolDomain(
        `${resourceName}-domain`,
        { domain: hostedUiDomain(args.domainPrefix, blueprint.key), userPoolId: userPool.id },
        { parent: this },
      );
      pools[blueprint.key] = {
        key: blueprint.key,
        model: blueprint.kind === 'operators' ? 'operators' : (models.get(blueprint.key) ?? 'pool'),
        userPool,
        client,
        gatehouseClient,
        groups,
        domain,
      };
    }
    this.pools = pools;

    const entries = Object.values(pools);
    const region = pulumi.output(args.region);
    this.poolIds = pulumi.all(Object.fromEntries(entries.map((pool) => [pool.key, pool.userPool.id])));
    this.poolArns = pulumi.all(entries.map((pool) => pool.userPool.arn));
    this.issuers = pulumi
      .all([region, this.poolIds])
      .apply(([r, ids]) => Object.fromEntries(Object.entries(ids).map(([key, id]) => [key, cognitoIssuer(r, id)])));
    this.clientIds = pulumi.all(
      Object.fromEntries(entries.flatMap((pool) => (pool.client ? [[pool.key, pool.client.id] as const] : []))),
    );
    this.gatehouseClientIds = pulumi.all(
      Object.fromEntries(entries.flatMap((pool) => (pool.gatehouseClient ? [[pool.key, pool.gatehouseClient.id] as const] : []))),
    );
    this.sharedPoolsJson = pulumi.all([region, this.poolIds, this.clientIds, this.gatehouseClientIds]).apply(([r, ids, clients, gatehouse]) =>
      sharedPoolsEnvValue(
        Object.fromEntries(
          Object.entries(ids).map(([key, userPoolId]): [string, SharedPoolEnvEntry] => [
            key,
            {
              userPoolId,
              region: r,
              ...(clients[key] === undefined ? {} : { clientId: clients[key] }),
              ...(gatehouse[key] === undefined ? {} : { gatehouseClientId: gatehouse[key] }),
            },
          ]),
        ),
      ),
    );

    this.registerOutputs({
      poolIds: this.poolIds,
      poolArns: this.poolArns,
      issuers: this.issuers,
      clientIds: this.clientIds,
      gatehouseClientIds: this.gatehouseClientIds,
      sharedPoolsJson: this.sharedPoolsJson,
    });
  }
}
