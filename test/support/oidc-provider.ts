/**
 * A real OpenID Provider (`oidc-provider` 9, ESM) standing in for a tenant's
 * external IdP: its own RSA signing key (generated at start), its own JWKS,
 * on a plain node:http server on 127.0.0.1 with issuer `http://127.0.0.1:<port>`.
 *
 * `idTokenFor()` obtains a genuine ID token the way a relying party would:
 * the authorization-code flow with PKCE (S256) over HTTP — `/auth` → the
 * interaction page (served here, on the same server: it logs in the account
 * named by `login_hint` and grants the requested scopes) → back to `/auth/<uid>`
 * → a redirect to the client's `redirect_uri` carrying the `code` (captured
 * from the `Location` header, never followed) → `/token`.
 *
 * Configuration notes (read from node_modules/oidc-provider/lib, 9.13):
 * - Claims for the `email` and `groups` scopes go into the ID token only with
 *   `conformIdTokenClaims: false`; the default (true) keeps them for userinfo
 *   when an access token is also issued (helpers/grant_common.js).
 * - Web clients may register `http://` redirect URIs (only implicit-flow web
 *   clients are forced to https; helpers/client_schema.js), so plain
 *   `http://127.0.0.1/...` callbacks work without `application_type: native`.
 * - Cookies are not `secure` by default, so `proxy` stays off on plain http.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
// @ts-expect-error -- oidc-provider ships no type declarations (and @types/oidc-provider is not installed); see `ProviderInstance`.
import Provider from 'oidc-provider';
import { generateRsaKey } from './jwt.js';

export interface OidcClientConfig {
  readonly client_id: string;
  /** With a secret the client authenticates with `client_secret_basic`; without, it is public (`none`). */
  readonly client_secret?: string;
  readonly redirect_uris: readonly string[];
}

export interface OidcAccount {
  readonly email: string;
  readonly groups?: readonly string[];
  /** Default true. */
  readonly email_verified?: boolean;
}

export interface StartOidcProviderOptions {
  readonly clients: readonly OidcClientConfig[];
  readonly accounts: Readonly<Record<string, OidcAccount>>;
  /** ID token lifetime in seconds (default 600). */
  readonly idTokenTtlSeconds?: number;
  /**
   * Issue JWT access tokens for this audience (a resource indicator, RFC 8707), carrying the
   * account's `email` and `groups` — what an API-facing IdP (Okta, Auth0, Entra) does. Without
   * it, access tokens are opaque.
   */
  readonly accessTokenAudience?: string;
}

export interface IdTokenRequest {
  readonly accountId: string;
  readonly clientId: string;
  readonly nonce?: string;
  /** Default `openid email profile groups`. */
  readonly scope?: string;
  /** Default: the client's first registered redirect URI. */
  readonly redirectUri?: string;
}

export interface TestOidcProvider {
  /** `http://127.0.0.1:<port>` */
  readonly issuer: string;
  /** From the discovery document. */
  readonly jwksUri: string;
  readonly signingKid: string;
  /** A genuine ID token through the authorization-code flow with PKCE. */
  idTokenFor(request: IdTokenRequest): Promise<string>;
  /** Requests served on the provider's jwks_uri so far. */
  jwksRequests(): number;
  /** Errors the provider reported (`server_error` and friends), for diagnosing a failed flow. */
  errors(): string[];
  stop(): Promise<void>;
}

/** The part of oidc-provider's API used here (it ships no types). */
interface ProviderInstance {
  callback(): (req: IncomingMessage, res: ServerResponse) => void;
  interactionDetails(req: IncomingMessage, res: ServerResponse): Promise<InteractionDetails>;
  interactionFinished(
    req: IncomingMessage,
    res: ServerResponse,
    result: Record<string, unknown>,
    options?: { mergeWithLastSubmission?: boolean },
  ): Promise<void>;
  Grant: GrantConstructor;
  on(event: string, listener: (...args: unknown[]) => void): void;
}
interface InteractionDetails {
  uid: string;
  grantId?: string;
  params: Record<string, string | undefined>;
  prompt: { name: string; details: Record<string, unknown> };
}
interface GrantInstance {
  addOIDCScope(scope: string): void;
  addResourceScope(resource: string, scope: string): void;
  save(): Promise<string>;
}
interface GrantConstructor {
  new (init: { accountId: string; clientId: string }): GrantInstance;
  find(id: string): Promise<GrantInstance | undefined>;
}

const DEFAULT_SCOPE = 'openid email profile groups';

