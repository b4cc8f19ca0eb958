/**
 * Refresh and sign-out are bound to the tenant that owns the refresh token
 * (issue 10, finding 5), and token responses are never cached (finding 9):
 * two pool-model tenants share one Cognito pool and one app client, so a
 * refresh token of one works at Cognito through the other's name. Gatehouse
 * verifies the access token Cognito issues for it and releases tokens only to
 * the owner's own, active tenant.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HttpResponse, type World, type WorldUser, buildWorld } from '../support/world.js';

let world: World;

function expectProblem(response: HttpResponse, status: number, code: string): void {
  expect(response.status, response.text).toBe(status);
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(response.body.code).toBe(code);
  expect(response.text).not.toMatch(/accessToken|idToken/);
}

const post = (path: string, body: unknown) => world.call(path, { method: 'POST', body });

async function refreshTokenOf(user: WorldUser): Promise<string> {
  return (await world.tokens(user)).refreshToken;
}

beforeAll(async () => {
  world = await buildWorld();
}, 120_000);

afterAll(async () => {
  await world?.close();
});

describe('refresh is bound to the token owner’s tenant', () => {
  it('releases tokens to the owner’s tenant only, never through another tenant of the same pool', async () => {
    const { poolA, poolB } = world.tenants;
    expect(poolA.issuer).toBe(poolB.issuer);
    expect(poolA.clientId).toBe(poolB.clientId);
    const refreshToken = await refreshTokenOf(world.users.poolA.member);

    expectProblem(await post('/v1/auth/refresh', { tenant: poolB.slug, refreshToken }), 401, 'invalid_refresh_token');
    expectProblem(await world.call('/v1/auth/refresh', { method: 'POST', host: poolB.host, body: { refreshToken } }), 401, 'invalid_refresh_token');

    // Refused, not revoked: the owner's own tenant still refreshes with it.
    const own = await post('/v1/auth/refresh', { tenant: poolA.slug, refreshToken });
    expect(own.status, own.text).toBe(200);
    expect((await world.call('/v1/me', { token: own.body.accessToken })).body.tenant).toMatchObject({ id: poolA.id });
  });

  it('refuses a refresh through another tenant after the owner’s tenant was suspended', async () => {
    const { poolA, poolB } = world.tenants;
    const refreshToken = await refreshTokenOf(world.users.poolA.viewer);
    await world.privileged.tenant.update({ where: { id: poolA.id }, data: { status: 'suspended', suspendedAt: new Date() } });
    try {
      await world.refresh(poolA.id);
      expectProblem(await post('/v1/auth/refresh', { tenant: poolB.slug, refreshToken }), 401, 'invalid_refresh_token');
      expectProblem(await post('/v1/auth/refresh', { tenant: poolA.slug, refreshToken }), 403, 'tenant_suspended');
    } finally {
      await world.privileged.tenant.update({ where: { id: poolA.id }, data: { status: 'active', suspendedAt: null } });
      await world.refresh(poolA.id);
    }
  });

  it('refuses a bridge tenant’s refresh token named through another bridge tenant', async () => {
    const refreshToken = await refreshTokenOf(world.users.bridgeC.member);
    const refused = await post('/v1/auth/refresh', { tenant: world.tenants.bridgeD.slug, refreshToken });
    expect(refused.status, refused.text).toBe(401);
    expect(refused.text).not.toMatch(/accessToken/);
  });

  it('revokes a disabled user’s refresh token in its own tenant and answers 403 user_disabled', async () => {
    const user = world.users.poolB.viewer;
    const refreshToken = await refreshTokenOf(user);
    const where = { tenantId_id: { tenantId: user.tenant.id, id: user.userId } };
    await world.privileged.user.update({ where, data: { status: 'disabled' } });
    try {
      expectProblem(await post('/v1/auth/refresh', { tenant: user.tenant.slug, refreshToken }), 403, 'user_disabled');
    } finally {
      await world.privileged.user.update({ where, data: { status: 'active' } });
    }
    // Enabled again, the revoked token stays revoked.
    expectProblem(await post('/v1/auth/refresh', { tenant: user.tenant.slug, refreshToken }), 401, 'invalid_refresh_token');
  });

  it('answers tokens with Cache-Control: no-store and Pragma: no-cache', async () => {
    const refreshed = await post('/v1/auth/refresh', { tenant: world.tenants.poolB.slug, refreshToken: await refreshTokenOf(world.users.poolB.admin) });
    expect(refreshed.status, refreshed.text).toBe(200);
    expect(refreshed.headers['cache-control']).toBe('no-store');
    expect(refreshed.headers['pragma']).toBe('no-cache');
  });
});

describe('sign-out is bound to the token owner’s tenant', () => {
  it('does not let another tenant of the same pool revoke the token; the owner’s tenant can', async () => {
    const { poolA, poolB } = world.tenants;
    const refreshToken = await refreshTokenOf(world.users.poolA.admin);

    expectProblem(await post('/v1/auth/sign-out', { tenant: poolB.slug, refreshToken }), 401, 'invalid_refresh_token');
    expect((await post('/v1/auth/refresh', { tenant: poolA.slug, refreshToken })).status).toBe(200);

    expect((await post('/v1/auth/sign-out', { tenant: poolA.slug, refreshToken })).status).toBe(204);
    expectProblem(await post('/v1/auth/refresh', { tenant: poolA.slug, refreshToken }), 401, 'invalid_refresh_token');
  });
});
