/**
 * The pool contract on the local stack (issue 10 findings 1 and 6, issue 14
 * row 3), as far as the emulator can show it: Gatehouse's own flows go
 * through each pool's confidential Gatehouse client, sign-up writes the
 * tenant attributes so a self-signed-up user's tokens carry its tenant, tokens
 * of either client resolve the tenant, and front ends are given the public
 * client. (Triggers, SECRET_HASH checks and attribute-write permissions are
 * Cognito's: the emulator ignores them; unit specs cover the exact requests.)
 */
import { AdminGetUserCommand, DescribeUserPoolClientCommand } from '@aws-sdk/client-cognito-identity-provider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeUnverifiedPayload } from '../../apps/api/src/auth/bearer-token.js';
import { createEmulatorClient } from '../../tools/local-stack/cognito.js';
import { loadTierConfigurationFile } from '@gatehouse/tiers';
import { startApi, testConfig } from '../support/app.js';
import { latestCode } from '../support/emulator-codes.js';
import { uniqueEmail } from '../support/factories.js';
import { type World, type WorldTenant, buildWorld, call } from '../support/world.js';

const PASSWORD = 'Sturdy-Password-2026';
let world: World;

beforeAll(async () => {
  world = await buildWorld({ SIGN_IN_ATTEMPTS_PER_ADDRESS_PER_MINUTE: '100000' });
  // Self-service sign-up needs an open tenant (new tenants are `closed`); who may join is tested elsewhere.
  for (const key of ['poolA', 'bridgeC', 'siloE'] as const) {
    await world.privileged.tenant.update({ where: { id: world.tenants[key].id }, data: { signUpPolicy: 'open' } });
    await world.refresh(world.tenants[key].id);
  }
}, 120_000);

afterAll(async () => {
  await world?.close();
});

const post = (path: string, body: unknown, headers: Record<string, string> = {}) => world.call(path, { method: 'POST', body, headers });

/** The tenant's two registered clients, by role (pool tenants: the tier's shared clients from configuration). */
async function clientsOf(tenant: WorldTenant): Promise<{ public: string; gatehouse: string; userPoolId: string }> {
  if (tenant.model === 'pool') {
    const basic = world.stack.sharedPools['basic']!;
    return { public: basic.clientId!, gatehouse: basic.gatehouseClientId!, userPoolId: basic.userPoolId };
  }
  const rows = await world.privileged.tenantAppClient.findMany({ where: { tenantId: tenant.id } });
  const byRole = (role: string) => rows.find((row) => row.role === role)!;
  return { public: byRole('public').clientId, gatehouse: byRole('gatehouse').clientId, userPoolId: byRole('public').userPoolId };
}

async function signUpAndSignIn(tenant: WorldTenant, email = uniqueEmail()) {
  expect((await post('/v1/auth/sign-up', { tenant: tenant.slug, email, password: PASSWORD })).status).toBe(202);
  const user = await world.privileged.user.findUniqueOrThrow({ where: { tenantId_email: { tenantId: tenant.id, email } } });
  const code = await latestCode(user.username, 'SignUp');
  expect((await post('/v1/auth/confirm-sign-up', { tenant: tenant.slug, email, code })).status).toBe(204);
  const signedIn = await post('/v1/auth/sign-in', { tenant: tenant.slug, email, password: PASSWORD }, { 'x-cognito-device-data': 'ZGV2aWNlLWZpbmdlcnByaW50' });
  expect(signedIn.status, signedIn.text).toBe(200);
  return { user, tokens: signedIn.body.tokens as { accessToken: string; idToken: string; refreshToken: string } };
}

