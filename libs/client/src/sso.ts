/**
 * Front-channel SSO: the authorization-code flow with PKCE (S256) from the
 * browser. `begin` remembers the verifier and `state` in the page's session
 * storage (they must survive the redirect, and nothing else may read them
 * across tabs) and returns the URL to send the browser to; `complete` checks
 * the `state` of the callback, uses the stored entry once, and exchanges the
 * code at the token endpoint.
 */
import { SsoError } from './errors.js';
import type { FetchLike } from './http.js';
import { codeChallenge, randomToken } from './pkce.js';
import type { SessionTokens } from './session.js';
import type { SsoOption } from './types.js';

/** The part of the Web Storage API used (`sessionStorage` in a browser). */
export interface KeyValueStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

export class MemoryStorage implements KeyValueStorage {
  private readonly items = new Map<string, string>();
  getItem(key: string): string | null {
    return this.items.get(key) ?? null;
  }
  setItem(key: string, value: string): void {
    this.items.set(key, value);
  }
  removeItem(key: string): void {
    this.items.delete(key);
  }
}

const KEY_PREFIX = 'gatehouse.sso.';

interface PendingSso {
  readonly tenant: string;
  readonly verifier: string;
  readonly redirectUri: string;
  readonly clientId: string;
  readonly tokenEndpoint: string;
}

export interface BeginSsoOptions {
  readonly tenant: string;
  readonly redirectUri: string;
  readonly loginHint?: string;
}

export interface CompletedSso {
  readonly tenant: string;
  readonly tokens: SessionTokens;
  readonly clientId: string;
  readonly tokenEndpoint: string;
}

export async function beginSso(option: SsoOption, options: BeginSsoOptions, storage: KeyValueStorage): Promise<string> {
  if (!option.authorizationEndpoint || !option.tokenEndpoint) {
    throw new SsoError('sso_not_configured', 'This SSO option has no authorization or token endpoint.');
  }
  const verifier = randomToken(32);
  const state = randomToken(16);
  const pending: PendingSso = {
    tenant: options.tenant,
    verifier,
    redirectUri: options.redirectUri,
    clientId: option.clientId,
    tokenEndpoint: option.tokenEndpoint,
  };
  storage.setItem(`${KEY_PREFIX}${state}`, JSON.stringify(pending));
  const url = new URL(option.authorizationEndpoint);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('client_id', option.clientId);
  url.searchParams.set('redirect_uri', options.redirectUri);
  url.searchParams.set('scope', option.scopes.join(' '));
  url.searchParams.set('state', state);
  url.searchParams.set('code_challenge', await codeChallenge(verifier));
  url.searchParams.set('code_challenge_method', 'S256');
  if (option.identityProvider) url.searchParams.set('identity_provider', option.identityProvider);
  if (options.loginHint) url.searchParams.set('login_hint', options.loginHint);
  return url.href;
}

export async function completeSso(callbackUrl: string, storage: KeyValueStorage, fetchImpl: FetchLike): Promise<CompletedSso> {
  const params = new URL(callbackUrl).searchParams;
  const state = params.get('state') ?? '';
  const stored = state ? storage.getItem(`${KEY_PREFIX}${state}`) : null;
  // Once only, whatever happens next: a replayed callback finds nothing.
  if (state) storage.removeItem(`${KEY_PREFIX}${state}`);
  if (!stored) throw new SsoError('invalid_state', 'This sign-in was not started here, or was already completed.');
  const error = params.get('error');
  if (error) throw new SsoError(error, params.get('error_description') ?? 'The identity provider refused the sign-in.');
  const code = params.get('code');
  if (!code) throw new SsoError('invalid_callback', 'The callback carries no authorization code.');
  const pending = JSON.parse(stored) as PendingSso;
  const tokens = await tokenRequest(pending.tokenEndpoint, fetchImpl, {
    grant_type: 'authorization_code',
    code,
    redirect_uri: pending.redirectUri,
    client_id: pending.clientId,
    code_verifier: pending.verifier,
  });
  return { tenant: pending.tenant, tokens, clientId: pending.clientId, tokenEndpoint: pending.tokenEndpoint };
}

/** A form POST to an OAuth token endpoint (public client: `client_id` in the body, no secret). */
export async function tokenRequest(tokenEndpoint: string, fetchImpl: FetchLike, form: Record<string, string>): Promise<SessionTokens> {
  const response = await fetchImpl(tokenEndpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: new URLSearchParams(form).toString(),
    credentials: 'omit',
  });
  const body = (await response.json().catch(() => ({}))) as {
    access_token?: string;
    id_token?: string;
    refresh_token?: string;
    expires_in?: number;
    error?: string;
    error_description?: string;
  };
  if (!response.ok || !body.access_token) {
    throw new SsoError(body.error ?? 'token_request_failed', body.error_description ?? `The token endpoint answered ${response.status}.`);
  }
  return {
    accessToken: body.access_token,
    ...(body.id_token ? { idToken: body.id_token } : {}),
    ...(body.refresh_token ? { refreshToken: body.refresh_token } : {}),
    expiresIn: typeof body.expires_in === 'number' ? body.expires_in : 300,
  };
}
