/**
 * A cloud-neutral description of a Cognito user pool and its app client, derived
 * from the tier configuration. The Pulumi component turns it into
 * `aws.cognito.UserPool` arguments; the API's Cognito adapter turns it into
 * `CreateUserPool` / `CreateUserPoolClient` requests (for the emulator's shared
 * pools at start-up, and for silo tenants' pools at provisioning). Keeping the
 * facts here means AWS and the emulator cannot drift apart.
 */
import {
  type MfaSetting,
  OPERATORS_POOL_KEY,
  type PasswordPolicy,
  type ThreatProtectionMode,
  type TierConfig,
  type TierConfiguration,
  type TokenValidity,
  sharedPoolTiers,
} from './tier-config.js';

/** Roles a tenant's users can hold; each is a Cognito group of the same name. */
export const TENANT_ROLES = ['admin', 'member', 'viewer'] as const;
export type TenantRole = (typeof TENANT_ROLES)[number];

/** The only role of the operators' pool. Never granted by a tenant pool. */
export const PLATFORM_ADMIN_ROLE = 'platform-admin';

/**
 * Custom attributes every Gatehouse pool declares. They are immutable after
 * creation (Cognito cannot change them later, which is why they are decided
 * here once) and app clients may read but never write them.
 */
export const CUSTOM_ATTRIBUTES = [
  { name: 'tenantId', maxLength: 64 },
  { name: 'tenantTier', maxLength: 32 },
] as const;

/** Standard attributes app clients may write (sign-up, profile). `custom:*` is deliberately absent. */
export const CLIENT_WRITABLE_ATTRIBUTES = ['email', 'name', 'given_name', 'family_name', 'locale'] as const;
export const CLIENT_READABLE_ATTRIBUTES = [
  ...CLIENT_WRITABLE_ATTRIBUTES,
  'email_verified',
  ...CUSTOM_ATTRIBUTES.map((attribute) => `custom:${attribute.name}`),
] as const;
/**
 * What the confidential Gatehouse client may write: the standard attributes
 * plus the tenant attributes, which sign-up sets once (they are immutable).
 * No public client ever gets these, so a user cannot pick their tenant.
 */
export const GATEHOUSE_CLIENT_WRITABLE_ATTRIBUTES = [
  ...CLIENT_WRITABLE_ATTRIBUTES,
  ...CUSTOM_ATTRIBUTES.map((attribute) => `custom:${attribute.name}`),
] as const;

/**
 * Flows of the public client: front ends sign in at Cognito with SRP and refresh. USER_PASSWORD_AUTH (the
 * password over TLS to Cognito, never stored) is allowed too because Cognito calls the user-migration trigger
 * only for flows that send it the password: tenant lookup advertises it only while a tenant moves between
 * tiers, when its users not yet on the target need it (README "Moving a tenant between tiers").
 */
export const PUBLIC_CLIENT_AUTH_FLOWS = ['ALLOW_USER_SRP_AUTH', 'ALLOW_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'] as const;
/** Flows of the confidential Gatehouse client: the API's own password and refresh flows (admin flow for server-side sign-ins). */
export const GATEHOUSE_CLIENT_AUTH_FLOWS = [
  'ALLOW_USER_PASSWORD_AUTH',
  'ALLOW_ADMIN_USER_PASSWORD_AUTH',
  'ALLOW_REFRESH_TOKEN_AUTH',
] as const;
/**
 * Cognito's custom authentication flow, on a tenant pool's Gatehouse client only: the API's token
 * exchange that moves a user to the target of a tier move at refresh (an HMAC answer only Gatehouse
 * can produce, checked by the auth-challenge triggers). Never on a public client, where anyone could start it.
 */
export const TOKEN_EXCHANGE_AUTH_FLOW = 'ALLOW_CUSTOM_AUTH';
/** @deprecated name kept for the lookup API: the flows a front end may use, i.e. the public client's. */
export const CLIENT_AUTH_FLOWS = PUBLIC_CLIENT_AUTH_FLOWS;