describe.each(['poolA', 'bridgeC', 'siloE'] as const)('%s', (key) => {
  it('a self-signed-up user carries its tenant in Cognito and in its ID token, issued to the Gatehouse client (finding 6)', async () => {
    const tenant = world.tenants[key];
    const clients = await clientsOf(tenant);
    const { user, tokens } = await signUpAndSignIn(tenant);

    const cognito = createEmulatorClient(world.stack.cognitoEndpoint, world.stack.region);
    try {
      const stored = await cognito.send(new AdminGetUserCommand({ UserPoolId: clients.userPoolId, Username: user.username }));
      expect(stored.UserAttributes).toEqual(
        expect.arrayContaining([
          { Name: 'custom:tenantId', Value: tenant.id },
          { Name: 'custom:tenantTier', Value: tenant.model === 'pool' ? 'basic' : tenant.model === 'bridge' ? 'standard' : 'premium' },
        ]),
      );
      // The Gatehouse client is confidential; the public one is not.
      const gatehouse = await cognito.send(new DescribeUserPoolClientCommand({ UserPoolId: clients.userPoolId, ClientId: clients.gatehouse }));
      const publicClient = await cognito.send(new DescribeUserPoolClientCommand({ UserPoolId: clients.userPoolId, ClientId: clients.public }));
      expect(gatehouse.UserPoolClient?.ClientSecret).toEqual(expect.any(String));
      expect(publicClient.UserPoolClient?.ClientSecret).toBeUndefined();
    } finally {
      cognito.destroy();
    }

    const idToken = decodeUnverifiedPayload(tokens.idToken)!;
    expect(idToken['custom:tenantId']).toBe(tenant.id);
    expect(idToken['aud']).toBe(clients.gatehouse);
    expect(decodeUnverifiedPayload(tokens.accessToken)!['client_id']).toBe(clients.gatehouse);

    // Tokens issued to the Gatehouse client resolve the tenant like the public client's do.
    const me = await world.call('/v1/me', { token: tokens.accessToken });
    expect(me.status, me.text).toBe(200);
    expect(me.body.tenant.id).toBe(tenant.id);

    // Refresh and sign-out go through the Gatehouse client too.
    const refreshed = await post('/v1/auth/refresh', { tenant: tenant.slug, refreshToken: tokens.refreshToken });
    expect(refreshed.status, refreshed.text).toBe(200);
    expect(decodeUnverifiedPayload(refreshed.body.accessToken as string)!['client_id']).toBe(clients.gatehouse);
  });

  it('tenant lookup gives front ends the public client, never the Gatehouse client', async () => {
    const tenant = world.tenants[key];
    const clients = await clientsOf(tenant);
    const lookup = await world.call(`/v1/tenants/lookup?slug=${tenant.slug}`);
    expect(lookup.status, lookup.text).toBe(200);
    expect(lookup.body.cognito.clientId).toBe(clients.public);
    // Locally the flow that works is USER_PASSWORD_AUTH (the emulator has no SRP); in AWS it is SRP (unit spec of the lookup view).
    expect(lookup.body.cognito.authFlows).toEqual(['ALLOW_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH']);
  });
});

describe('encoded device data for threat protection', () => {
  it('refuses malformed device data with 400 problem+json before anything reaches Cognito', async () => {
    const tenant = world.tenants.poolA;
    const response = await post('/v1/auth/sign-in', { tenant: tenant.slug, email: uniqueEmail(), password: PASSWORD }, { 'x-cognito-device-data': 'not valid data' });
    expect(response.status, response.text).toBe(400);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.body.code).toBe('validation_failed');
  });
});

describe('self sign-up is a per-tier setting (finding 1)', () => {
  it('an invitation-only tier refuses sign-up with 403 sign_up_not_allowed before Cognito is called; other tiers still accept it', async () => {
    // The same deployment with the bridge tier made invitation-only (its pool then has AllowAdminCreateUserOnly, which the emulator ignores).
    const tiers = loadTierConfigurationFile();
    const invitationOnly = { ...tiers, tiers: tiers.tiers.map((tier) => (tier.model === 'bridge' ? { ...tier, selfSignUp: false } : tier)) };
    const api = await startApi(testConfig({ GATEHOUSE_TIERS: JSON.stringify(invitationOnly), SIGN_IN_ATTEMPTS_PER_ADDRESS_PER_MINUTE: '100000' }));
    try {
      const bridge = world.tenants.bridgeC;
      const email = uniqueEmail();
      const refused = await call(api.baseUrl, '/v1/auth/sign-up', { method: 'POST', body: { tenant: bridge.slug, email, password: PASSWORD } });
      expect(refused.status, refused.text).toBe(403);
      expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(refused.body.code).toBe('sign_up_not_allowed');
      expect(await world.privileged.user.count({ where: { tenantId: bridge.id, email } })).toBe(0);

      const pool = world.tenants.poolA;
      const accepted = await call(api.baseUrl, '/v1/auth/sign-up', { method: 'POST', body: { tenant: pool.slug, email: uniqueEmail(), password: PASSWORD } });
      expect(accepted.status, accepted.text).toBe(202);
    } finally {
      await api.close();
    }
  });
});
