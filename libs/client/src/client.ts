/**
 * `GatehouseClient`: a thin layer over the generated types for what every
 * front end does — find the tenant, sign up, sign in through every challenge,
 * SSO, keep the tokens fresh, call the API, sign out.
 *
 * ```ts
 * const gatehouse = new GatehouseClient({ baseUrl: 'https://api.example.com' });
 * const { tenant } = await gatehouse.lookupTenant({ email });
 * let step = await gatehouse.signIn({ tenant: tenant.slug, email, password });
 * if (step.status === 'challenge') step = await gatehouse.answerChallenge(step, { code });
 * const projects = await gatehouse.fetch('/v1/projects').then((r) => r.json());
 * ```
 */
import { GatehouseError } from './errors.js';
import { ApiTransport, type FetchLike, problemOf } from './http.js';
import { type Refresher, type SessionInfo, type SessionTokens, TokenSession } from './session.js';
import { type KeyValueStorage, MemoryStorage, beginSso, completeSso, tokenRequest } from './sso.js';
import type {
  ChallengeName,
  ConfirmSignUpRequest,
  SignInRequest,
  SignInResult,
  SignUpRequest,
  SsoOption,
  TenantLookup,
  TenantQuery,
  TokenSet,
} from './types.js';

export interface GatehouseClientOptions {
  /** The API's base URL, e.g. `https://api.example.com`. */
  readonly baseUrl: string;
  /** Default: the global `fetch` (bound, so browsers do not complain about `this`). */
  readonly fetch?: FetchLike;
  /** Where SSO keeps its PKCE verifier across the redirect. Default: `sessionStorage` in a browser, memory elsewhere. */
  readonly storage?: KeyValueStorage;
  /** Refresh this many seconds before the access token expires (default 60). */
  readonly refreshLeewaySeconds?: number;
  /** Milliseconds since the epoch; tests move it. */
  readonly now?: () => number;
}

/** A sign-in that needs an answer: show the right form, then call `answerChallenge`. */
export interface ChallengeStep {
  readonly status: 'challenge';
  readonly tenant: string;
  readonly email: string;
  readonly challenge: ChallengeName;
  readonly session: string;
  /** MFA_SETUP: the secret for an authenticator app and its otpauth:// URI. */
  readonly mfaSetup?: { readonly secretCode: string; readonly otpauthUri: string };
}

export type SignInStep = { readonly status: 'signed_in' } | ChallengeStep;

/** A wrong code: the API sent a fresh handle, so the same challenge can be answered again. */
export class ChallengeRetryError extends GatehouseError {
  constructor(
    error: GatehouseError,
    readonly retry: ChallengeStep,
  ) {
    super(error.problem, error.retryAfterSeconds);
  }
}

type Listener = (session: SessionInfo | undefined) => void;

export class GatehouseClient {
  private readonly api: ApiTransport;
  private readonly fetchImpl: FetchLike;
  private readonly storage: KeyValueStorage;
  private readonly leewaySeconds: number;
  private readonly now: () => number;
  private session: TokenSession | undefined;
  private readonly listeners = new Set<Listener>();

  constructor(options: GatehouseClientOptions) {
    this.fetchImpl = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.api = new ApiTransport(options.baseUrl, this.fetchImpl);
    this.storage = options.storage ?? (globalThis as { sessionStorage?: KeyValueStorage }).sessionStorage ?? new MemoryStorage();
    this.leewaySeconds = options.refreshLeewaySeconds ?? 60;
    this.now = options.now ?? (() => Date.now());
  }

  // ---- routing -------------------------------------------------------------------------------

  /** Which tenant a host, an e-mail address (its verified domain) or a slug names; 404 `tenant_not_found` otherwise. */
  lookupTenant(query: TenantQuery): Promise<TenantLookup> {
    return this.api.json<TenantLookup>('/v1/tenants/lookup', { query: { ...query } });
  }

  // ---- sign-up -------------------------------------------------------------------------------

  async signUp(request: SignUpRequest): Promise<void> {
    await this.api.json('/v1/auth/sign-up', { body: request });
  }

  async confirmSignUp(request: ConfirmSignUpRequest): Promise<void> {
    await this.api.json('/v1/auth/confirm-sign-up', { body: request });
  }

  async resendCode(request: { tenant?: string; email: string }): Promise<void> {
    await this.api.json('/v1/auth/resend-code', { body: request });
  }

  // ---- password sign-in with challenges ------------------------------------------------------

  async signIn(request: SignInRequest & { tenant: string }): Promise<SignInStep> {
    const result = await this.api.json<SignInResult>('/v1/auth/sign-in', { body: request });
    return this.stepFrom(result, request.tenant, request.email);
  }

  /** Answers NEW_PASSWORD_REQUIRED (`newPassword`) or SOFTWARE_TOKEN_MFA / MFA_SETUP (`code`). */
  async answerChallenge(step: ChallengeStep, answer: { newPassword: string } | { code: string }): Promise<SignInStep> {
    try {
      const result = await this.api.json<SignInResult>('/v1/auth/challenge', {
        body: { tenant: step.tenant, challenge: step.challenge, session: step.session, ...answer },
      });
      return this.stepFrom(result, step.tenant, step.email);
    } catch (error) {
      const session = error instanceof GatehouseError ? error.problem['session'] : undefined;
      if (error instanceof GatehouseError && error.code === 'invalid_code' && typeof session === 'string') {
        throw new ChallengeRetryError(error, { ...step, session });
      }
      throw error;
    }
  }

