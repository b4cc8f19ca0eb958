/**
 * When Cognito cannot be reached, identity calls answer 503 with Retry-After,
 * never 500: an API whose Cognito endpoint is a closed loopback port.
 */
import { createServer } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type RunningApi, startApi, testConfig } from '../support/app.js';
import { uniqueEmail } from '../support/factories.js';
import { createOpenPoolTenant } from '../support/open-pool-tenant.js';
import { call } from '../support/world.js';

let api: RunningApi;
let slug: string;

/** A port that was free a moment ago and now refuses connections. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (!address || typeof address === 'string') throw new Error('no port');
  return address.port;
}

beforeAll(async () => {
  api = await startApi(testConfig({ COGNITO_ENDPOINT: `http://127.0.0.1:${await closedPort()}` }));
  slug = await createOpenPoolTenant(api);
});

afterAll(async () => {
  await api?.close();
});

it.each([
  ['sign-in', '/v1/auth/sign-in', () => ({ tenant: slug, email: uniqueEmail(), password: 'Any-Password-123' })],
  ['sign-up', '/v1/auth/sign-up', () => ({ tenant: slug, email: uniqueEmail(), password: 'Any-Password-123' })],
  ['refresh', '/v1/auth/refresh', () => ({ tenant: slug, refreshToken: 'opaque-refresh-token' })],
])('%s: 503 identity_provider_unavailable with Retry-After', async (_name, path, body) => {
  const response = await call(api.baseUrl, path, { method: 'POST', body: body() });
  expect(response.status, response.text).toBe(503);
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(response.body.code).toBe('identity_provider_unavailable');
  expect(Number(response.headers['retry-after'])).toBeGreaterThan(0);
});