export async function startOidcProvider(options: StartOidcProviderOptions): Promise<TestOidcProvider> {
  const signingKey = generateRsaKey(`op-${randomUUID()}`);
  const privateJwk = { ...signingKey.privateKey.export({ format: 'jwk' }), kid: signingKey.kid, alg: 'RS256', use: 'sig' };
  const accounts = new Map(Object.entries(options.accounts));
  const clients = new Map(options.clients.map((client) => [client.client_id, client]));
  const errors: string[] = [];
  let jwksPath = '';
  let jwksRequests = 0;

  // The server listens first (the issuer needs the port); requests are routed once the provider exists.
  type Handler = (req: IncomingMessage, res: ServerResponse) => void;
  let route: Handler = (_req, res) => void res.writeHead(503).end();
  const server = createServer((req, res) => {
    if ((req.url ?? '/').split('?')[0] === jwksPath) jwksRequests += 1;
    route(req, res);
  });
  server.keepAliveTimeout = 1_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0 }, () => resolve());
  });
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const ttl = options.idTokenTtlSeconds ?? 600;
  const audience = options.accessTokenAudience;

  const configuration = {
    clients: options.clients.map((client) => ({
      client_id: client.client_id,
      ...(client.client_secret ? { client_secret: client.client_secret } : {}),
      redirect_uris: [...client.redirect_uris],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: client.client_secret ? 'client_secret_basic' : 'none',
      id_token_signed_response_alg: 'RS256',
    })),
    jwks: { keys: [privateJwk] },
    adapter: instanceAdapter(),
    async findAccount(_ctx: unknown, sub: string) {
      const account = accounts.get(sub);
      if (!account) return undefined;
      return {
        accountId: sub,
        async claims() {
          return {
            sub,
            email: account.email,
            email_verified: account.email_verified ?? true,
            groups: [...(account.groups ?? [])],
          };
        },
      };
    },
    claims: { email: ['email', 'email_verified'], groups: ['groups'], profile: ['name'] },
    conformIdTokenClaims: false,
    responseTypes: ['code'],
    pkce: { required: () => true },
    // Browsers may call the token endpoint from a public client's own redirect origins (oidc-provider's default, stated).
    clientBasedCORS: (_ctx: unknown, origin: string, client: { clientAuthMethod: string; redirectUris: string[] }) =>
      client.clientAuthMethod === 'none' && client.redirectUris.some((uri) => new URL(uri).origin === origin),
    features: {
      devInteractions: { enabled: false },
      ...(audience
        ? {
            resourceIndicators: {
              enabled: true,
              defaultResource: () => audience,
              useGrantedResource: () => true,
              getResourceServerInfo: () => ({
                scope: DEFAULT_SCOPE,
                audience,
                accessTokenFormat: 'jwt',
                accessTokenTTL: ttl,
                jwt: { sign: { alg: 'RS256' } },
              }),
            },
          }
        : {}),
    },
    // The account's e-mail and groups in JWT access tokens, for APIs that take them as bearer tokens.
    async extraTokenClaims(_ctx: unknown, token: { kind: string; accountId?: string }) {
      const account = token.kind === 'AccessToken' && token.accountId ? accounts.get(token.accountId) : undefined;
      return account ? { email: account.email, email_verified: account.email_verified ?? true, groups: [...(account.groups ?? [])] } : undefined;
    },
    interactions: { url: (_ctx: unknown, interactionRecord: { uid: string }) => `/interaction/${interactionRecord.uid}` },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    ttl: {
      AccessToken: ttl,
      AuthorizationCode: 60,
      IdToken: ttl,
      Interaction: 600,
      Session: 3_600,
      Grant: 3_600,
    },
  };
  const created = new Provider(issuer, configuration) as ProviderInstance;
  for (const event of ['server_error', 'authorization.error', 'grant.error', 'jwks.error', 'discovery.error']) {
    created.on(event, (...args: unknown[]) => {
      const error = args.find((arg) => arg instanceof Error) as (Error & { error_description?: string }) | undefined;
      errors.push(`${event}: ${error ? `${error.message}${error.error_description ? ` (${error.error_description})` : ''}` : 'unknown'}`);
    });
  }
  const handle: Handler = created.callback();
  route = (req, res) => {
    if (!(req.url ?? '/').startsWith('/interaction/')) {
      handle(req, res);
      return;
    }
    interaction(created, accounts, audience, req, res).catch((error: unknown) => {
      errors.push(`interaction: ${String(error)}`);
      if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain' }).end(String(error));
    });
  };

  const stop = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });

  let discovery: { jwks_uri?: string; authorization_endpoint?: string; token_endpoint?: string };
  try {
    const response = await fetch(`${issuer}/.well-known/openid-configuration`);
    if (!response.ok) throw new Error(`discovery answered ${response.status}`);
    discovery = (await response.json()) as typeof discovery;
    if (!discovery.jwks_uri || !discovery.authorization_endpoint || !discovery.token_endpoint) {
      throw new Error(`discovery document lacks endpoints: ${JSON.stringify(discovery)}`);
    }
  } catch (error) {
    await stop();
    throw error;
  }
  const { jwks_uri: jwksUri, authorization_endpoint: authorizationEndpoint, token_endpoint: tokenEndpoint } = discovery as Required<typeof discovery>;
  jwksPath = new URL(jwksUri).pathname;

  return {
    issuer,
    jwksUri,
    signingKid: signingKey.kid,
    idTokenFor: (request) => codeFlow(request, { issuer, authorizationEndpoint, tokenEndpoint, clients, errors }),
    jwksRequests: () => jwksRequests,
    errors: () => [...errors],
    stop,
  };
}

