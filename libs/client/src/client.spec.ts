import { createHash } from 'node:crypto';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ChallengeRetryError, GatehouseClient } from './client.js';
import { GatehouseError, SsoError } from './errors.js';
import { MemoryStorage } from './sso.js';

/** A real HTTP server standing in for the API or an IdP: each test says how it answers and reads what it got. */
interface Received {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: string;
}
type Answer = { status: number; body?: unknown; headers?: Record<string, string> };

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

async function httpServer(handler: (request: Received) => Answer | Promise<Answer>): Promise<{ url: string; received: Received[] }> {
  const received: Received[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', async () => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const request = { method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, headers: req.headers, body };
      received.push(request);
      const answer = await handler(request);
      const problem = answer.status >= 400;
      res.writeHead(answer.status, { 'content-type': problem ? 'application/problem+json' : 'application/json', ...answer.headers });
      res.end(answer.body === undefined ? '' : JSON.stringify(answer.body));
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received };
}

const tokens = (name: string, expiresIn = 3600, refreshToken?: string) => ({
  accessToken: `access-${name}`,
  idToken: `id-${name}`,
  expiresIn,
  tokenType: 'Bearer' as const,
  ...(refreshToken ? { refreshToken } : {}),
});

function clock(start = 1_000_000) {
  let now = start;
  return { now: () => now, advance: (seconds: number) => (now += seconds * 1000) };
}

