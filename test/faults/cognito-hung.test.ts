/**
 * Fault: Cognito accepts connections but never answers (a hung endpoint). The
 * API reaches the real emulator through a loopback proxy that the test hangs:
 * identity calls must answer 503 `identity_provider_unavailable` with
 * Retry-After (bounded by the SDK's timeouts and the call deadline, not after
 * minutes), and provisioning must fail over to its retry path, then succeed on
 * `retry` once Cognito answers again.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTenantSchema } from '../../apps/api/src/tenants/dto/tenant.dto.js';
import { TenantsService } from '../../apps/api/src/tenants/tenants.service.js';
import { type RunningApi, startApi, testConfig } from '../support/app.js';
import { stackInfo } from '../support/database.js';
import { uniqueEmail, uniqueSlug } from '../support/factories.js';
import { type TcpProxy, startTcpProxy } from '../support/tcp-proxy.js';
import { createOpenPoolTenant } from '../support/open-pool-tenant.js';
import { call } from '../support/world.js';

let proxy: TcpProxy;
let api: RunningApi;
let slug: string;

beforeAll(async () => {
  const emulator = new URL(stackInfo().cognitoEndpoint);
  proxy = await startTcpProxy({ host: emulator.hostname, port: Number(emulator.port) });
  api = await startApi(
    testConfig({
      COGNITO_ENDPOINT: proxy.url,
      COGNITO_CONNECT_TIMEOUT_MS: '500',
      COGNITO_REQUEST_TIMEOUT_MS: '700',
      COGNITO_DEADLINE_MS: '1500',
    }),
  );
  slug = await createOpenPoolTenant(api);
});

afterAll(async () => {
  await api?.close();
  await proxy?.stop();
});

it.each([
  ['sign-in', '/v1/auth/sign-in', () => ({ tenant: slug, email: uniqueEmail(), password: 'Any-Password-123' })],
  ['sign-up', '/v1/auth/sign-up', () => ({ tenant: slug, email: uniqueEmail(), password: 'Any-Password-123!' })],
  ['refresh', '/v1/auth/refresh', () => ({ tenant: slug, refreshToken: 'opaque-refresh-token' })],
])('%s against a hung Cognito: 503 identity_provider_unavailable with Retry-After', async (_name, path, body) => {
  proxy.hang();
  try {
    const before = proxy.swallowed();
    const response = await call(api.baseUrl, path, { method: 'POST', body: body() });
    expect(response.status, response.text).toBe(503);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.body.code).toBe('identity_provider_unavailable');
    expect(Number(response.headers['retry-after'])).toBeGreaterThan(0);
    // The request did reach the hung endpoint: this is the timeout path, not a refused connection.
    expect(proxy.swallowed()).toBeGreaterThan(before);
  } finally {
    proxy.forward();
  }
}, 20_000);

it('provisioning against a hung Cognito fails over to `failed` (retryable), and `retry` completes it once Cognito answers', async () => {
  const tenants = api.app.get(TenantsService);
  proxy.hang();
  let id: string;
  try {
    const created = await tenants.create(
      createTenantSchema.parse({ name: 'Hung Cognito', slug: uniqueSlug('hung'), tier: 'basic', firstAdminEmail: uniqueEmail() }),
    );
    id = created.tenant.id;
    await created.provisioned;
  } finally {
    proxy.forward();
  }
  const failed = await tenants.get(id);
  expect(failed.status).toBe('failed');
  expect(failed.provisioning.phase).toBe('failed');
  expect(failed.provisioning.lastError).toMatchObject({ step: 'invite_admin', code: 'identity_provider_unavailable' });

  const retried = await tenants.retry(id);
  await retried.finished;
  const active = await tenants.get(id);
  expect(active.status).toBe('active');
  expect(active.provisioning.steps.every((step: { done: boolean }) => step.done)).toBe(true);
  expect(active.provisioning.attempt).toBe(2);
}, 40_000);