/** Every Gatehouse client's name ends with this; the pre sign-up trigger recognises Gatehouse's clients by it. */
export const GATEHOUSE_CLIENT_NAME_SUFFIX = '-gatehouse';

/** Minutes a multi-step sign-in session (Cognito's `Session`) stays valid. */
export const AUTH_SESSION_VALIDITY_MINUTES = 3;

export type AppClientRole = 'public' | 'gatehouse';

/**
 * One app client of a pool. Every pool has two:
 * - `public`: no secret, SRP (+ the password flow for tier moves) + refresh, for front ends signing in at Cognito
 *   directly; reads but never writes the tenant attributes;
 * - `gatehouse`: confidential (a secret, so only the API can call it), the
 *   API's own flows, propagates the end user's IP and device data to
 *   Cognito's threat protection, and alone may write the tenant attributes.
 */
export interface AppClientBlueprint {
  readonly role: AppClientRole;
  readonly name: string;
  readonly generateSecret: boolean;
  readonly authFlows: readonly string[];
  readonly readAttributes: readonly string[];
  readonly writeAttributes: readonly string[];
  /** Cognito's `EnablePropagateAdditionalUserContextData` (needs a secret). */
  readonly propagateUserContext: boolean;
  /** Hosted UI / OAuth code flow may be switched on (public clients only). */
  readonly oauthCapable: boolean;
  readonly preventUserExistenceErrors: true;
  readonly enableTokenRevocation: true;
  readonly authSessionValidityMinutes: number;
}

export interface PoolClientBlueprints {
  readonly public: AppClientBlueprint;
  readonly gatehouse: AppClientBlueprint;
}

/**
 * `tokenExchange`: the Gatehouse client also allows {@link TOKEN_EXCHANGE_AUTH_FLOW} (tenant pools:
 * tier, silo and bridge clients; never the operators' pool, whose users never move between tiers).
 */
function clientBlueprints(publicName: string, gatehouseName: string, options: { tokenExchange: boolean }): PoolClientBlueprints {
  const common = {
    readAttributes: CLIENT_READABLE_ATTRIBUTES,
    preventUserExistenceErrors: true,
    enableTokenRevocation: true,
    authSessionValidityMinutes: AUTH_SESSION_VALIDITY_MINUTES,
  } as const;
  return {
    public: {
      ...common,
      role: 'public',
      name: publicName,
      generateSecret: false,
      authFlows: PUBLIC_CLIENT_AUTH_FLOWS,
      writeAttributes: CLIENT_WRITABLE_ATTRIBUTES,
      propagateUserContext: false,
      oauthCapable: true,
    },
    gatehouse: {
      ...common,
      role: 'gatehouse',
      name: gatehouseName,
      generateSecret: true,
      authFlows: options.tokenExchange ? [...GATEHOUSE_CLIENT_AUTH_FLOWS, TOKEN_EXCHANGE_AUTH_FLOW] : GATEHOUSE_CLIENT_AUTH_FLOWS,
      writeAttributes: GATEHOUSE_CLIENT_WRITABLE_ATTRIBUTES,
      propagateUserContext: true,
      oauthCapable: false,
    },
  };
}

/** A Gatehouse client's name for a public client's name. */
export function gatehouseClientName(publicName: string): string {
  return `${publicName}${GATEHOUSE_CLIENT_NAME_SUFFIX}`;
}

export type PoolKind = 'tier' | 'operators' | 'tenant';

/** Cognito alias attributes Gatehouse may enable (see {@link UserPoolBlueprint.signInAliases}). */
export type SignInAlias = 'email';

/**
 * Where a region's pools send e-mail from: an Amazon SES identity in that
 * region (Cognito's default sender allows 50 e-mails a day per account and
 * region, shared by every tenant). Created by infra/ (ses.ts).
 */