/**
 * oidc-provider's storage, per instance: a Map with expiry (the built-in
 * memory adapter is one LRU shared by every provider in the process, and
 * warns on every start).
 */
function instanceAdapter() {
  type Stored = { payload: Record<string, unknown>; expiresAt: number };
  const store = new Map<string, Stored>();
  const live = (key: string) => {
    const entry = store.get(key);
    if (entry && entry.expiresAt <= Date.now()) {
      store.delete(key);
      return undefined;
    }
    return entry;
  };
  return class InstanceAdapter {
    constructor(private readonly model: string) {}
    private key(id: string) {
      return `${this.model}:${id}`;
    }
    async upsert(id: string, payload: Record<string, unknown>, expiresIn?: number) {
      store.set(this.key(id), { payload: { ...payload }, expiresAt: expiresIn ? Date.now() + expiresIn * 1000 : Number.POSITIVE_INFINITY });
    }
    async find(id: string) {
      return live(this.key(id))?.payload;
    }
    async findByUid(uid: string) {
      for (const [key] of store) {
        const payload = key.startsWith(`${this.model}:`) ? live(key)?.payload : undefined;
        if (payload?.['uid'] === uid) return payload;
      }
      return undefined;
    }
    async findByUserCode(userCode: string) {
      for (const [key] of store) {
        const payload = key.startsWith(`${this.model}:`) ? live(key)?.payload : undefined;
        if (payload?.['userCode'] === userCode) return payload;
      }
      return undefined;
    }
    async consume(id: string) {
      const entry = live(this.key(id));
      if (entry) entry.payload['consumed'] = Math.floor(Date.now() / 1000);
    }
    async destroy(id: string) {
      store.delete(this.key(id));
    }
    async revokeByGrantId(grantId: string) {
      for (const [key, entry] of store) if (entry.payload['grantId'] === grantId) store.delete(key);
    }
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => resolve(body));
    req.on('error', reject);
  });
}

/**
 * The login + consent page: the account is the `login_hint`, or what a browser typed into the
 * login form served when there is none; every requested scope is granted.
 */
async function interaction(
  provider: ProviderInstance,
  accounts: ReadonlyMap<string, OidcAccount>,
  audience: string | undefined,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const details = await provider.interactionDetails(req, res);
  // A browser without a login hint gets the provider's login page, and posts the account back to it.
  const submitted = req.method === 'POST' ? new URLSearchParams(await readBody(req)).get('login') ?? undefined : undefined;
  const accountId = details.params['login_hint'] ?? submitted;
  if (accountId === undefined) {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(
      `<!doctype html><title>Sign in at the identity provider</title><h1>Identity provider</h1>` +
        `<form method="post" action="/interaction/${details.uid}"><label>Account <input name="login" autofocus></label>` +
        `<button type="submit">Sign in</button></form>`,
    );
    return;
  }
  const clientId = details.params['client_id'];
  if (!accountId || !accounts.has(accountId) || !clientId) {
    await provider.interactionFinished(
      req,
      res,
      { error: 'access_denied', error_description: `unknown account ${JSON.stringify(accountId)}` },
      { mergeWithLastSubmission: false },
    );
    return;
  }
  const grant = (details.grantId ? await provider.Grant.find(details.grantId) : undefined) ?? new provider.Grant({ accountId, clientId });
  grant.addOIDCScope(details.params['scope'] ?? 'openid');
  if (audience) grant.addResourceScope(audience, details.params['scope'] ?? 'openid');
  const grantId = await grant.save();
  await provider.interactionFinished(req, res, { login: { accountId }, consent: { grantId } }, { mergeWithLastSubmission: false });
}

