/**
 * Sign-in throttling over real HTTP, with low limits on an API of its own:
 * per (tenant, e-mail) failures and per client address attempts, each a 429
 * problem with Retry-After, and neither leaking whether the account exists.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { uniqueEmail } from '../support/factories.js';
import { type World, buildWorld } from '../support/world.js';

let world: World;

beforeAll(async () => {
  world = await buildWorld({ SIGN_IN_FAILURES_PER_USER: '3', SIGN_IN_FAILURE_WINDOW_SECONDS: '600', SIGN_IN_ATTEMPTS_PER_ADDRESS_PER_MINUTE: '12' });
}, 120_000);

afterAll(async () => {
  await world?.close();
});

const signIn = (tenant: string, email: string, password: string) =>
  world.call('/v1/auth/sign-in', { method: 'POST', body: { tenant, email, password } });

it('locks a (tenant, e-mail) after repeated failures, with Retry-After, even for the right password', async () => {
  const user = world.users.poolA.member;
  const tenant = world.tenants.poolA.slug;
  for (let attempt = 0; attempt < 3; attempt += 1) {
    expect((await signIn(tenant, user.email, 'Wrong-Password-1')).status).toBe(401);
  }
  const locked = await signIn(tenant, user.email, 'Correct-Horse-42-battery');
  expect(locked.status).toBe(429);
  expect(locked.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(locked.body.code).toBe('too_many_requests');
  expect(Number(locked.headers['retry-after'])).toBeGreaterThan(0);
  // Another tenant's user with the same address is a different key.
  expect((await signIn(world.tenants.poolB.slug, user.email, 'Wrong-Password-1')).status).toBe(401);
});

it('locks unknown addresses the same way, so the 429 reveals nothing', async () => {
  const email = uniqueEmail();
  const tenant = world.tenants.bridgeC.slug;
  for (let attempt = 0; attempt < 3; attempt += 1) expect((await signIn(tenant, email, 'Wrong-Password-1')).status).toBe(401);
  expect((await signIn(tenant, email, 'Wrong-Password-1')).status).toBe(429);
});

it('limits attempts per client address across e-mails', async () => {
  let response = await signIn(world.tenants.siloE.slug, uniqueEmail(), 'Wrong-Password-1');
  for (let attempt = 0; attempt < 20 && response.status !== 429; attempt += 1) {
    response = await signIn(world.tenants.siloE.slug, uniqueEmail(), 'Wrong-Password-1');
  }
  expect(response.status).toBe(429);
  expect(response.body.code).toBe('too_many_requests');
  expect(Number(response.headers['retry-after'])).toBeGreaterThan(0);
});
