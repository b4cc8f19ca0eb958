import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { IssuerRegistry } from '../auth/issuer-registry.js';
import { tenantSnapshot } from '../auth/testing/tenant-snapshot.fixture.js';
import { CORS_EXPOSED_HEADERS, CorsOriginPolicy, registerCors } from './cors.js';

function registry(): IssuerRegistry {
  const sut = new IssuerRegistry([], () => true);
  sut.upsertTenant('t1', tenantSnapshot({ id: 't1', slug: 'acme', hosts: ['login.acme.com'] }));
  sut.upsertTenant('t2', tenantSnapshot({ id: 't2', slug: 'umbrella', hosts: ['login.umbrella.com'], status: 'suspended' }));
  return sut;
}

function policy(configured: readonly string[] = ['http://localhost:5173']): CorsOriginPolicy {
  const tenants = registry();
  return new CorsOriginPolicy({ configured, registry: () => tenants, publicBaseDomain: 'app.example' });
}

describe(CorsOriginPolicy.name, () => {
  it('allows configured origins, exactly', () => {
    const sut = policy();
    expect(sut.allows('http://localhost:5173')).toBe(true);
    expect(sut.allows('http://localhost:5174')).toBe(false);
    expect(sut.allows('https://localhost:5173')).toBe(false);
  });

  it('allows https pages on an active tenant’s registered host or its base-domain subdomain', () => {
    const sut = policy();
    expect(sut.allows('https://login.acme.com')).toBe(true);
    expect(sut.allows('https://acme.app.example')).toBe(true);
  });

  it('refuses tenant hosts over plain http, on other ports, of suspended or unknown tenants, and nested subdomains', () => {
    const sut = policy();
    expect(sut.allows('http://login.acme.com')).toBe(false);
    expect(sut.allows('https://login.acme.com:8443')).toBe(false);
    expect(sut.allows('https://login.umbrella.com')).toBe(false);
    expect(sut.allows('https://umbrella.app.example')).toBe(false);
    expect(sut.allows('https://nobody.app.example')).toBe(false);
    expect(sut.allows('https://evil.acme.app.example')).toBe(false);
    expect(sut.allows('https://login.acme.com.evil.test')).toBe(false);
  });

  it('refuses a missing origin, the opaque "null" origin and things that are not origins', () => {
    const sut = policy();
    expect(sut.allows(undefined)).toBe(false);
    expect(sut.allows('null')).toBe(false);
    expect(sut.allows('https://login.acme.com/path')).toBe(false);
    expect(sut.allows('not a url')).toBe(false);
  });
});

describe(registerCors.name, () => {
  let app: FastifyInstance | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  async function server(): Promise<FastifyInstance> {
    app = Fastify();
    registerCors(app, policy());
    app.get('/v1/things', async (_request, reply) => reply.header('retry-after', '5').send({ ok: true }));
    await app.ready();
    return app;
  }

  it('answers a preflight from an allowed origin on any path with the allow-lists and no wildcard', async () => {
    const sut = await server();
    for (const url of ['/v1/things', '/v1/no-such-route']) {
      const response = await sut.inject({
        method: 'OPTIONS',
        url,
        headers: { origin: 'https://login.acme.com', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
      });
      expect(response.statusCode).toBe(204);
      expect(response.headers['access-control-allow-origin']).toBe('https://login.acme.com');
      expect(response.headers['access-control-allow-methods']).toContain('POST');
      expect(response.headers['access-control-allow-headers']).toContain('authorization');
      expect(response.headers['access-control-allow-credentials']).toBeUndefined();
      expect(response.headers['vary']).toBe('Origin');
    }
  });

  it('answers a preflight from another origin without any CORS header', async () => {
    const sut = await server();
    const response = await sut.inject({
      method: 'OPTIONS',
      url: '/v1/things',
      headers: { origin: 'https://evil.test', 'access-control-request-method': 'GET' },
    });
    expect(response.statusCode).toBe(204);
    expect(Object.keys(response.headers).filter((name) => name.startsWith('access-control-'))).toEqual([]);
  });

  it('echoes an allowed origin on actual responses with the exposed headers, and varies on Origin for everyone', async () => {
    const sut = await server();
    const allowed = await sut.inject({ method: 'GET', url: '/v1/things', headers: { origin: 'http://localhost:5173' } });
    expect(allowed.headers['access-control-allow-origin']).toBe('http://localhost:5173');
    expect(allowed.headers['access-control-expose-headers']).toBe(CORS_EXPOSED_HEADERS.join(', '));
    expect(allowed.headers['vary']).toBe('Origin');
    const refused = await sut.inject({ method: 'GET', url: '/v1/things', headers: { origin: 'https://evil.test' } });
    expect(refused.headers['access-control-allow-origin']).toBeUndefined();
    expect(refused.headers['vary']).toBe('Origin');
    const noOrigin = await sut.inject({ method: 'GET', url: '/v1/things' });
    expect(noOrigin.headers['vary']).toBe('Origin');
  });

  it('leaves a plain OPTIONS request (not a preflight) to the router', async () => {
    const sut = await server();
    const response = await sut.inject({ method: 'OPTIONS', url: '/v1/things', headers: { origin: 'http://localhost:5173' } });
    expect(response.statusCode).toBe(404);
  });
});