describe(GatehouseClient.name, () => {
  it('looks a tenant up by e-mail and turns a 404 problem into a GatehouseError with its code', async () => {
    const api = await httpServer(({ query }) =>
      query.get('email') === 'ann@acme.test'
        ? { status: 200, body: { tenant: { slug: 'acme', name: 'Acme', tier: 'basic', model: 'pool' } } }
        : { status: 404, body: { status: 404, code: 'tenant_not_found', title: 'Not Found' } },
    );
    const sut = new GatehouseClient({ baseUrl: api.url });
    expect((await sut.lookupTenant({ email: 'ann@acme.test' })).tenant.slug).toBe('acme');
    const error = await sut.lookupTenant({ email: 'bob@nowhere.test' }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(GatehouseError);
    expect((error as GatehouseError).code).toBe('tenant_not_found');
    expect(api.received[0]?.headers['cookie']).toBeUndefined();
  });

  it('signs in through an MFA challenge, then calls the API with the access token', async () => {
    const api = await httpServer(({ path, body }) => {
      if (path === '/v1/auth/sign-in') return { status: 200, body: { status: 'challenge', challenge: 'SOFTWARE_TOKEN_MFA', session: 'handle-1' } };
      if (path === '/v1/auth/challenge') {
        const answer = JSON.parse(body) as { session: string; code: string; tenant: string };
        return answer.session === 'handle-1' && answer.code === '123456' && answer.tenant === 'acme'
          ? { status: 200, body: { status: 'signed_in', tokens: tokens('1', 3600, 'refresh-1') } }
          : { status: 400, body: { status: 400, code: 'invalid_code' } };
      }
      return { status: 200, body: { items: [] } };
    });
    const sut = new GatehouseClient({ baseUrl: api.url });
    const seen: unknown[] = [];
    sut.onSessionChange((session) => seen.push(session));
    const step = await sut.signIn({ tenant: 'acme', email: 'ann@acme.test', password: 'pw' });
    expect(step).toMatchObject({ status: 'challenge', challenge: 'SOFTWARE_TOKEN_MFA' });
    if (step.status !== 'challenge') throw new Error('expected a challenge');
    expect(await sut.answerChallenge(step, { code: '123456' })).toEqual({ status: 'signed_in' });
    const response = await sut.fetch('/v1/projects');
    expect(response.status).toBe(200);
    expect(api.received.at(-1)?.headers['authorization']).toBe('Bearer access-1');
    expect(seen).toEqual([{ tenant: 'acme', method: 'password' }]);
  });

  it('turns a wrong code into a retry with the fresh handle the API sent', async () => {
    const api = await httpServer(({ path }) =>
      path === '/v1/auth/sign-in'
        ? { status: 200, body: { status: 'challenge', challenge: 'MFA_SETUP', session: 'h1', mfaSetup: { secretCode: 'S', otpauthUri: 'otpauth://totp/x' } } }
        : { status: 400, body: { status: 400, code: 'invalid_code', session: 'h2' } },
    );
    const sut = new GatehouseClient({ baseUrl: api.url });
    const step = await sut.signIn({ tenant: 'acme', email: 'ann@acme.test', password: 'pw' });
    if (step.status !== 'challenge') throw new Error('expected a challenge');
    expect(step.mfaSetup?.secretCode).toBe('S');
    const error = await sut.answerChallenge(step, { code: '000000' }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ChallengeRetryError);
    expect((error as ChallengeRetryError).retry).toMatchObject({ challenge: 'MFA_SETUP', session: 'h2', tenant: 'acme' });
  });

  it('refreshes once before expiry, however many requests need the token at the same time', async () => {
    const api = await httpServer(async ({ path }) => {
      if (path === '/v1/auth/sign-in') return { status: 200, body: { status: 'signed_in', tokens: tokens('1', 300, 'refresh-1') } };
      if (path === '/v1/auth/refresh') {
        await new Promise((resolve) => setTimeout(resolve, 50));
        return { status: 200, body: tokens('2', 300) };
      }
      return { status: 200, body: {} };
    });
    const time = clock();
    const sut = new GatehouseClient({ baseUrl: api.url, now: time.now, refreshLeewaySeconds: 60 });
    await sut.signIn({ tenant: 'acme', email: 'ann@acme.test', password: 'pw' });
    await sut.fetch('/v1/me');
    expect(api.received.filter((r) => r.path === '/v1/auth/refresh')).toHaveLength(0);
    time.advance(250);
    await Promise.all([sut.fetch('/v1/me'), sut.fetch('/v1/projects'), sut.fetch('/v1/me')]);
    const refreshes = api.received.filter((r) => r.path === '/v1/auth/refresh');
    expect(refreshes).toHaveLength(1);
    expect(JSON.parse(refreshes[0]?.body ?? '{}')).toEqual({ tenant: 'acme', refreshToken: 'refresh-1' });
    expect(api.received.filter((r) => r.path.startsWith('/v1/m') || r.path === '/v1/projects').slice(-3).map((r) => r.headers['authorization'])).toEqual([
      'Bearer access-2',
      'Bearer access-2',
      'Bearer access-2',
    ]);
  });

  it('answers a 401 with one refresh and one retry, and keeps the refresh token the API did not rotate', async () => {
    let rejectFirst = true;
    const api = await httpServer(({ path, headers }) => {
      if (path === '/v1/auth/sign-in') return { status: 200, body: { status: 'signed_in', tokens: tokens('1', 3600, 'refresh-1') } };
      if (path === '/v1/auth/refresh') return { status: 200, body: tokens('2') };
      if (headers['authorization'] === 'Bearer access-1' && rejectFirst) {
        rejectFirst = false;
        return { status: 401, body: { status: 401, code: 'token_expired' } };
      }
      return { status: 200, body: { ok: true } };
    });
    const sut = new GatehouseClient({ baseUrl: api.url });
    await sut.signIn({ tenant: 'acme', email: 'ann@acme.test', password: 'pw' });
    expect(await sut.request('/v1/me')).toEqual({ ok: true });
    expect(api.received.at(-1)?.headers['authorization']).toBe('Bearer access-2');
    await sut.signOut();
    expect(JSON.parse(api.received.at(-1)?.body ?? '{}')).toEqual({ tenant: 'acme', refreshToken: 'refresh-1' });
  });

  it('ends the session when the API refuses the refresh', async () => {
    const api = await httpServer(({ path }) => {
      if (path === '/v1/auth/sign-in') return { status: 200, body: { status: 'signed_in', tokens: tokens('1', 3600, 'refresh-1') } };
      if (path === '/v1/auth/refresh') return { status: 401, body: { status: 401, code: 'invalid_refresh_token' } };
      return { status: 401, body: { status: 401, code: 'token_revoked' } };
    });
    const sut = new GatehouseClient({ baseUrl: api.url });
    await sut.signIn({ tenant: 'acme', email: 'ann@acme.test', password: 'pw' });
    const error = await sut.fetch('/v1/me').catch((caught: unknown) => caught);
    expect((error as GatehouseError).code).toBe('invalid_refresh_token');
    expect(sut.signedIn).toBeUndefined();
    expect(await sut.accessToken()).toBeUndefined();
  });

  it('never sends the token to another origin', async () => {
    const api = await httpServer(() => ({ status: 200, body: {} }));
    const sut = new GatehouseClient({ baseUrl: api.url });
    await expect(sut.fetch('https://evil.test/steal')).rejects.toThrow(TypeError);
    expect(api.received).toHaveLength(0);
  });

  it('runs the SSO code flow with PKCE S256, and uses the IdP’s access token as bearer', async () => {
    const issued: Record<string, string> = {};
    const idp = await httpServer(({ path, body }) => {
      if (path !== '/token') return { status: 404 };
      const form = new URLSearchParams(body);
      const challenge = createHash('sha256').update(form.get('code_verifier') ?? '').digest('base64url');
      return form.get('code') === 'the-code' && challenge === issued['challenge'] && form.get('client_id') === 'spa'
        ? { status: 200, body: { access_token: 'idp-access', id_token: 'idp-id', expires_in: 600, token_type: 'Bearer' } }
        : { status: 400, body: { error: 'invalid_grant' } };
    });
    const api = await httpServer(() => ({ status: 200, body: {} }));
    const storage = new MemoryStorage();
    const sut = new GatehouseClient({ baseUrl: api.url, storage });
    const option = { kind: 'oidc', clientId: 'spa', authorizationEndpoint: `${idp.url}/auth`, tokenEndpoint: `${idp.url}/token`, scopes: ['openid', 'email'] };
    const authorize = new URL(await sut.beginSso(option, { tenant: 'acme', redirectUri: 'http://127.0.0.1:5999/callback', loginHint: 'ann' }));
    expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authorize.searchParams.get('scope')).toBe('openid email');
    expect(authorize.searchParams.get('response_type')).toBe('code');
    issued['challenge'] = authorize.searchParams.get('code_challenge') ?? '';
    const callback = `http://127.0.0.1:5999/callback?code=the-code&state=${authorize.searchParams.get('state')}`;
    await sut.completeSso(callback);
    expect(sut.signedIn).toEqual({ tenant: 'acme', method: 'sso' });
    await sut.fetch('/v1/me');
    expect(api.received.at(-1)?.headers['authorization']).toBe('Bearer idp-access');
    // The stored verifier is used once: a replayed callback is refused before any request.
    await expect(sut.completeSso(callback)).rejects.toMatchObject({ code: 'invalid_state' });
    await expect(sut.completeSso('http://127.0.0.1:5999/callback?code=x&state=forged')).rejects.toBeInstanceOf(SsoError);
    expect(idp.received).toHaveLength(1);
  });
});