  private stepFrom(result: SignInResult, tenant: string, email: string): SignInStep {
    if (result.status === 'signed_in') {
      this.start({ tenant, method: 'password' }, result.tokens, (refreshToken) => this.refreshAtGatehouse(tenant, refreshToken));
      return { status: 'signed_in' };
    }
    return {
      status: 'challenge',
      tenant,
      email,
      challenge: result.challenge,
      session: result.session,
      ...(result.mfaSetup ? { mfaSetup: result.mfaSetup } : {}),
    };
  }

  private async refreshAtGatehouse(tenant: string, refreshToken: string): Promise<SessionTokens> {
    return this.api.json<TokenSet>('/v1/auth/refresh', { body: { tenant, refreshToken } });
  }

  // ---- SSO (authorization code + PKCE) -------------------------------------------------------

  /** The URL to send the browser to (`location.assign(url)`); `redirectUri` must be registered at the IdP. */
  beginSso(option: SsoOption, options: { tenant: string; redirectUri: string; loginHint?: string }): Promise<string> {
    return beginSso(option, options, this.storage);
  }

  /** On the redirect URI's page: checks `state`, exchanges the code, and signs the user in. */
  async completeSso(callbackUrl: string): Promise<void> {
    const done = await completeSso(callbackUrl, this.storage, this.fetchImpl);
    this.start({ tenant: done.tenant, method: 'sso' }, done.tokens, (refreshToken) =>
      tokenRequest(done.tokenEndpoint, this.fetchImpl, { grant_type: 'refresh_token', refresh_token: refreshToken, client_id: done.clientId }),
    );
  }

  // ---- session -------------------------------------------------------------------------------

  get signedIn(): SessionInfo | undefined {
    return this.session?.info;
  }

  /** Called with the session after every sign-in and with `undefined` after sign-out or a failed refresh. */
  onSessionChange(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** A valid access token, refreshed first when it expires within the leeway; undefined when signed out. */
  async accessToken(): Promise<string | undefined> {
    const session = this.session;
    if (!session) return undefined;
    if (session.expiresWithin(this.leewaySeconds) && session.canRefresh()) await this.refresh(session);
    return this.session?.currentAccessToken;
  }

  /**
   * `fetch` with the access token, for the API only (a URL on another origin is refused: tokens
   * never leave for a third party). A 401 is answered by one refresh and one retry.
   */
  async fetch(path: string, init: RequestInit = {}): Promise<Response> {
    const url = this.api.url(path);
    if (new URL(url).origin !== new URL(this.api.baseUrl).origin) throw new TypeError(`${url} is not on the API's origin`);
    const send = (token: string | undefined) => {
      const headers = new Headers(init.headers);
      if (token) headers.set('authorization', `Bearer ${token}`);
      if (init.body !== undefined && !headers.has('content-type')) headers.set('content-type', 'application/json');
      return this.fetchImpl(url, { ...init, headers, credentials: 'omit' });
    };
    const session = this.session;
    const response = await send(await this.accessToken());
    if (response.status !== 401 || !session || !session.canRefresh() || this.session !== session) return response;
    await response.body?.cancel();
    await this.refresh(session);
    return send(this.session?.currentAccessToken);
  }

  /** Like `fetch`, but parses JSON and throws {@link GatehouseError} for problem answers. */
  async request<T>(path: string, init: RequestInit = {}): Promise<T> {
    const response = await this.fetch(path, init);
    if (!response.ok) throw await problemOf(response);
    const text = await response.text();
    return (text === '' ? undefined : JSON.parse(text)) as T;
  }

  /** Revokes the refresh token (password sessions) and forgets every token. */
  async signOut(): Promise<void> {
    const session = this.session;
    this.end();
    if (session?.info.method === 'password' && session.refreshToken) {
      try {
        await this.api.json('/v1/auth/sign-out', { body: { tenant: session.info.tenant, refreshToken: session.refreshToken } });
      } catch (error) {
        // The tokens are gone from this page either way; an already revoked token is not an error here.
        if (!(error instanceof GatehouseError) || error.status >= 500) throw error;
      }
    }
  }

  private start(info: SessionInfo, tokens: SessionTokens, refresher: Refresher): void {
    this.session = new TokenSession(info, tokens, refresher, this.now);
    for (const listener of this.listeners) listener(info);
  }

  private end(): void {
    if (!this.session) return;
    this.session = undefined;
    for (const listener of this.listeners) listener(undefined);
  }

  private async refresh(session: TokenSession): Promise<void> {
    try {
      await session.refresh();
    } catch (error) {
      // A refresh the API refuses ends the session; a network failure keeps it for the next try.
      if (error instanceof GatehouseError && error.status < 500 && this.session === session) this.end();
      else if (!(error instanceof GatehouseError) && !(error instanceof TypeError) && this.session === session) this.end();
      throw error;
    }
  }
}
