/**
 * Rate limits of the public identity routes over real HTTP: shared by two API
 * replicas (separate processes) through Postgres and through Redis, per client
 * address as seen through trusted and untrusted proxies, per tenant, per
 * (tenant, e-mail), documented in OpenAPI, and surviving a store outage (a
 * Redis that accepts connections and never answers) without a 5xx.
 */
import { randomUUID } from 'node:crypto';
import { type Server, type Socket, createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, startApiReplica, testConfig } from '../support/app.js';
import { uniqueEmail } from '../support/factories.js';
import { type World, buildWorld, call } from '../support/world.js';

const REDIS_URL = 'redis://127.0.0.1:6379';
let world: World;

beforeAll(async () => {
  world = await buildWorld();
}, 120_000);

afterAll(async () => {
  await world?.close();
});

const signIn = (baseUrl: string, tenant: string, email: string, password: string) =>
  call(baseUrl, '/v1/auth/sign-in', { method: 'POST', body: { tenant, email, password } });

function expectTooManyRequests(response: { status: number; headers: Record<string, unknown>; body: { code?: string } }) {
  expect(response.status).toBe(429);
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(response.body.code).toBe('too_many_requests');
  expect(Number(response.headers['retry-after'])).toBeGreaterThan(0);
}

describe.each([
  { store: 'postgres', env: {} as Record<string, string> },
  { store: 'redis', env: { REDIS_URL } as Record<string, string> },
])('shared across two API replicas ($store)', ({ env }) => {
  it('counts sign-in failures of one (tenant, e-mail) on both replicas', { timeout: 180_000 }, async () => {
    const shared = { ...env, RATE_LIMIT_NAMESPACE: `replicas-${randomUUID()}`, RATE_LIMIT_STORE_TIMEOUT_MS: '5000', SIGN_IN_FAILURES_PER_USER: '3' };
    const first = await startApiReplica(shared);
    const second = await startApiReplica(shared).catch(async (error: unknown) => {
      await first.stop();
      throw error;
    });
    try {
      const user = world.users.poolB.member;
      const tenant = world.tenants.poolB.slug;
      expect((await signIn(first.baseUrl, tenant, user.email, 'Wrong-Password-1')).status).toBe(401);
      expect((await signIn(second.baseUrl, tenant, user.email, 'Wrong-Password-1')).status).toBe(401);
      expect((await signIn(first.baseUrl, tenant, user.email, 'Wrong-Password-1')).status).toBe(401);
      // Three failures in all, none of them three on one replica: both refuse now, even the right password.
      expectTooManyRequests(await signIn(second.baseUrl, tenant, user.email, 'Correct-Horse-42-battery'));
      expectTooManyRequests(await signIn(first.baseUrl, tenant, user.email, 'Correct-Horse-42-battery'));
    } finally {
      await Promise.all([first.stop(), second.stop()]);
    }
  });
});

describe('client address', () => {
  const lookup = (baseUrl: string, forwardedFor: string) =>
    call(baseUrl, `/v1/tenants/lookup?slug=${world.tenants.siloE.slug}`, { headers: { 'x-forwarded-for': forwardedFor } });

  it('comes from X-Forwarded-For when the peer is a trusted proxy: the right-most hop that is not one', async () => {
    const api = await startApi(testConfig({ TRUSTED_PROXY_CIDRS: '127.0.0.1/32, 10.0.0.0/8', RATE_LIMIT_PER_ADDRESS_PER_MINUTE: '2' }));
    try {
      expect((await lookup(api.baseUrl, '203.0.113.1')).status).toBe(200);
      expect((await lookup(api.baseUrl, '203.0.113.1, 10.1.2.3')).status).toBe(200); // a trusted hop is skipped
      expectTooManyRequests(await lookup(api.baseUrl, '203.0.113.1'));
      // A client cannot escape by prepending addresses: the left-most entries are its own words.
      expectTooManyRequests(await lookup(api.baseUrl, '198.51.100.7, 203.0.113.1'));
      // Another client behind the same proxy has its own budget.
      expect((await lookup(api.baseUrl, '203.0.113.2')).status).toBe(200);
    } finally {
      await api.close();
    }
  });

  it('is the direct peer when the peer is not a trusted proxy, whatever X-Forwarded-For says', async () => {
    const api = await startApi(testConfig({ TRUSTED_PROXY_CIDRS: '10.0.0.0/8', RATE_LIMIT_PER_ADDRESS_PER_MINUTE: '2' }));
    try {
      expect((await lookup(api.baseUrl, '203.0.113.11')).status).toBe(200);
      expect((await lookup(api.baseUrl, '203.0.113.12')).status).toBe(200);
      expectTooManyRequests(await lookup(api.baseUrl, '203.0.113.13'));
    } finally {
      await api.close();
    }
  });
});