interface FlowContext {
  readonly issuer: string;
  readonly authorizationEndpoint: string;
  readonly tokenEndpoint: string;
  readonly clients: ReadonlyMap<string, OidcClientConfig>;
  readonly errors: string[];
}

async function codeFlow(request: IdTokenRequest, context: FlowContext): Promise<string> {
  const client = context.clients.get(request.clientId);
  if (!client) throw new Error(`idTokenFor: no client ${request.clientId} is registered`);
  const redirectUri = request.redirectUri ?? client.redirect_uris[0];
  if (!redirectUri) throw new Error(`idTokenFor: client ${request.clientId} has no redirect URI`);
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const state = randomBytes(12).toString('base64url');

  const authorize = new URL(context.authorizationEndpoint);
  authorize.search = new URLSearchParams({
    client_id: client.client_id,
    redirect_uri: redirectUri,
    response_type: 'code',
    scope: request.scope ?? DEFAULT_SCOPE,
    state,
    login_hint: request.accountId,
    code_challenge: challenge,
    code_challenge_method: 'S256',
    ...(request.nonce !== undefined ? { nonce: request.nonce } : {}),
  }).toString();

  const jar = new CookieJar();
  let url = authorize.href;
  let callback: URL | undefined;
  for (let hop = 0; hop < 10 && !callback; hop += 1) {
    const response = await fetch(url, { redirect: 'manual', headers: jar.header(url) });
    jar.store(response.headers.getSetCookie());
    const location = response.headers.get('location');
    if (response.status < 300 || response.status >= 400 || !location) {
      const body = await response.text();
      throw new Error(`idTokenFor: ${url} answered ${response.status} without a redirect: ${body.slice(0, 500)}; provider errors: ${context.errors.join('; ') || 'none'}`);
    }
    await response.body?.cancel();
    const next = new URL(location, url);
    if (next.href.startsWith(redirectUri)) callback = next;
    else url = next.href;
  }
  if (!callback) throw new Error('idTokenFor: no redirect to the client after 10 hops');
  const params = callback.searchParams;
  if (params.get('error')) {
    throw new Error(`idTokenFor: authorization failed: ${params.get('error')} ${params.get('error_description') ?? ''}`);
  }
  if (params.get('state') !== state) throw new Error('idTokenFor: state mismatch in the callback');
  const code = params.get('code');
  if (!code) throw new Error(`idTokenFor: no code in ${callback.href}`);

  const headers: Record<string, string> = { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' };
  const form = new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: verifier });
  if (client.client_secret) {
    const credentials = `${encodeURIComponent(client.client_id)}:${encodeURIComponent(client.client_secret)}`;
    headers['Authorization'] = `Basic ${Buffer.from(credentials).toString('base64')}`;
  } else {
    form.set('client_id', client.client_id);
  }
  const tokenResponse = await fetch(context.tokenEndpoint, { method: 'POST', headers, body: form.toString() });
  const tokens = (await tokenResponse.json()) as { id_token?: string; error?: string; error_description?: string };
  if (!tokenResponse.ok || !tokens.id_token) {
    throw new Error(`idTokenFor: token endpoint answered ${tokenResponse.status}: ${JSON.stringify(tokens)}`);
  }
  return tokens.id_token;
}

/** Just enough of a cookie jar for one origin: names, paths, deletion. */
class CookieJar {
  private readonly cookies = new Map<string, { value: string; path: string }>();

  store(setCookies: readonly string[]): void {
    for (const line of setCookies) {
      const [pair, ...attributes] = line.split(';').map((part) => part.trim());
      if (!pair) continue;
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      let path = '/';
      let expired = value === '';
      for (const attribute of attributes) {
        const [key = '', attributeValue = ''] = attribute.split('=');
        const lower = key.toLowerCase();
        if (lower === 'path') path = attributeValue || '/';
        if (lower === 'expires' && Date.parse(attributeValue) <= Date.now()) expired = true;
        if (lower === 'max-age' && Number(attributeValue) <= 0) expired = true;
      }
      const key = `${name}\u0000${path}`;
      if (expired) this.cookies.delete(key);
      else this.cookies.set(key, { value, path });
    }
  }

  header(url: string): Record<string, string> {
    const pathname = new URL(url).pathname;
    const pairs: string[] = [];
    for (const [key, cookie] of this.cookies) {
      if (pathname === cookie.path || pathname.startsWith(cookie.path.endsWith('/') ? cookie.path : `${cookie.path}/`)) {
        pairs.push(`${key.split('\u0000')[0]}=${cookie.value}`);
      }
    }
    return pairs.length > 0 ? { Cookie: pairs.join('; ') } : {};
  }
}
