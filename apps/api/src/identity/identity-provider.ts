/**
 * The identity-provider port: everything Gatehouse asks of Cognito, in
 * Gatehouse's words. The Cognito adapter implements it with the AWS SDK; the
 * public auth flows (identity) and provisioning (tenants) depend only on this.
 *
 * Every method takes the pool (and, for user-facing flows, the app client) it
 * acts on, because one deployment spans many pools: the tier pools, silo
 * tenants' own pools and the operators' pool.
 */
import type { AppClientBlueprint, MfaSetting, UserPoolBlueprint } from '@gatehouse/tiers';
import type { UserPoolClientOverrides } from './cognito/user-pool-requests.js';
import type { FederatedProviderCopy, HostedSignInSettings } from './cognito/federation-requests.js';
import type { FederatedProviderInput } from '../tenants/federation/federated-provider.js';

export interface PoolRef {
  readonly userPoolId: string;
  readonly region: string;
}

/**
 * Facts about the end user's request that Cognito's threat protection scores
 * (sent as `UserContextData` through the Gatehouse client, which propagates
 * them): the client's real address and, when the front end collected it, the
 * encoded device fingerprint from Cognito's advanced-security script.
 */
export interface UserContext {
  readonly ipAddress: string;
  readonly encodedData?: string;
}

export interface ClientRef extends PoolRef {
  readonly clientId: string;
  /** Present on user-facing flows through the Gatehouse client. */
  readonly userContext?: UserContext;
}

export interface SignUpInput {
  readonly username: string;
  readonly password: string;
  readonly email: string;
  /** Set at creation through the Gatehouse client (they are immutable): `custom:tenantId`, `custom:tenantTier`. */
  readonly tenantAttributes: Readonly<Record<string, string>>;
}

export interface TokenSet {
  readonly accessToken: string;
  readonly idToken: string;
  /** Absent on refresh: Cognito keeps the refresh token it issued at sign-in. */
  readonly refreshToken?: string;
  readonly expiresIn: number;
  readonly tokenType: 'Bearer';
}

export type ChallengeName = 'NEW_PASSWORD_REQUIRED' | 'SOFTWARE_TOKEN_MFA' | 'MFA_SETUP' | 'SELECT_MFA_TYPE';

export type AuthOutcome =
  | { readonly kind: 'tokens'; readonly tokens: TokenSet }
  | { readonly kind: 'challenge'; readonly challenge: ChallengeName; readonly session: string };

export interface ChallengeAnswer {
  readonly challenge: ChallengeName;
  readonly session: string;
  readonly username: string;
  readonly newPassword?: string;
  readonly code?: string;
}

export interface IdentityUser {
  readonly username: string;
  readonly sub: string;
  readonly email: string | undefined;
  readonly emailVerified: boolean;
  readonly enabled: boolean;
  /** UNCONFIRMED, CONFIRMED, FORCE_CHANGE_PASSWORD, RESET_REQUIRED, … */
  readonly status: string;
  readonly attributes: Readonly<Record<string, string>>;
}

export interface CreateUserInput {
  readonly username: string;
  readonly email: string;
  /** Extra attributes, e.g. custom:tenantId (only the admin path may set custom attributes). */
  readonly attributes?: Readonly<Record<string, string>>;
  /** Send Cognito's invitation e-mail (with a temporary password); false suppresses it. */
  readonly invite: boolean;
  readonly temporaryPassword?: string;
}

export interface CodeDeliveryDetails {
  readonly destination: string | undefined;
  readonly medium: string | undefined;
}

export abstract class IdentityProvider {
  // User-facing flows, through an app client.
  abstract signUp(client: ClientRef, input: SignUpInput): Promise<{ sub: string; confirmed: boolean }>;
  abstract confirmSignUp(client: ClientRef, username: string, code: string): Promise<void>;
  abstract resendConfirmationCode(client: ClientRef, username: string): Promise<CodeDeliveryDetails>;
  abstract signInWithPassword(client: ClientRef, username: string, password: string): Promise<AuthOutcome>;
  abstract respondToChallenge(client: ClientRef, answer: ChallengeAnswer): Promise<AuthOutcome>;
  abstract refresh(client: ClientRef, refreshToken: string): Promise<TokenSet>;
  abstract revokeRefreshToken(client: ClientRef, refreshToken: string): Promise<void>;
  /**
   * Tokens for `username` through `client` without a password: the tier-move token exchange (Cognito's custom
   * flow, answered with an HMAC only Gatehouse can make; README "Trust during a move"). Undefined when this
   * provider cannot do it — the emulator, a region without the auth-challenge triggers, a client without the
   * custom flow — or when Cognito answers with anything but tokens (e.g. an MFA challenge). Cognito's refusals
   * are thrown, mapped like every other call. Either way the caller keeps the user where they are.
   */
  abstract exchangeForTokens(client: ClientRef, username: string): Promise<TokenSet | undefined>;
  abstract forgotPassword(client: ClientRef, username: string): Promise<CodeDeliveryDetails>;
  abstract confirmForgotPassword(client: ClientRef, username: string, code: string, newPassword: string): Promise<void>;

  // Flows of a signed-in user, with their access token.
  abstract changePassword(pool: PoolRef, accessToken: string, previousPassword: string, proposedPassword: string): Promise<void>;
  abstract associateSoftwareToken(pool: PoolRef, accessToken: string): Promise<{ secretCode: string }>;
  abstract verifySoftwareToken(pool: PoolRef, accessToken: string, code: string): Promise<void>;
  abstract setSoftwareTokenMfa(pool: PoolRef, accessToken: string, enabled: boolean): Promise<void>;

