/**
 * The {@link IdentityProvider} port on Amazon Cognito, through
 * `@aws-sdk/client-cognito-identity-provider` only. In local mode the SDK talks
 * to the emulator (`COGNITO_ENDPOINT`, dummy credentials); in AWS it uses the
 * default credential chain (the service account's IAM role).
 *
 * User-facing flows go through the pool's confidential Gatehouse client: each
 * request carries `SECRET_HASH` (HMAC-SHA256 of username + client id under the
 * client's secret, which is read once with DescribeUserPoolClient and kept in
 * memory only — never stored, never logged) and `UserContextData` (the end
 * user's address and device data) for Cognito's threat protection.
 *
 * Resilience: the SDK's adaptive retry mode retries throttling and transient
 * errors with backoff and client-side rate limiting; requests time out; an
 * unreachable Cognito surfaces as 503 `identity_provider_unavailable`.
 */
import {
  AdminAddUserToGroupCommand,
  AdminInitiateAuthCommand,
  AdminRespondToAuthChallengeCommand,
  AdminCreateUserCommand,
  AdminDeleteUserCommand,
  AdminDisableUserCommand,
  AdminEnableUserCommand,
  AdminGetUserCommand,
  AdminListGroupsForUserCommand,
  AdminRemoveUserFromGroupCommand,
  AdminSetUserMFAPreferenceCommand,
  AdminSetUserPasswordCommand,
  AdminUserGlobalSignOutCommand,
  AssociateSoftwareTokenCommand,
  type AuthenticationResultType,
  ChangePasswordCommand,
  CognitoIdentityProviderClient,
  ConfirmForgotPasswordCommand,
  ConfirmSignUpCommand,
  CreateGroupCommand,
  CreateIdentityProviderCommand,
  CreateUserPoolDomainCommand,
  DeleteIdentityProviderCommand,
  DeleteUserPoolDomainCommand,
  DescribeIdentityProviderCommand,
  UpdateIdentityProviderCommand,
  UpdateUserPoolClientCommand,
  CreateUserPoolClientCommand,
  CreateUserPoolCommand,
  DescribeUserPoolCommand,
  DeleteUserPoolClientCommand,
  DeleteUserPoolCommand,
  DescribeUserPoolClientCommand,
  ForgotPasswordCommand,
  GetTokensFromRefreshTokenCommand,
  InitiateAuthCommand,
  type InitiateAuthCommandOutput,
  ListUserPoolClientsCommand,
  ListUserPoolsCommand,
  ListUsersCommand,
  ResendConfirmationCodeCommand,
  RespondToAuthChallengeCommand,
  RevokeTokenCommand,
  SetUserMFAPreferenceCommand,
  SetUserPoolMfaConfigCommand,
  SignUpCommand,
  UpdateUserPoolCommand,
  type UserType,
  VerifySoftwareTokenCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { createHmac } from 'node:crypto';
import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { type AppClientBlueprint, type MfaSetting, type UserPoolBlueprint, hasTokenExchangeTriggers } from '@gatehouse/tiers';
import { decodeUnverifiedPayload } from '../../auth/bearer-token.js';
import { APP_CONFIG } from '../../config/config.module.js';
import type { AppConfig } from '../../config/config.schema.js';
import { instrumentCognitoClient } from '../../observability/cognito-instrumentation.js';
import { Metrics } from '../../observability/metrics.js';
import { Tracing } from '../../observability/tracing.js';
import {
  type AuthOutcome,
  type ChallengeAnswer,
  type ChallengeName,
  type ClientRef,
  type CodeDeliveryDetails,
  type CreateUserInput,
  IdentityProvider,
  type IdentityUser,
  type PoolRef,
  type SignUpInput,
  type TokenSet,
  type UserContext,
} from '../identity-provider.js';
import { IdentityError, invalidSession } from '../identity.errors.js';
import { type CognitoFlow, mapCognitoError } from './cognito-error-mapping.js';
import {
  type UserPoolClientOverrides,
  toCreateUserPoolClientInput,
  toCreateUserPoolInput,
  toSetUserPoolMfaConfigInput,
} from './user-pool-requests.js';
import { emailFilter, poolMfaConfigInput, resetUserMfaInput } from './mfa-requests.js';
import {
  type FederatedProviderCopy,
  type HostedSignInSettings,
  toCreateIdentityProviderCopyInput,
  toCreateIdentityProviderInput,
  toCreateUserPoolDomainInput,
  toDeleteIdentityProviderInput,
  toDeleteUserPoolDomainInput,
  toDescribeIdentityProviderInput,
  toFederatedClientInput,
  toFederatedProviderCopy,
  toUpdateIdentityProviderCopyInput,
} from './federation-requests.js';
import type { FederatedProviderInput } from '../../tenants/federation/federated-provider.js';
import { resendInvitationInput } from './tier-move-requests.js';
import { answerTokenExchangeInput, startTokenExchangeInput } from './token-exchange-requests.js';
import { tokenExchangeAnswer } from './token-exchange-answer.js';

const KNOWN_CHALLENGES: ReadonlySet<string> = new Set(['NEW_PASSWORD_REQUIRED', 'SOFTWARE_TOKEN_MFA', 'MFA_SETUP', 'SELECT_MFA_TYPE']);

function attributesOf(list: readonly { Name?: string; Value?: string }[] | undefined): Record<string, string> {
  return Object.fromEntries((list ?? []).filter((a) => a.Name && a.Value !== undefined).map((a) => [a.Name!, a.Value!]));
}

/** Cognito's SECRET_HASH: Base64(HMAC-SHA256(key = client secret, message = username + client id)). */
export function secretHash(clientSecret: string, username: string, clientId: string): string {
  return createHmac('sha256', clientSecret).update(`${username}${clientId}`).digest('base64');
}

/** Cognito's `UserContextData` from Gatehouse's view of the request. */
export function toUserContextData(context: UserContext | undefined): { IpAddress: string; EncodedData?: string } | undefined {
  if (!context) return undefined;
  return { IpAddress: context.ipAddress, ...(context.encodedData ? { EncodedData: context.encodedData } : {}) };
}

/** Seconds until the access token expires (the emulator omits ExpiresIn). */
function expiresIn(result: AuthenticationResultType): number {
  if (result.ExpiresIn) return result.ExpiresIn;
  const exp = decodeUnverifiedPayload(result.AccessToken ?? '')?.['exp'];
  return typeof exp === 'number' ? Math.max(0, exp - Math.floor(Date.now() / 1000)) : 3600;
}

/**
 * Bounds every call on `client`, retries and back-off included: past the deadline the SDK
 * aborts the request in flight and rejects with an AbortError (mapped to 503). Per-attempt
 * timeouts alone would allow maxAttempts × requestTimeout plus back-off.
 */
function withDeadline(client: CognitoIdentityProviderClient, deadlineMs: number): void {
  const send = client.send.bind(client) as (command: unknown, options?: object) => Promise<unknown>;
  client.send = ((command: unknown, options?: object) =>
    send(command, { abortSignal: AbortSignal.timeout(deadlineMs), ...options })) as CognitoIdentityProviderClient['send'];
}

@Injectable()
export class CognitoIdentityProvider extends IdentityProvider implements OnModuleDestroy {
  private readonly clients = new Map<string, CognitoIdentityProviderClient>();
  /** App client secrets by client id (null: a public client); in memory only. */
  private readonly secrets = new Map<string, Promise<string | null>>();
  /** False once the provider answered that it lacks GetTokensFromRefreshToken (the emulator). */
  private refreshWithSecret = true;
  /** False once the provider answered that it lacks the custom auth flow (the emulator). */
  private customAuthSupported = true;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly metrics: Metrics,
    private readonly tracing: Tracing,
  ) {
    super();
  }

  onModuleDestroy(): void {
    for (const client of this.clients.values()) client.destroy();
    this.clients.clear();
  }

  private client(region: string): CognitoIdentityProviderClient {
    let client = this.clients.get(region);
    if (!client) {
      const { COGNITO_CONNECT_TIMEOUT_MS, COGNITO_REQUEST_TIMEOUT_MS, COGNITO_DEADLINE_MS } = this.config.env;
      client = new CognitoIdentityProviderClient({
        region,
        maxAttempts: 4,
        retryMode: 'adaptive',
        requestHandler: {
          connectionTimeout: COGNITO_CONNECT_TIMEOUT_MS,
          requestTimeout: COGNITO_REQUEST_TIMEOUT_MS,
          // Without this the SDK only logs a warning when an attempt exceeds requestTimeout
          // and keeps waiting: a Cognito that accepts connections but never answers would hang us.
          throwOnRequestTimeout: true,
        },
        ...(this.config.isLocal
          ? { endpoint: this.config.env.COGNITO_ENDPOINT, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }
          : {}),
      });
      instrumentCognitoClient(client, this.metrics, this.tracing);
      withDeadline(client, COGNITO_DEADLINE_MS);
      this.clients.set(region, client);
    }
    return client;
  }

  private async call<T>(region: string, flow: CognitoFlow, operation: string, send: (client: CognitoIdentityProviderClient) => Promise<T>): Promise<T> {
    try {
      return await send(this.client(region));
    } catch (error) {
      throw mapCognitoError(error, flow, operation);
    }
  }

  private outcome(response: Pick<InitiateAuthCommandOutput, 'AuthenticationResult' | 'ChallengeName' | 'Session'>): AuthOutcome {
    const result = response.AuthenticationResult;
    if (result?.AccessToken && result.IdToken) {
      return {
        kind: 'tokens',
        tokens: {
          accessToken: result.AccessToken,
          idToken: result.IdToken,
          ...(result.RefreshToken ? { refreshToken: result.RefreshToken } : {}),
          expiresIn: expiresIn(result),
          tokenType: 'Bearer',
        },
      };
    }
    if (response.ChallengeName && KNOWN_CHALLENGES.has(response.ChallengeName) && response.Session) {
      return { kind: 'challenge', challenge: response.ChallengeName as ChallengeName, session: response.Session };
    }
    throw invalidSession();
  }

  // ---- user-facing flows --------------------------------------------------

  /** The client's secret, read once per client with DescribeUserPoolClient; null for a public client. */
  private clientSecret(client: ClientRef): Promise<string | null> {
    let secret = this.secrets.get(client.clientId);
    if (!secret) {
      secret = this.call(client.region, 'admin', 'DescribeUserPoolClient', (sdk) =>
        sdk.send(new DescribeUserPoolClientCommand({ UserPoolId: client.userPoolId, ClientId: client.clientId })),
      ).then((response) => response.UserPoolClient?.ClientSecret ?? null);
      // A failed read is not cached: the next request tries again.
      secret.catch(() => this.secrets.delete(client.clientId));
      this.secrets.set(client.clientId, secret);
    }
    return secret;
  }

  /** `SecretHash` and `UserContextData` for a request about `username` through `client` (empty for a public client). */
  private async proof(client: ClientRef, username: string): Promise<{ SecretHash?: string; UserContextData?: { IpAddress: string; EncodedData?: string } }> {
    const secret = await this.clientSecret(client);
    const context = toUserContextData(client.userContext);
    return { ...(secret ? { SecretHash: secretHash(secret, username, client.clientId) } : {}), ...(context ? { UserContextData: context } : {}) };
  }

  async signUp(client: ClientRef, input: SignUpInput) {
    const proof = await this.proof(client, input.username);
    const attributes = { email: input.email, ...input.tenantAttributes };
    const response = await this.call(client.region, 'sign-up', 'SignUp', (sdk) =>
      sdk.send(
        new SignUpCommand({
          ClientId: client.clientId,
          Username: input.username,
          Password: input.password,
          UserAttributes: Object.entries(attributes).map(([Name, Value]) => ({ Name, Value })),
          ...proof,
        }),
      ),
    );
    return { sub: response.UserSub ?? '', confirmed: response.UserConfirmed ?? false };
  }

  async confirmSignUp(client: ClientRef, username: string, code: string): Promise<void> {
    const proof = await this.proof(client, username);
    await this.call(client.region, 'code', 'ConfirmSignUp', (sdk) =>
      sdk.send(new ConfirmSignUpCommand({ ClientId: client.clientId, Username: username, ConfirmationCode: code, ...proof })),
    );
  }

  async resendConfirmationCode(client: ClientRef, username: string): Promise<CodeDeliveryDetails> {
    const proof = await this.proof(client, username);
    const response = await this.call(client.region, 'code', 'ResendConfirmationCode', (sdk) =>
      sdk.send(new ResendConfirmationCodeCommand({ ClientId: client.clientId, Username: username, ...proof })),
    );
    return { destination: response.CodeDeliveryDetails?.Destination, medium: response.CodeDeliveryDetails?.DeliveryMedium };
  }

  async signInWithPassword(client: ClientRef, username: string, password: string): Promise<AuthOutcome> {
    const { SecretHash, UserContextData } = await this.proof(client, username);
    const response = await this.call(client.region, 'sign-in', 'InitiateAuth', (sdk) =>
      sdk.send(
        new InitiateAuthCommand({
          AuthFlow: 'USER_PASSWORD_AUTH',
          ClientId: client.clientId,
          AuthParameters: { USERNAME: username, PASSWORD: password, ...(SecretHash ? { SECRET_HASH: SecretHash } : {}) },
          ...(UserContextData ? { UserContextData } : {}),
        }),
      ),
    );
    return this.outcome(response);
  }

  async respondToChallenge(client: ClientRef, answer: ChallengeAnswer): Promise<AuthOutcome> {
    const { SecretHash, UserContextData } = await this.proof(client, answer.username);
    const responses: Record<string, string> = { USERNAME: answer.username };
    if (SecretHash) responses['SECRET_HASH'] = SecretHash;
    if (answer.challenge === 'NEW_PASSWORD_REQUIRED' && answer.newPassword) responses['NEW_PASSWORD'] = answer.newPassword;
    if (answer.challenge === 'SOFTWARE_TOKEN_MFA' && answer.code) responses['SOFTWARE_TOKEN_MFA_CODE'] = answer.code;
    if (answer.challenge === 'SELECT_MFA_TYPE') responses['ANSWER'] = 'SOFTWARE_TOKEN_MFA';
    const response = await this.call(client.region, 'challenge', 'RespondToAuthChallenge', (sdk) =>
      sdk.send(
        new RespondToAuthChallengeCommand({
          ClientId: client.clientId,
          ChallengeName: answer.challenge,
          Session: answer.session,
          ChallengeResponses: responses,
          ...(UserContextData ? { UserContextData } : {}),
        }),
      ),
    );
    return this.outcome(response);
  }

  /**
   * New tokens from a refresh token. A confidential client's InitiateAuth
   * REFRESH_TOKEN_AUTH needs a SECRET_HASH over the user's username, which a
   * refresh token (encrypted) does not reveal; GetTokensFromRefreshToken takes
   * the client secret itself instead. The emulator lacks that operation, so
   * where the provider says it is unsupported the adapter falls back to
   * InitiateAuth (the emulator ignores secrets).
   */
  async refresh(client: ClientRef, refreshToken: string): Promise<TokenSet> {
    const secret = await this.clientSecret(client);
    if (secret && this.refreshWithSecret) {
      try {
        const response = await this.call(client.region, 'refresh', 'GetTokensFromRefreshToken', (sdk) =>
          sdk.send(new GetTokensFromRefreshTokenCommand({ ClientId: client.clientId, ClientSecret: secret, RefreshToken: refreshToken })),
        );
        const outcome = this.outcome(response);
        if (outcome.kind !== 'tokens') throw invalidSession();
        return outcome.tokens;
      } catch (error) {
        if ((error as { code?: string }).code !== 'not_supported_by_identity_provider') throw error;
        this.refreshWithSecret = false;
      }
    }
    const response = await this.call(client.region, 'refresh', 'InitiateAuth', (sdk) =>
      sdk.send(
        new InitiateAuthCommand({ AuthFlow: 'REFRESH_TOKEN_AUTH', ClientId: client.clientId, AuthParameters: { REFRESH_TOKEN: refreshToken } }),
      ),
    );
    const outcome = this.outcome(response);
    if (outcome.kind !== 'tokens') throw invalidSession();
    return outcome.tokens;
  }

  async revokeRefreshToken(client: ClientRef, refreshToken: string): Promise<void> {
    const secret = await this.clientSecret(client);
    await this.call(client.region, 'refresh', 'RevokeToken', (sdk) =>
      sdk.send(new RevokeTokenCommand({ ClientId: client.clientId, Token: refreshToken, ...(secret ? { ClientSecret: secret } : {}) })),
    );
  }

  /**
   * The tier-move token exchange: AdminInitiateAuth CUSTOM_AUTH, then
   * AdminRespondToAuthChallenge with the HMAC answer over the challenge's nonce
   * (token-exchange-requests.ts). Attempted only where the pool's region has the
   * auth-challenge triggers (never in local mode: the emulator has neither the
   * flow nor triggers, and says so if asked); any refusal leaves the user where
   * they are (undefined), logged by the caller.
   */
  async exchangeForTokens(client: ClientRef, username: string): Promise<TokenSet | undefined> {
    const triggers = this.config.cognitoTriggersByRegion.get(client.region);
    if (!this.customAuthSupported || !triggers || !hasTokenExchangeTriggers(triggers)) return undefined;
    const secret = await this.clientSecret(client);
    // Only a confidential Gatehouse client may run the exchange (public clients never allow the flow).
    if (!secret) return undefined;
    const hash = secretHash(secret, username, client.clientId);
    try {
      const started = await this.call(client.region, 'challenge', 'AdminInitiateAuth', (sdk) =>
        sdk.send(new AdminInitiateAuthCommand(startTokenExchangeInput(client, username, hash))),
      );
      const nonce = started.ChallengeParameters?.['nonce'];
      if (started.ChallengeName !== 'CUSTOM_CHALLENGE' || !started.Session || !nonce) return undefined;
      const answer = tokenExchangeAnswer(this.config.tokenExchangeKey, { userPoolId: client.userPoolId, username, nonce });
      const answered = await this.call(client.region, 'challenge', 'AdminRespondToAuthChallenge', (sdk) =>
        sdk.send(new AdminRespondToAuthChallengeCommand(answerTokenExchangeInput(client, username, hash, started.Session!, answer))),
      );
      const result = answered.AuthenticationResult;
      if (!result?.AccessToken || !result.IdToken || !result.RefreshToken) return undefined;
      return { accessToken: result.AccessToken, idToken: result.IdToken, refreshToken: result.RefreshToken, expiresIn: expiresIn(result), tokenType: 'Bearer' };
    } catch (error) {
      if ((error as { code?: string }).code === 'not_supported_by_identity_provider') {
        this.customAuthSupported = false;
        return undefined;
      }
      throw error;
    }
  }

  async forgotPassword(client: ClientRef, username: string): Promise<CodeDeliveryDetails> {
    const proof = await this.proof(client, username);
    const response = await this.call(client.region, 'code', 'ForgotPassword', (sdk) =>
      sdk.send(new ForgotPasswordCommand({ ClientId: client.clientId, Username: username, ...proof })),
    );
    return { destination: response.CodeDeliveryDetails?.Destination, medium: response.CodeDeliveryDetails?.DeliveryMedium };
  }

  async confirmForgotPassword(client: ClientRef, username: string, code: string, newPassword: string): Promise<void> {
    const proof = await this.proof(client, username);
    await this.call(client.region, 'code', 'ConfirmForgotPassword', (sdk) =>
      sdk.send(
        new ConfirmForgotPasswordCommand({ ClientId: client.clientId, Username: username, ConfirmationCode: code, Password: newPassword, ...proof }),
      ),
    );
  }

  // ---- a signed-in user's own settings ------------------------------------

  async changePassword(pool: PoolRef, accessToken: string, previousPassword: string, proposedPassword: string): Promise<void> {
    await this.call(pool.region, 'password', 'ChangePassword', (sdk) =>
      sdk.send(new ChangePasswordCommand({ AccessToken: accessToken, PreviousPassword: previousPassword, ProposedPassword: proposedPassword })),
    );
  }

  async associateSoftwareToken(pool: PoolRef, accessToken: string): Promise<{ secretCode: string }> {
    const response = await this.call(pool.region, 'mfa', 'AssociateSoftwareToken', (sdk) =>
      sdk.send(new AssociateSoftwareTokenCommand({ AccessToken: accessToken })),
    );
    return { secretCode: response.SecretCode ?? '' };
  }

  async verifySoftwareToken(pool: PoolRef, accessToken: string, code: string): Promise<void> {
    const response = await this.call(pool.region, 'mfa', 'VerifySoftwareToken', (sdk) =>
      sdk.send(new VerifySoftwareTokenCommand({ AccessToken: accessToken, UserCode: code, FriendlyDeviceName: 'authenticator' })),
    );
    if (response.Status && response.Status !== 'SUCCESS') throw mapCognitoError({ name: 'CodeMismatchException' }, 'mfa', 'VerifySoftwareToken');
  }

  async setSoftwareTokenMfa(pool: PoolRef, accessToken: string, enabled: boolean): Promise<void> {
    await this.call(pool.region, 'mfa', 'SetUserMFAPreference', (sdk) =>
      sdk.send(
        new SetUserMFAPreferenceCommand({
          AccessToken: accessToken,
          SoftwareTokenMfaSettings: { Enabled: enabled, PreferredMfa: enabled },
        }),
      ),
    );
  }

  async associateSoftwareTokenInChallenge(client: ClientRef, session: string): Promise<{ secretCode: string; session: string }> {
    const response = await this.call(client.region, 'challenge', 'AssociateSoftwareToken', (sdk) =>
      sdk.send(new AssociateSoftwareTokenCommand({ Session: session })),
    );
    if (!response.SecretCode || !response.Session) throw invalidSession();
    return { secretCode: response.SecretCode, session: response.Session };
  }

  async verifySoftwareTokenInChallenge(client: ClientRef, session: string, code: string): Promise<{ session: string }> {
    const response = await this.call(client.region, 'challenge', 'VerifySoftwareToken', (sdk) =>
      sdk.send(new VerifySoftwareTokenCommand({ Session: session, UserCode: code, FriendlyDeviceName: 'authenticator' })),
    );
    if (response.Status && response.Status !== 'SUCCESS') throw mapCognitoError({ name: 'CodeMismatchException' }, 'mfa', 'VerifySoftwareToken');
    if (!response.Session) throw invalidSession();
    return { session: response.Session };
  }

  // ---- administration ------------------------------------------------------

  private toUser(username: string, user: Pick<UserType, 'Attributes' | 'Enabled' | 'UserStatus'> & { UserAttributes?: UserType['Attributes'] }): IdentityUser {
    const attributes = attributesOf(user.Attributes ?? user.UserAttributes);
    return {
      username,
      sub: attributes['sub'] ?? '',
      email: attributes['email'],
      emailVerified: attributes['email_verified'] === 'true',
      enabled: user.Enabled ?? true,
      status: user.UserStatus ?? 'UNKNOWN',
      attributes,
    };
  }

  async getUser(pool: PoolRef, username: string): Promise<IdentityUser | undefined> {
    try {
      const response = await this.client(pool.region).send(new AdminGetUserCommand({ UserPoolId: pool.userPoolId, Username: username }));
      return this.toUser(username, response);
    } catch (error) {
      if ((error as { name?: string }).name === 'UserNotFoundException') return undefined;
      throw mapCognitoError(error, 'admin', 'AdminGetUser');
    }
  }

  async createUser(pool: PoolRef, input: CreateUserInput): Promise<IdentityUser> {
    const attributes = { email: input.email, ...input.attributes };
    const response = await this.call(pool.region, 'admin', 'AdminCreateUser', (sdk) =>
      sdk.send(
        new AdminCreateUserCommand({
          UserPoolId: pool.userPoolId,
          Username: input.username,
          UserAttributes: Object.entries(attributes).map(([Name, Value]) => ({ Name, Value })),
          ...(input.invite ? { DesiredDeliveryMediums: ['EMAIL'] } : { MessageAction: 'SUPPRESS' }),
          ...(input.temporaryPassword ? { TemporaryPassword: input.temporaryPassword } : {}),
        }),
      ),
    );
    return this.toUser(input.username, response.User ?? {});
  }

  async resendInvitation(pool: PoolRef, username: string): Promise<string | undefined> {
    try {
      await this.client(pool.region).send(new AdminCreateUserCommand(resendInvitationInput(pool, username)));
      return undefined;
    } catch (error) {
      if ((error as { name?: string }).name === 'UserNotFoundException') return undefined;
      const mapped = mapCognitoError(error, 'admin', 'AdminCreateUser');
      if (!(mapped instanceof IdentityError && mapped.code === 'not_supported_by_identity_provider') || !this.config.isLocal) throw mapped;
      return this.reinviteWithoutResend(pool, username);
    }
  }

  /**
   * The emulator has no `MessageAction: RESEND`: the same invitation (a new
   * temporary password, written to its log) by making the user again with its
   * attributes, groups and enabled state. Its `sub` changes; the caller binds
   * the new one. Local mode only: real Cognito resends.
   */
  private async reinviteWithoutResend(pool: PoolRef, username: string): Promise<string | undefined> {
    const user = await this.getUser(pool, username);
    if (!user?.email) return undefined;
    const groups = await this.listUserGroups(pool, username);
    await this.deleteUser(pool, username);
    const { sub: _sub, email: _email, ...attributes } = user.attributes;
    const created = await this.createUser(pool, { username, email: user.email, attributes, invite: true });
    for (const group of groups) await this.addUserToGroup(pool, username, group);
    if (!user.enabled) await this.setUserEnabled(pool, username, false);
    return created.sub;
  }

  async setPassword(pool: PoolRef, username: string, password: string, permanent: boolean): Promise<void> {
    await this.call(pool.region, 'password', 'AdminSetUserPassword', (sdk) =>
      sdk.send(new AdminSetUserPasswordCommand({ UserPoolId: pool.userPoolId, Username: username, Password: password, Permanent: permanent })),
    );
  }

  async deleteUser(pool: PoolRef, username: string): Promise<void> {
    try {
      await this.client(pool.region).send(new AdminDeleteUserCommand({ UserPoolId: pool.userPoolId, Username: username }));
    } catch (error) {
      if ((error as { name?: string }).name === 'UserNotFoundException') return; // already gone: deleting is idempotent
      throw mapCognitoError(error, 'admin', 'AdminDeleteUser');
    }
  }

  async setUserEnabled(pool: PoolRef, username: string, enabled: boolean): Promise<void> {
    await this.call(pool.region, 'admin', enabled ? 'AdminEnableUser' : 'AdminDisableUser', (sdk) =>
      sdk.send(
        enabled
          ? new AdminEnableUserCommand({ UserPoolId: pool.userPoolId, Username: username })
          : new AdminDisableUserCommand({ UserPoolId: pool.userPoolId, Username: username }),
      ),
    );
  }

  async addUserToGroup(pool: PoolRef, username: string, group: string): Promise<void> {
    await this.call(pool.region, 'admin', 'AdminAddUserToGroup', (sdk) =>
      sdk.send(new AdminAddUserToGroupCommand({ UserPoolId: pool.userPoolId, Username: username, GroupName: group })),
    );
  }

  async removeUserFromGroup(pool: PoolRef, username: string, group: string): Promise<void> {
    await this.call(pool.region, 'admin', 'AdminRemoveUserFromGroup', (sdk) =>
      sdk.send(new AdminRemoveUserFromGroupCommand({ UserPoolId: pool.userPoolId, Username: username, GroupName: group })),
    );
  }

  async listUserGroups(pool: PoolRef, username: string): Promise<string[]> {
    const response = await this.call(pool.region, 'admin', 'AdminListGroupsForUser', (sdk) =>
      sdk.send(new AdminListGroupsForUserCommand({ UserPoolId: pool.userPoolId, Username: username })),
    );
    return (response.Groups ?? []).map((group) => group.GroupName ?? '').filter(Boolean);
  }

  async signOutEverywhere(pool: PoolRef, username: string): Promise<boolean> {
    try {
      await this.client(pool.region).send(new AdminUserGlobalSignOutCommand({ UserPoolId: pool.userPoolId, Username: username }));
      return true;
    } catch (error) {
      const mapped = mapCognitoError(error, 'admin', 'AdminUserGlobalSignOut');
      // The emulator has no global sign-out; Gatehouse still refuses the user's tokens itself.
      if ((mapped as { code?: string }).code === 'not_supported_by_identity_provider') return false;
      throw mapped;
    }
  }

  async resetUserMfa(pool: PoolRef, username: string): Promise<void> {
    await this.call(pool.region, 'admin', 'AdminSetUserMFAPreference', (sdk) =>
      sdk.send(new AdminSetUserMFAPreferenceCommand(resetUserMfaInput(pool.userPoolId, username))),
    );
  }

  async findUsernameByEmail(pool: PoolRef, email: string): Promise<string | undefined> {
    const filter = emailFilter(email);
    if (!filter) return undefined;
    const response = await this.call(pool.region, 'admin', 'ListUsers', (sdk) =>
      sdk.send(new ListUsersCommand({ UserPoolId: pool.userPoolId, Filter: filter, Limit: 2 })),
    );
    const users = response.Users ?? [];
    // Two accounts with one address in the operators' pool would be ambiguous: sign-in is refused rather than guessed.
    return users.length === 1 ? users[0]?.Username : undefined;
  }

  async setPoolMfa(pool: PoolRef, setting: MfaSetting): Promise<void> {
    await this.call(pool.region, 'admin', 'SetUserPoolMfaConfig', (sdk) =>
      sdk.send(new SetUserPoolMfaConfigCommand(poolMfaConfigInput(pool.userPoolId, setting))),
    );
  }

  async findTaggedUserPool(region: string, name: string, tags: Readonly<Record<string, string>>): Promise<string | undefined> {
    const pools = await this.collect(region, 'ListUserPools', async (sdk, token) => {
      const page = await sdk.send(new ListUserPoolsCommand({ MaxResults: 60, ...(token ? { NextToken: token } : {}) }));
      return { items: page.UserPools ?? [], next: page.NextToken };
    });
    for (const candidate of pools.filter((pool) => pool.Name === name && pool.Id)) {
      const described = await this.describeOwnPool(region, candidate.Id!);
      const actual = described?.UserPoolTags ?? {};
      if (described && Object.entries(tags).every(([key, value]) => actual[key] === value)) return candidate.Id;
    }
    return undefined;
  }

  /** DescribeUserPool, or undefined for a pool this deployment's role may not read (not ours: IAM scopes by tag). */
  private async describeOwnPool(region: string, userPoolId: string) {
    try {
      return (await this.client(region).send(new DescribeUserPoolCommand({ UserPoolId: userPoolId }))).UserPool;
    } catch (error) {
      const name = (error as { name?: string }).name;
      if (name === 'ResourceNotFoundException' || name === 'AccessDeniedException' || name === 'NotAuthorizedException') return undefined;
      throw mapCognitoError(error, 'admin', 'DescribeUserPool');
    }
  }

  async createUserPool(region: string, blueprint: UserPoolBlueprint): Promise<PoolRef> {
    // Silo pools call the same triggers as the shared pools (none in local mode: the emulator cannot run them).
    // Cognito invokes triggers in the pool's own region: the functions of that region (config checks every silo region has them).
    const input = toCreateUserPoolInput(blueprint, this.config.cognitoTriggersByRegion.get(region));
    const created = await this.call(region, 'admin', 'CreateUserPool', (sdk) => sdk.send(new CreateUserPoolCommand(input)));
    const userPoolId = created.UserPool?.Id;
    if (!userPoolId) throw new Error(`CreateUserPool ${blueprint.poolName} returned no id`);
    await this.call(region, 'admin', 'SetUserPoolMfaConfig', (sdk) =>
      sdk.send(new SetUserPoolMfaConfigCommand(toSetUserPoolMfaConfigInput(blueprint, userPoolId))),
    );
    return { userPoolId, region };
  }

  async deleteUserPool(pool: PoolRef): Promise<void> {
    try {
      // Deletion protection is on for tenant pools; lift it only for the pool being deleted.
      await this.client(pool.region).send(new UpdateUserPoolCommand({ UserPoolId: pool.userPoolId, DeletionProtection: 'INACTIVE' }));
      // Cognito refuses to delete a pool with a hosted UI domain (a federating silo tenant's): the domain goes first.
      const described = await this.client(pool.region).send(new DescribeUserPoolCommand({ UserPoolId: pool.userPoolId }));
      const domain = described.UserPool?.Domain;
      if (domain) await this.client(pool.region).send(new DeleteUserPoolDomainCommand(toDeleteUserPoolDomainInput(pool.userPoolId, domain)));
      await this.client(pool.region).send(new DeleteUserPoolCommand({ UserPoolId: pool.userPoolId }));
    } catch (error) {
      if ((error as { name?: string }).name === 'ResourceNotFoundException') return;
      throw mapCognitoError(error, 'admin', 'DeleteUserPool');
    }
  }

  async findUserPoolClientByName(pool: PoolRef, name: string): Promise<string | undefined> {
    return (await this.listClients(pool)).find((client) => client.ClientName === name)?.ClientId;
  }

  async createUserPoolClient(
    pool: PoolRef,
    blueprint: UserPoolBlueprint,
    client: AppClientBlueprint,
    overrides: UserPoolClientOverrides = {},
  ): Promise<ClientRef> {
    const created = await this.call(pool.region, 'admin', 'CreateUserPoolClient', (sdk) =>
      sdk.send(new CreateUserPoolClientCommand(toCreateUserPoolClientInput(blueprint, client, pool.userPoolId, overrides))),
    );
    const clientId = created.UserPoolClient?.ClientId;
    if (!clientId) throw new Error(`CreateUserPoolClient in ${pool.userPoolId} returned no id`);
    return { ...pool, clientId };
  }

  async deleteUserPoolClient(client: ClientRef): Promise<void> {
    try {
      await this.client(client.region).send(new DeleteUserPoolClientCommand({ UserPoolId: client.userPoolId, ClientId: client.clientId }));
      this.secrets.delete(client.clientId);
    } catch (error) {
      if ((error as { name?: string }).name === 'ResourceNotFoundException') return;
      throw mapCognitoError(error, 'admin', 'DeleteUserPoolClient');
    }
  }

  async ensureGroup(pool: PoolRef, group: string): Promise<void> {
    try {
      await this.client(pool.region).send(new CreateGroupCommand({ UserPoolId: pool.userPoolId, GroupName: group }));
    } catch (error) {
      if ((error as { name?: string }).name === 'GroupExistsException') return;
      throw mapCognitoError(error, 'admin', 'CreateGroup');
    }
  }

  async listUsernames(pool: PoolRef): Promise<string[]> {
    const users = await this.collect(pool.region, 'ListUsers', async (sdk, token) => {
      const page = await sdk.send(new ListUsersCommand({ UserPoolId: pool.userPoolId, Limit: 60, ...(token ? { PaginationToken: token } : {}) }));
      return { items: page.Users ?? [], next: page.PaginationToken };
    });
    return users.map((user) => user.Username ?? '').filter(Boolean);
  }

  async listUserPoolClientIds(pool: PoolRef): Promise<string[]> {
    return (await this.listClients(pool)).map((client) => client.ClientId ?? '').filter(Boolean);
  }

  private listClients(pool: PoolRef) {
    return this.collect(pool.region, 'ListUserPoolClients', async (sdk, token) => {
      const page = await sdk.send(
        new ListUserPoolClientsCommand({ UserPoolId: pool.userPoolId, MaxResults: 60, ...(token ? { NextToken: token } : {}) }),
      );
      return { items: page.UserPoolClients ?? [], next: page.NextToken };
    });
  }

  /** Every item of a paginated Cognito listing (bounded: a runaway token loop stops at 1,000 pages). */
  private async collect<T>(
    region: string,
    operation: string,
    page: (sdk: CognitoIdentityProviderClient, token: string | undefined) => Promise<{ items: T[]; next: string | undefined }>,
  ): Promise<T[]> {
    const items: T[] = [];
    let token: string | undefined;
    for (let pages = 0; pages < 1_000; pages += 1) {
      const current = token;
      const result = await this.call(region, 'admin', operation, (sdk) => page(sdk, current));
      items.push(...result.items);
      token = result.next;
      if (!token) break;
    }
    return items;
  }

  async createFederatedProvider(pool: PoolRef, provider: FederatedProviderInput): Promise<void> {
    await this.call(pool.region, 'admin', 'CreateIdentityProvider', (sdk) =>
      sdk.send(new CreateIdentityProviderCommand(toCreateIdentityProviderInput(pool.userPoolId, provider))),
    );
  }

  async deleteFederatedProvider(pool: PoolRef, name: string): Promise<void> {
    try {
      await this.client(pool.region).send(new DeleteIdentityProviderCommand(toDeleteIdentityProviderInput(pool.userPoolId, name)));
    } catch (error) {
      if ((error as { name?: string }).name === 'ResourceNotFoundException') return;
      throw mapCognitoError(error, 'admin', 'DeleteIdentityProvider');
    }
  }

  async describeFederatedProvider(pool: PoolRef, name: string): Promise<FederatedProviderCopy | undefined> {
    let described;
    try {
      described = await this.client(pool.region).send(new DescribeIdentityProviderCommand(toDescribeIdentityProviderInput(pool.userPoolId, name)));
    } catch (error) {
      if ((error as { name?: string }).name === 'ResourceNotFoundException') return undefined;
      throw mapCognitoError(error, 'admin', 'DescribeIdentityProvider');
    }
    return described.IdentityProvider ? toFederatedProviderCopy(described.IdentityProvider) : undefined;
  }

  async createFederatedProviderCopy(pool: PoolRef, copy: FederatedProviderCopy): Promise<void> {
    await this.call(pool.region, 'admin', 'CreateIdentityProvider', (sdk) =>
      sdk.send(new CreateIdentityProviderCommand(toCreateIdentityProviderCopyInput(pool.userPoolId, copy))),
    );
  }

  async updateFederatedProviderCopy(pool: PoolRef, copy: FederatedProviderCopy): Promise<void> {
    await this.call(pool.region, 'admin', 'UpdateIdentityProvider', (sdk) =>
      sdk.send(new UpdateIdentityProviderCommand(toUpdateIdentityProviderCopyInput(pool.userPoolId, copy))),
    );
  }

  async configureHostedSignIn(
    pool: PoolRef,
    blueprint: UserPoolBlueprint,
    client: AppClientBlueprint,
    clientId: string,
    settings: HostedSignInSettings,
  ): Promise<void> {
    await this.call(pool.region, 'admin', 'UpdateUserPoolClient', (sdk) =>
      sdk.send(new UpdateUserPoolClientCommand(toFederatedClientInput(blueprint, client, pool.userPoolId, clientId, settings))),
    );
  }

  async ensureHostedUiDomain(pool: PoolRef, domainPrefix: string): Promise<string> {
    const described = await this.call(pool.region, 'admin', 'DescribeUserPool', (sdk) =>
      sdk.send(new DescribeUserPoolCommand({ UserPoolId: pool.userPoolId })),
    );
    const existing = described.UserPool?.Domain;
    if (existing) return existing;
    await this.call(pool.region, 'admin', 'CreateUserPoolDomain', (sdk) =>
      sdk.send(new CreateUserPoolDomainCommand(toCreateUserPoolDomainInput(pool.userPoolId, domainPrefix))),
    );
    return domainPrefix;
  }
}
