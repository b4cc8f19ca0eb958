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
  CLIENT_AUTH_FLOWS,
  CLIENT_READABLE_ATTRIBUTES,
  CLIENT_WRITABLE_ATTRIBUTES,
  type EmailSending,
  type TierConfiguration,
  type UserPoolBlueprint,
  sharedPoolBlueprints,
} from '@gatehouse/tiers';
import { type SharedPoolEnvEntry, cognitoIssuer, sharedPoolsEnvValue } from '../api-environment.js';

export interface HostedUiArgs {
  readonly callbackUrls: readonly string[];
  readonly logoutUrls: readonly string[];
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

/**
 * A blueprint as `aws.cognito.UserPool` arguments. Deletion protection is
 * always ACTIVE for shared pools: deleting one deletes every user of every
 * tenant in the tier, and a recreated pool has a new id and issuer.
 */
export function userPoolArgs(blueprint: UserPoolBlueprint): aws.cognito.UserPoolArgs {
  return {
    name: blueprint.poolName,
    deletionProtection: 'ACTIVE',
    // No `usernameAttributes`/`aliasAttributes`: usernames are opaque ids that
    // Gatehouse maps from (tenant, e-mail), so one e-mail can exist in two
    // tenants of the same pool. E-mail is an ordinary, verified attribute.
    usernameConfiguration: { caseSensitive: false },
    autoVerifiedAttributes: [...blueprint.autoVerifiedAttributes],
    // Keep the old address until the new one is verified.
    userAttributeUpdateSettings: { attributesRequireVerificationBeforeUpdates: ['email'] },
    accountRecoverySetting: { recoveryMechanisms: [{ name: 'verified_email', priority: 1 }] },
    // Users are created by Gatehouse (invitations, provisioning), never by
    // self sign-up: a self-registered user in a shared pool has no tenant.
    adminCreateUserConfig: { allowAdminCreateUserOnly: true },
    passwordPolicy: { ...blueprint.passwordPolicy },
    mfaConfiguration: blueprint.mfa,
    ...(blueprint.mfa === 'OFF' ? {} : { softwareTokenMfaConfiguration: { enabled: true } }),
    // Threat protection (advanced security) needs the Plus feature plan.
    userPoolTier: blueprint.threatProtection === 'OFF' ? 'ESSENTIALS' : 'PLUS',
    userPoolAddOns: { advancedSecurityMode: blueprint.threatProtection },
    schemas: blueprint.customAttributes.map((attribute) => ({
      name: attribute.name,
      attributeDataType: 'String',
      // Immutable: set once by AdminCreateUser, never changed, by anyone.
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
    tags: { ...blueprint.tags },
  };
}

/** The shared app client of a pool-model tier or the operators' pool. */
export function userPoolClientArgs(
  blueprint: UserPoolBlueprint,
  userPoolId: pulumi.Input<string>,
  hostedUi: HostedUiArgs | undefined,
): aws.cognito.UserPoolClientArgs {
  return {
    name: blueprint.clientName,
    userPoolId,
    // A public client: browsers and the API's own endpoints use SRP/password
    // flows without a secret. Confidential clients are per tenant (bridge).
    generateSecret: false,
    explicitAuthFlows: [...CLIENT_AUTH_FLOWS],
    readAttributes: [...CLIENT_READABLE_ATTRIBUTES],
    // Standard attributes only: `custom:tenantId` / `custom:tenantTier` are never client-writable.
    writeAttributes: [...CLIENT_WRITABLE_ATTRIBUTES],
    accessTokenValidity: blueprint.tokenValidity.accessTokenMinutes,
    idTokenValidity: blueprint.tokenValidity.idTokenMinutes,
    refreshTokenValidity: blueprint.tokenValidity.refreshTokenDays,
    tokenValidityUnits: { accessToken: 'minutes', idToken: 'minutes', refreshToken: 'days' },
    preventUserExistenceErrors: 'ENABLED',
    enableTokenRevocation: true,
    authSessionValidity: 3,
    supportedIdentityProviders: ['COGNITO'],
    ...(hostedUi === undefined
      ? {}
      : {
          allowedOauthFlowsUserPoolClient: true,
          allowedOauthFlows: ['code'],
          allowedOauthScopes: ['openid', 'email', 'profile'],
          callbackUrls: [...hostedUi.callbackUrls],
          logoutUrls: [...hostedUi.logoutUrls],
        }),
  };
}

export interface SharedUserPool {
  readonly key: string;
  readonly model: 'pool' | 'bridge' | 'operators';
  readonly userPool: aws.cognito.UserPool;
  readonly client: aws.cognito.UserPoolClient | undefined;
  readonly groups: readonly aws.cognito.UserGroup[];
  readonly domain: aws.cognito.UserPoolDomain;
}

export class TierUserPools extends pulumi.ComponentResource {
  /** Pools by key (tier name or `operators`), for tests and wiring. */
  readonly pools: Readonly<Record<string, SharedUserPool>>;
  readonly poolIds: pulumi.Output<Record<string, string>>;
  readonly poolArns: pulumi.Output<string[]>;
  readonly issuers: pulumi.Output<Record<string, string>>;
  /** Shared client ids; bridge tiers have none. */
  readonly clientIds: pulumi.Output<Record<string, string>>;
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
      const poolArgs = userPoolArgs(blueprint);
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
      const client = blueprint.sharedClient
        ? new aws.cognito.UserPoolClient(
            `${resourceName}-client`,
            userPoolClientArgs(blueprint, userPool.id, args.hostedUi),
            { parent: this },
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
    this.sharedPoolsJson = pulumi.all([region, this.poolIds, this.clientIds]).apply(([r, ids, clients]) =>
      sharedPoolsEnvValue(
        Object.fromEntries(
          Object.entries(ids).map(([key, userPoolId]): [string, SharedPoolEnvEntry] => [
            key,
            { userPoolId, region: r, ...(clients[key] === undefined ? {} : { clientId: clients[key] }) },
          ]),
        ),
      ),
    );

    this.registerOutputs({
      poolIds: this.poolIds,
      poolArns: this.poolArns,
      issuers: this.issuers,
      clientIds: this.clientIds,
      sharedPoolsJson: this.sharedPoolsJson,
    });
  }
}