  // Cognito's MFA_SETUP challenge: a TOTP key associated and verified with the challenge's session.
  /** AssociateSoftwareToken with the session; returns the secret and the session to verify with. */
  abstract associateSoftwareTokenInChallenge(client: ClientRef, session: string): Promise<{ secretCode: string; session: string }>;
  /** VerifySoftwareToken with the session; returns the session that RespondToAuthChallenge(MFA_SETUP) takes. */
  abstract verifySoftwareTokenInChallenge(client: ClientRef, session: string, code: string): Promise<{ session: string }>;

  // Administration (provisioning, tenant admins' user management).
  abstract getUser(pool: PoolRef, username: string): Promise<IdentityUser | undefined>;
  abstract createUser(pool: PoolRef, input: CreateUserInput): Promise<IdentityUser>;
  abstract setPassword(pool: PoolRef, username: string, password: string, permanent: boolean): Promise<void>;
  /**
   * Sends the user a new invitation with a new temporary password (AdminCreateUser with MessageAction RESEND):
   * the reset path of a tier move for users whose password never reached the target. A user not there is a no-op.
   * Returns the user's new `sub` when the user had to be made again (the emulator, which cannot resend), else undefined.
   */
  abstract resendInvitation(pool: PoolRef, username: string): Promise<string | undefined>;
  abstract deleteUser(pool: PoolRef, username: string): Promise<void>;
  abstract setUserEnabled(pool: PoolRef, username: string, enabled: boolean): Promise<void>;
  abstract addUserToGroup(pool: PoolRef, username: string, group: string): Promise<void>;
  abstract removeUserFromGroup(pool: PoolRef, username: string, group: string): Promise<void>;
  abstract listUserGroups(pool: PoolRef, username: string): Promise<string[]>;
  /** Ends every session of the user where the provider supports it; returns false where it does not. */
  abstract signOutEverywhere(pool: PoolRef, username: string): Promise<boolean>;
  /** Turns the user's TOTP MFA off (AdminSetUserMFAPreference): they enrol again when their tenant requires it. */
  abstract resetUserMfa(pool: PoolRef, username: string): Promise<void>;
  /** The username of the pool's user with this (exact, lower-case) e-mail, for pools without Gatehouse's mirror (operators). */
  abstract findUsernameByEmail(pool: PoolRef, email: string): Promise<string | undefined>;
  /** The pool's MFA setting, TOTP as the only factor (silo pools follow their tenant's MFA policy). */
  abstract setPoolMfa(pool: PoolRef, setting: MfaSetting): Promise<void>;

  /**
   * Recovery only (never on the provisioning hot path, which uses the stored id): the pool
   * named `name` whose tags include every entry of `tags`. Lists the region's pools
   * (ListUserPools cannot filter) and checks each same-named candidate's tags (DescribeUserPool).
   */
  abstract findTaggedUserPool(region: string, name: string, tags: Readonly<Record<string, string>>): Promise<string | undefined>;
  abstract createUserPool(region: string, blueprint: UserPoolBlueprint): Promise<PoolRef>;
  abstract deleteUserPool(pool: PoolRef): Promise<void>;
  abstract findUserPoolClientByName(pool: PoolRef, name: string): Promise<string | undefined>;
  abstract createUserPoolClient(
    pool: PoolRef,
    blueprint: UserPoolBlueprint,
    client: AppClientBlueprint,
    overrides?: UserPoolClientOverrides,
  ): Promise<ClientRef>;
  abstract deleteUserPoolClient(client: ClientRef): Promise<void>;
  abstract ensureGroup(pool: PoolRef, group: string): Promise<void>;
  abstract listUsernames(pool: PoolRef): Promise<string[]>;
  abstract listUserPoolClientIds(pool: PoolRef): Promise<string[]>;

  // Federation through Cognito (SAML, OIDC, social providers). The emulator has none of these operations.
  /** CreateIdentityProvider in the pool. */
  abstract createFederatedProvider(pool: PoolRef, provider: FederatedProviderInput): Promise<void>;
  /** DeleteIdentityProvider; a provider already gone counts as deleted. */
  abstract deleteFederatedProvider(pool: PoolRef, name: string): Promise<void>;
  /**
   * DescribeIdentityProvider, as a copy another pool can be given (tier moves); undefined when the pool has no
   * provider of that name. Throws ProviderNotCopyable when Cognito's answer lacks what a copy needs. Holds secrets.
   */
  abstract describeFederatedProvider(pool: PoolRef, name: string): Promise<FederatedProviderCopy | undefined>;
  /** CreateIdentityProvider from a copy. A provider of that name already in the pool: `DuplicateProviderException`. */
  abstract createFederatedProviderCopy(pool: PoolRef, copy: FederatedProviderCopy): Promise<void>;
  /** UpdateIdentityProvider from a copy (the pool already has a provider of that name). */
  abstract updateFederatedProviderCopy(pool: PoolRef, copy: FederatedProviderCopy): Promise<void>;
  /** UpdateUserPoolClient: the public client's whole contract plus the hosted UI for `settings.providers`. */
  abstract configureHostedSignIn(
    pool: PoolRef,
    blueprint: UserPoolBlueprint,
    client: AppClientBlueprint,
    clientId: string,
    settings: HostedSignInSettings,
  ): Promise<void>;
  /**
   * The pool's hosted UI domain prefix: the one it already has (a pool has at most one), else `domainPrefix`,
   * created now (CreateUserPoolDomain).
   */
  abstract ensureHostedUiDomain(pool: PoolRef, domainPrefix: string): Promise<string>;
}
