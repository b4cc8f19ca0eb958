/**
 * CORS on the real API over HTTP: preflights on real routes (public and authenticated), an
 * allowed origin from the configuration and from a tenant's registered host, and refusals that
 * carry no CORS header at all. The real-browser side is in test/browser/.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TrustedIssuersService } from '../../apps/api/src/auth/trusted-issuers.service.js';
import type { PrismaClient } from '../../apps/api/src/database/prisma-client.js';
import { type RunningApi, startApi, testConfig } from '../support/app.js';
import { privilegedClient } from '../support/database.js';
import { type TenantFixture, createTenantRow, uniqueSlug } from '../support/factories.js';
import { call } from '../support/world.js';

const SPA_ORIGIN = 'http://127.0.0.1:5999';
let api: RunningApi;
let privileged: PrismaClient;
let tenant: TenantFixture;
let tenantHost: string;

beforeAll(async () => {
  api = await startApi(testConfig({ CORS_ALLOWED_ORIGINS: SPA_ORIGIN }));
  privileged = privilegedClient();
  tenant = await createTenantRow(privileged);
  tenantHost = `${uniqueSlug('login')}.customer.test`;
  await privileged.tenantHost.create({ data: { tenantId: tenant.id, host: tenantHost } });
  await api.app.get(TrustedIssuersService).refreshTenant(tenant.id);
});

afterAll(async () => {
  await api?.close();
  await privileged?.$disconnect();
});

function preflight(path: string, origin: string, method = 'GET') {
  return call(api.baseUrl, path, {
    method: 'OPTIONS',
    headers: { origin, 'access-control-request-method': method, 'access-control-request-headers': 'authorization, content-type' },
  });
}

describe('CORS preflight', () => {
  it.each(['/v1/tenants/lookup?slug=x', '/v1/me', '/v1/projects', '/v1/auth/sign-in'])('answers %s for the configured SPA origin', async (path) => {
    const response = await preflight(path, SPA_ORIGIN, 'POST');
    expect(response.status).toBe(204);
    expect(response.headers['access-control-allow-origin']).toBe(SPA_ORIGIN);
    expect(String(response.headers['access-control-allow-methods'])).toContain('POST');
    expect(String(response.headers['access-control-allow-headers'])).toContain('authorization');
    expect(response.headers['access-control-allow-credentials']).toBeUndefined();
    expect(response.headers['vary']).toBe('Origin');
  });

  it('answers a page on an active tenant’s registered host, over https only', async () => {
    const allowed = await preflight('/v1/projects', `https://${tenantHost}`);
    expect(allowed.headers['access-control-allow-origin']).toBe(`https://${tenantHost}`);
    const plain = await preflight('/v1/projects', `http://${tenantHost}`);
    expect(plain.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('stops answering for a tenant’s host once the tenant is suspended', async () => {
    const suspended = await createTenantRow(privileged);
    const host = `${uniqueSlug('login')}.customer.test`;
    await privileged.tenantHost.create({ data: { tenantId: suspended.id, host } });
    const issuers = api.app.get(TrustedIssuersService);
    await issuers.refreshTenant(suspended.id);
    expect((await preflight('/v1/me', `https://${host}`)).headers['access-control-allow-origin']).toBe(`https://${host}`);
    await privileged.tenant.update({ where: { id: suspended.id }, data: { status: 'suspended' } });
    await issuers.refreshTenant(suspended.id);
    expect((await preflight('/v1/me', `https://${host}`)).headers['access-control-allow-origin']).toBeUndefined();
  });

  it('gives any other origin no CORS header at all', async () => {
    const response = await preflight('/v1/me', 'https://evil.test');
    expect(response.status).toBe(204);
    expect(Object.keys(response.headers).filter((name) => name.startsWith('access-control-'))).toEqual([]);
  });
});

describe('CORS on actual responses', () => {
  it('echoes the allowed origin on errors too, and exposes Retry-After and the request id', async () => {
    const response = await call(api.baseUrl, '/v1/me', { headers: { origin: SPA_ORIGIN } });
    expect(response.status).toBe(401);
    expect(response.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(response.headers['access-control-allow-origin']).toBe(SPA_ORIGIN);
    expect(String(response.headers['access-control-expose-headers'])).toMatch(/retry-after.*x-request-id/);
    expect(response.headers['vary']).toMatch(/Origin/);
  });

  it('varies on Origin but allows nothing for an unknown origin', async () => {
    const response = await call(api.baseUrl, `/v1/tenants/lookup?slug=${tenant.slug}`, { headers: { origin: 'https://evil.test' } });
    expect(response.status).toBe(200);
    expect(response.headers['access-control-allow-origin']).toBeUndefined();
    expect(response.headers['vary']).toMatch(/Origin/);
  });
});