export interface EmailSending {
  /** ARN of the verified SES identity (a domain) in the pool's region. */
  readonly sourceArn: string;
  /** The sending address, at the identity's domain, e.g. `no-reply@mail.example.com`. */
  readonly fromAddress: string;
  readonly replyToAddress?: string;
  /** SES configuration set whose event destination receives bounces and complaints. */
  readonly configurationSet?: string;
}

/** A pool's e-mail settings: Cognito's default sender, or SES (`DEVELOPER`) with a display name. */
export type EmailBlueprint =
  | { readonly sendingAccount: 'COGNITO_DEFAULT' }
  | {
      readonly sendingAccount: 'DEVELOPER';
      readonly sourceArn: string;
      /** `"Display name" <address>` */
      readonly from: string;
      readonly replyToAddress?: string;
      readonly configurationSet?: string;
    };

/** The display name shown to recipients when nothing more specific is known. */
export const DEFAULT_SENDER_NAME = 'Gatehouse';

/** `"Acme" <no-reply@…>`, with quotes, angle brackets and line breaks removed from the name so it cannot forge headers. */
export function emailBlueprint(email: EmailSending | undefined, senderName: string = DEFAULT_SENDER_NAME): EmailBlueprint {
  if (!email) return { sendingAccount: 'COGNITO_DEFAULT' };
  const name = senderName.replace(/["<>\\\r\n]/g, '').trim().slice(0, 64) || DEFAULT_SENDER_NAME;
  return {
    sendingAccount: 'DEVELOPER',
    sourceArn: email.sourceArn,
    from: `"${name}" <${email.fromAddress}>`,
    ...(email.replyToAddress ? { replyToAddress: email.replyToAddress } : {}),
    ...(email.configurationSet ? { configurationSet: email.configurationSet } : {}),
  };
}

export interface UserPoolBlueprint {
  /** Logical key: the tier name, `operators`, or the tenant slug for a silo pool. */
  readonly key: string;
  readonly kind: PoolKind;
  /** Cognito pool name, unique within a deployment. */
  readonly poolName: string;
  readonly passwordPolicy: PasswordPolicy;
  readonly mfa: MfaSetting;
  readonly threatProtection: ThreatProtectionMode;
  readonly tokenValidity: TokenValidity;
  readonly customAttributes: typeof CUSTOM_ATTRIBUTES;
  /** Users sign in with an opaque username; e-mail is the verified attribute, not the key. */
  readonly usernameIsOpaque: true;
  /**
   * Cognito `AliasAttributes`: what else a user may type instead of the username.
   * `email` only in a silo pool (one tenant, so one address is one user); never in
   * a shared pool, where one address may be a user of several tenants. Immutable
   * after the pool is created: pools created before this setting keep none.
   */
  readonly signInAliases: readonly SignInAlias[];
  readonly autoVerifiedAttributes: readonly ['email'];
  /** Attributes whose new value only applies once verified (the old address keeps working meanwhile). */
  readonly attributesRequireVerificationBeforeUpdate: readonly ['email'];
  /** Users may register themselves; Cognito's `AllowAdminCreateUserOnly` is its negation. Never for operators. */
  readonly selfSignUp: boolean;
  readonly deletionProtection: boolean;
  /** Groups created in the pool; roles are group names. */
  readonly groups: readonly string[];
  /**
   * The pool's clients are created with the pool (pool model, operators, silo);
   * bridge tiers get their two clients per tenant ({@link bridgeClientBlueprints}).
   */
  readonly sharedClients: boolean;
  readonly clients: PoolClientBlueprints;
  readonly tags: Readonly<Record<string, string>>;
  readonly email: EmailBlueprint;
}

export interface BlueprintOptions {
  /** Deployment name used as a prefix, e.g. `gatehouse-prod` or `gatehouse-local`. */
  readonly deployment: string;
  /** Off only for throwaway environments (local emulator, tests). */
  readonly deletionProtection: boolean;
  /** SES sending for the pools' region; absent: Cognito's default sender (local, tests). */
  readonly email?: EmailSending;
}

function tierPoolBlueprint(tier: TierConfig, options: BlueprintOptions): UserPoolBlueprint {
  return {
    key: tier.name,
    kind: 'tier',
    poolName: `${options.deployment}-${tier.name}`,
    passwordPolicy: tier.passwordPolicy,
    mfa: tier.mfa,
    threatProtection: tier.threatProtection,
    tokenValidity: tier.tokenValidity,
    customAttributes: CUSTOM_ATTRIBUTES,
    usernameIsOpaque: true,
    signInAliases: [],
    autoVerifiedAttributes: ['email'],
    attributesRequireVerificationBeforeUpdate: ['email'],
    selfSignUp: tier.selfSignUp,
    deletionProtection: options.deletionProtection,
    groups: TENANT_ROLES,
    sharedClients: tier.model === 'pool',
    clients: clientBlueprints(`${options.deployment}-${tier.name}-shared`, `${options.deployment}-${tier.name}${GATEHOUSE_CLIENT_NAME_SUFFIX}`, {
      tokenExchange: true,
    }),
    tags: { 'gatehouse:deployment': options.deployment, 'gatehouse:tier': tier.name, 'gatehouse:model': tier.model },
    email: emailBlueprint(options.email),
  };
}

/** The shared pools of a deployment: one per pool/bridge tier, plus the operators' pool. */
export function sharedPoolBlueprints(config: TierConfiguration, options: BlueprintOptions): UserPoolBlueprint[] {
  const operators: UserPoolBlueprint = {
    key: OPERATORS_POOL_KEY,
    kind: 'operators',
    poolName: `${options.deployment}-${OPERATORS_POOL_KEY}`,
    passwordPolicy: config.operators.passwordPolicy,
    mfa: config.operators.mfa,
    threatProtection: config.operators.threatProtection,
    tokenValidity: config.operators.tokenValidity,
    customAttributes: CUSTOM_ATTRIBUTES,
    usernameIsOpaque: true,
    signInAliases: [],
    autoVerifiedAttributes: ['email'],
    attributesRequireVerificationBeforeUpdate: ['email'],
    // Operators are invited, never self-registered.
    selfSignUp: false,
    deletionProtection: options.deletionProtection,
    groups: [PLATFORM_ADMIN_ROLE],
    sharedClients: true,
    clients: clientBlueprints(
      `${options.deployment}-${OPERATORS_POOL_KEY}-console`,
      `${options.deployment}-${OPERATORS_POOL_KEY}${GATEHOUSE_CLIENT_NAME_SUFFIX}`,
      { tokenExchange: false },
    ),
    tags: { 'gatehouse:deployment': options.deployment, 'gatehouse:tier': OPERATORS_POOL_KEY },
    email: emailBlueprint(options.email),
  };
  return [...sharedPoolTiers(config).map((tier) => tierPoolBlueprint(tier, options)), operators];
}

export interface SiloPoolOverrides {
  readonly passwordPolicy?: Partial<PasswordPolicy>;
  readonly mfa?: MfaSetting;
  /** The tenant's own sender name on its pool's e-mails (a silo pool is the tenant's alone). */
  readonly senderName?: string;
}

/** A silo tenant's dedicated pool: the tier's settings, optionally tightened per tenant. */
export function siloPoolBlueprint(
  tier: TierConfig,
  tenantSlug: string,
  options: BlueprintOptions,
  overrides: SiloPoolOverrides = {},
): UserPoolBlueprint {
  if (tier.model !== 'silo') {
    throw new Error(`tier "${tier.name}" uses the ${tier.model} model; only silo tiers get a pool per tenant`);
  }
  return {
    ...tierPoolBlueprint(tier, options),
    key: tenantSlug,
    kind: 'tenant',
    poolName: `${options.deployment}-tenant-${tenantSlug}`,
    // The tenant's own pool: its users may sign in at Cognito (and its hosted UI) with their e-mail.
    signInAliases: ['email'],
    passwordPolicy: { ...tier.passwordPolicy, ...overrides.passwordPolicy },
    mfa: overrides.mfa ?? tier.mfa,
    email: emailBlueprint(options.email, overrides.senderName),
    sharedClients: true,
    clients: tenantClientBlueprints(options.deployment, tenantSlug),
    tags: {
      'gatehouse:deployment': options.deployment,
      'gatehouse:tier': tier.name,
      'gatehouse:model': 'silo',
      'gatehouse:tenant': tenantSlug,
    },
  };
}

/**
 * Every tenant's own client (bridge, silo) is named `<prefix><slug>`; the pre sign-up trigger
 * admits a federated first sign-in only through such a public client (never a tier's shared one).
 */
export function tenantClientNamePrefix(deployment: string): string {
  return `${deployment}-tenant-`;
}

/** The two clients of one tenant: in its silo pool, or in its bridge tier's shared pool. */
function tenantClientBlueprints(deployment: string, tenantSlug: string): PoolClientBlueprints {
  const publicName = `${tenantClientNamePrefix(deployment)}${tenantSlug}`;
  return clientBlueprints(publicName, gatehouseClientName(publicName), { tokenExchange: true });
}

/** A bridge tenant's own two clients in its tier's shared pool (same settings as every other client). */
export function bridgeClientBlueprints(tierPool: UserPoolBlueprint, tenantSlug: string, options: Pick<BlueprintOptions, 'deployment'>): PoolClientBlueprints {
  if (tierPool.kind !== 'tier') throw new Error(`bridge clients live in a tier pool, not in "${tierPool.key}"`);
  return tenantClientBlueprints(options.deployment, tenantSlug);
}

/**
 * ARNs of the Cognito Lambda triggers every Gatehouse pool is wired to (see
 * infra/lambdas): the pre sign-up check and the pre-token-generation (V2)
 * claims. Deployment-wide: Pulumi creates the functions and passes the ARNs
 * to the API, which wires the silo pools it creates to the same functions.
 */
export interface CognitoTriggerArns {
  readonly preSignUp: string;
  readonly preTokenGeneration: string;
  /**
   * The post-confirmation and post-authentication trigger (one function,
   * infra/lambdas/post-events.ts) reporting sign-ins at Cognito to Gatehouse's
   * events; absent in deployments without it.
   */
  readonly postEvents?: string;
  /**
   * The user-migration trigger (infra/lambdas/user-migration.ts): during a tier
   * move, a deferred user signing in or resetting at the target pool directly
   * is created there with the password proven at the source; absent in
   * deployments without it.
   */
  readonly userMigration?: string;
  /**
   * The custom-auth challenge triggers of the tier-move token exchange (infra/lambdas/*-auth-challenge*.ts):
   * all three or none. Absent: Gatehouse never starts the custom flow in that region (refresh stays at a move's source).
   */
  readonly defineAuthChallenge?: string;
  readonly createAuthChallenge?: string;
  readonly verifyAuthChallengeResponse?: string;
}

/** The three auth-challenge triggers of the tier-move token exchange are all configured (a partial set is never wired). */
export function hasTokenExchangeTriggers(
  triggers: CognitoTriggerArns,
): triggers is CognitoTriggerArns & Required<Pick<CognitoTriggerArns, 'defineAuthChallenge' | 'createAuthChallenge' | 'verifyAuthChallengeResponse'>> {
  return Boolean(triggers.defineAuthChallenge && triggers.createAuthChallenge && triggers.verifyAuthChallengeResponse);
}

/** Cognito's event version for the pre-token-generation trigger that can customise access tokens. */
export const PRE_TOKEN_GENERATION_LAMBDA_VERSION = 'V2_0';