describe('per tenant and per (tenant, e-mail)', () => {
  it('limits one tenant across client addresses, leaving other tenants alone', async () => {
    const api = await startApi(testConfig({ TRUSTED_PROXY_CIDRS: '127.0.0.1', RATE_LIMIT_PER_TENANT: '2', RATE_LIMIT_TENANT_WINDOW_SECONDS: '600' }));
    try {
      const forgot = (tenant: string, address: string) =>
        call(api.baseUrl, '/v1/auth/forgot-password', { method: 'POST', body: { tenant, email: uniqueEmail() }, headers: { 'x-forwarded-for': address } });
      expect((await forgot(world.tenants.bridgeC.slug, '203.0.113.21')).status).toBe(202);
      expect((await forgot(world.tenants.bridgeC.slug, '203.0.113.22')).status).toBe(202);
      expectTooManyRequests(await forgot(world.tenants.bridgeC.slug, '203.0.113.23'));
      expect((await forgot(world.tenants.bridgeD.slug, '203.0.113.23')).status).toBe(202);
    } finally {
      await api.close();
    }
  });

  it('limits code and e-mail requests per (tenant, e-mail)', async () => {
    const api = await startApi(testConfig({ RATE_LIMIT_PER_USER_PER_HOUR: '2' }));
    try {
      const email = uniqueEmail();
      const resend = (tenant: string, address: string) => call(api.baseUrl, '/v1/auth/resend-code', { method: 'POST', body: { tenant, email: address } });
      expect((await resend(world.tenants.poolA.slug, email)).status).toBe(202);
      expect((await resend(world.tenants.poolA.slug, email.toUpperCase())).status).toBe(202);
      expectTooManyRequests(await resend(world.tenants.poolA.slug, email));
      expect((await resend(world.tenants.poolB.slug, email)).status).toBe(202);
      expect((await resend(world.tenants.poolA.slug, uniqueEmail())).status).toBe(202);
    } finally {
      await api.close();
    }
  });
});

describe('a rate-limit store outage', () => {
  let hung: Server;
  const sockets = new Set<Socket>();

  beforeAll(async () => {
    // Accepts connections and never answers: the worst kind of Redis outage.
    hung = createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => hung.listen(0, '127.0.0.1', resolve));
  });

  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => hung.close(() => resolve()));
  });

  it('is decided by each replica in memory: limits still hold and nothing answers 5xx', async () => {
    const address = hung.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const api = await startApi(testConfig({ REDIS_URL: `redis://127.0.0.1:${port}`, RATE_LIMIT_STORE_TIMEOUT_MS: '100', SIGN_IN_FAILURES_PER_USER: '2' }));
    try {
      const tenant = world.tenants.bridgeD.slug;
      const email = uniqueEmail();
      expect((await signIn(api.baseUrl, tenant, email, 'Wrong-Password-1')).status).toBe(401);
      expect((await signIn(api.baseUrl, tenant, email, 'Wrong-Password-1')).status).toBe(401);
      expectTooManyRequests(await signIn(api.baseUrl, tenant, email, 'Wrong-Password-1'));
      expect((await call(api.baseUrl, `/v1/tenants/lookup?slug=${tenant}`)).status).toBe(200);
    } finally {
      await api.close();
    }
  });
});

it('documents 429 on every public identity route in OpenAPI', async () => {
  const document = (await world.call('/openapi.json')).body as { paths: Record<string, Record<string, { responses: Record<string, unknown> }>> };
  const routes = [
    ['/v1/auth/sign-in', 'post'],
    ['/v1/auth/sign-up', 'post'],
    ['/v1/auth/confirm-sign-up', 'post'],
    ['/v1/auth/resend-code', 'post'],
    ['/v1/auth/forgot-password', 'post'],
    ['/v1/auth/confirm-forgot-password', 'post'],
    ['/v1/auth/challenge', 'post'],
    ['/v1/auth/refresh', 'post'],
    ['/v1/tenants/lookup', 'get'],
  ] as const;
  for (const [path, method] of routes) expect(document.paths[path]?.[method]?.responses['429'], `${method} ${path}`).toBeDefined();
});
