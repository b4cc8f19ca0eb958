/**
 * Operators' identity providers federated through Cognito, end to end on the
 * local stack: who may call the routes, input rules (attribute mapping without
 * tenant or role targets, redirect URLs), the pool model's refusal, the
 * emulator's lack of CreateIdentityProvider answered as a clean 409 with
 * nothing written, and lookup / list / removal of stored providers.
 *
 * The emulator (cognito-local) has no CreateIdentityProvider, domains or hosted
 * UI, so a provider cannot be ADDED here; stored rows are inserted directly to
 * exercise what reads them (README "SSO through Cognito": what ran and what not).
 */
import { randomUUID } from 'node:crypto';
import {
  AdminCreateUserCommand,
  AdminSetUserPasswordCommand,
  type CognitoIdentityProviderClient,
  InitiateAuthCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEmulatorClient } from '../../tools/local-stack/cognito.js';
import { createLocalOperator, signInLocalOperator } from '../../tools/local-stack/seed.js';
import { uniqueEmail } from '../support/factories.js';
import { type CallOptions, type HttpResponse, type World, type WorldTenant, buildWorld } from '../support/world.js';

let world: World;
let operatorToken: string;
let cognito: CognitoIdentityProviderClient;

function expectProblem(response: HttpResponse, status: number, code: string): void {
  expect(response.status, response.text).toBe(status);
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(response.body.code).toBe(code);
}

const asOperator = (path: string, options: CallOptions = {}) => world.call(path, { token: operatorToken, ...options });
const routeOf = (tenant: WorldTenant) => `/v1/admin/tenants/${tenant.id}/federated-providers`;

/**
 * A user as Cognito federation creates it (`<provider>_<subject>`, the `identities` attribute), made with
 * AdminCreateUser since the emulator cannot federate, signed in through the tenant's public client: its access token.
 */
async function federatedUserToken(tenant: WorldTenant, username: string, attributes: Record<string, string>): Promise<string> {
  const poolId = tenant.issuer.split('/').at(-1)!;
  await cognito.send(
    new AdminCreateUserCommand({
      UserPoolId: poolId,
      Username: username,
      MessageAction: 'SUPPRESS',
      UserAttributes: Object.entries(attributes).map(([Name, Value]) => ({ Name, Value })),
    }),
  );
  const password = `Federated-${randomUUID()}`;
  await cognito.send(new AdminSetUserPasswordCommand({ UserPoolId: poolId, Username: username, Password: password, Permanent: true }));
  const auth = await cognito.send(
    new InitiateAuthCommand({ ClientId: tenant.clientId, AuthFlow: 'USER_PASSWORD_AUTH', AuthParameters: { USERNAME: username, PASSWORD: password } }),
  );
  return auth.AuthenticationResult!.AccessToken!;
}

const googleBody = () => ({
  provider: { type: 'Google', clientId: 'google-client', clientSecret: 'google-secret', displayName: 'Google', attributeMapping: { email: 'email' } },
  callbackUrls: ['https://app.example/callback'],
});

beforeAll(async () => {
  world = await buildWorld();
  cognito = createEmulatorClient(world.stack.cognitoEndpoint, world.stack.region);
  const operators = world.stack.sharedPools['operators']!;
  const pool = { userPoolId: operators.userPoolId, clientId: operators.clientId! };
  const operator = await createLocalOperator(cognito, pool, { email: uniqueEmail('ops.test'), password: `Operator-${randomUUID()}` });
  operatorToken = (await signInLocalOperator(cognito, pool, operator)).accessToken;
}, 120_000);

afterAll(async () => {
  cognito?.destroy();
  await world?.close();
});

describe('only operators manage federated providers', () => {
  it('no token 401; a tenant admin, member or viewer 403 (of this tenant or another)', async () => {
    const bridge = world.tenants.bridgeC;
    expect((await world.call(routeOf(bridge))).status).toBe(401);
    expect((await world.call(routeOf(bridge), { method: 'POST', body: googleBody() })).status).toBe(401);
    for (const user of [world.users.bridgeC.admin, world.users.bridgeC.member, world.users.bridgeC.viewer, world.users.bridgeD.admin]) {
      const token = (await world.tokens(user)).accessToken;
      expectProblem(await world.call(routeOf(bridge), { token }), 403, 'insufficient_role');
      expectProblem(await world.call(routeOf(bridge), { method: 'POST', token, body: googleBody() }), 403, 'insufficient_role');
      expectProblem(await world.call(`${routeOf(bridge)}/Google`, { method: 'DELETE', token }), 403, 'insufficient_role');
    }
    expect(await world.privileged.tenantFederatedProvider.count({ where: { tenantId: bridge.id } })).toBe(0);
  }, 60_000);
});

describe('input rules', () => {
  it('refuses tenant and role attribute targets, unmapped e-mail, bad redirect URLs and an admin default role with 400', async () => {
    const bridge = world.tenants.bridgeC;
    const tenantTarget = await asOperator(routeOf(bridge), {
      method: 'POST',
      body: { ...googleBody(), provider: { ...googleBody().provider, attributeMapping: { email: 'email', 'custom:tenantId': 'hd' } } },
    });
    expectProblem(tenantTarget, 400, 'validation_failed');
    expect(JSON.stringify(tenantTarget.body)).toContain('attributeMapping.custom:tenantId');
    expectProblem(
      await asOperator(routeOf(bridge), { method: 'POST', body: { ...googleBody(), provider: { ...googleBody().provider, attributeMapping: { name: 'name' } } } }),
      400,
      'validation_failed',
    );
    for (const url of ['http://app.example/cb', 'https://user:pw@app.example/cb', 'https://app.example/cb#x', 'not a url']) {
      expectProblem(await asOperator(routeOf(bridge), { method: 'POST', body: { ...googleBody(), callbackUrls: [url] } }), 400, 'validation_failed');
    }
    expectProblem(
      await asOperator(routeOf(bridge), { method: 'POST', body: { ...googleBody(), provider: { ...googleBody().provider, defaultRole: 'admin' } } }),
      400,
      'validation_failed',
    );
    expectProblem(
      await asOperator(routeOf(bridge), {
        method: 'POST',
        body: { ...googleBody(), provider: { type: 'OIDC', name: 'acme_ad', issuer: 'https://idp.example', clientId: 'c', clientSecret: 's', displayName: 'Acme', attributeMapping: { email: 'email' } } },
      }),
      400,
      'validation_failed',
    );
    expectProblem(await asOperator('/v1/admin/tenants/not-a-uuid/federated-providers'), 400, 'validation_failed');
    expectProblem(await asOperator(`/v1/admin/tenants/${randomUUID()}/federated-providers`), 404, 'tenant_not_found');
    expectProblem(await asOperator(`/v1/admin/tenants/${randomUUID()}/federated-providers`, { method: 'POST', body: googleBody() }), 404, 'tenant_not_found');
    expect(await world.privileged.tenantFederatedProvider.count({ where: { tenantId: bridge.id } })).toBe(0);
  }, 60_000);

  it('the pool model is refused with 409 federation_not_available_in_pool_model', async () => {
    const pool = world.tenants.poolA;
    expectProblem(await asOperator(routeOf(pool), { method: 'POST', body: googleBody() }), 409, 'federation_not_available_in_pool_model');
    expect(await world.privileged.tenantFederatedProvider.count({ where: { tenantId: pool.id } })).toBe(0);
  });
});

describe('the emulator cannot federate', () => {
  it.each(['bridgeC', 'siloE'] as const)('%s: a valid provider gets a clean 409 (never 5xx) and nothing is stored', async (key) => {
    const tenant = world.tenants[key];
    const response = await asOperator(routeOf(tenant), { method: 'POST', body: googleBody() });
    expectProblem(response, 409, 'federation_not_supported_by_identity_provider');
    expect(JSON.stringify(response.body)).not.toContain('google-secret');
    expect(await world.privileged.tenantFederatedProvider.count({ where: { tenantId: tenant.id } })).toBe(0);
    expect((await asOperator(routeOf(tenant))).body).toEqual({ items: [] });
    expect((await world.call(`/v1/tenants/lookup?slug=${tenant.slug}`)).body.sso).toEqual([]);
  }, 60_000);
});

describe('stored providers', () => {
  it('are listed without secrets and become lookup’s cognito-hosted entries; removal needs Cognito (a clean 409 here, the row kept)', async () => {
    const bridge = world.tenants.bridgeD;
    // What a successful add stores (the emulator cannot run it): inserted directly.
    await world.privileged.tenantFederatedProvider.create({
      data: {
        tenantId: bridge.id,
        name: 'acme-ad',
        type: 'SAML',
        displayName: 'Acme AD',
        defaultRole: 'viewer',
        settings: { type: 'SAML', name: 'acme-ad', metadataUrl: 'https://idp.acme.example/metadata', attributeMapping: { email: 'email' } },
        callbackUrls: ['https://acme.example/callback', 'http://localhost:5173/callback'],
        hostedUiDomain: 'gh-test-acme',
      },
    });
    await world.refresh(bridge.id);

    const listed = await asOperator(routeOf(bridge));
    expect(listed.status, listed.text).toBe(200);
    expect(listed.body.items).toEqual([
      expect.objectContaining({ name: 'acme-ad', type: 'SAML', displayName: 'Acme AD', defaultRole: 'viewer', hostedUiDomain: 'gh-test-acme' }),
    ]);

    const lookup = await world.call(`/v1/tenants/lookup?slug=${bridge.slug}`);
    expect(lookup.status, lookup.text).toBe(200);
    expect(lookup.body.sso).toHaveLength(1);
    const [entry] = lookup.body.sso;
    expect(entry).toMatchObject({ kind: 'cognito-hosted', provider: 'acme-ad', name: 'Acme AD' });
    const url = new URL(entry.url);
    expect(url.origin).toBe(`https://gh-test-acme.auth.${lookup.body.cognito.region}.amazoncognito.com`);
    expect(url.pathname).toBe('/oauth2/authorize');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      response_type: 'code',
      client_id: bridge.clientId,
      redirect_uri: 'https://acme.example/callback',
      identity_provider: 'acme-ad',
      scope: 'openid email profile',
    });

    // A user as Cognito federation creates it (`<provider>_<subject>`, the `identities` attribute), made here with
    // AdminCreateUser since the emulator cannot federate: its first token mirrors it into THIS tenant as a viewer.
    const federatedUser = (username: string, attributes: Record<string, string>) => federatedUserToken(bridge, username, attributes);
    const email = uniqueEmail('acme.example');
    const subject = randomUUID();
    const token = await federatedUser(`acme-ad_${subject}`, {
      email,
      email_verified: 'true',
      identities: JSON.stringify([{ userId: subject, providerName: 'acme-ad', providerType: 'SAML', primary: true }]),
    });
    const me = await world.call('/v1/me', { token });
    expect(me.status, me.text).toBe(200);
    expect(await world.privileged.user.findFirstOrThrow({ where: { email } })).toMatchObject({ tenantId: bridge.id, role: 'viewer' });
    // Without Cognito's record naming the provider, or for a provider the tenant lacks: refused as before.
    const noIdentities = await federatedUser(`acme-ad_${randomUUID()}`, { email: uniqueEmail('acme.example') });
    expectProblem(await world.call('/v1/me', { token: noIdentities }), 401, 'unknown_user');
    const otherProvider = await federatedUser(`other-idp_${randomUUID()}`, {
      email: uniqueEmail('acme.example'),
      identities: JSON.stringify([{ userId: '1', providerName: 'other-idp' }]),
    });
    expectProblem(await world.call('/v1/me', { token: otherProvider }), 401, 'unknown_user');

    expectProblem(await asOperator(`${routeOf(bridge)}/nope`, { method: 'DELETE' }), 404, 'federated_provider_not_found');
    expectProblem(await asOperator(`${routeOf(bridge)}/bad_name`, { method: 'DELETE' }), 400, 'validation_failed');
    // The emulator updates the client (provider detached) but has no DeleteIdentityProvider: a clean 409, the row kept.
    expectProblem(await asOperator(`${routeOf(bridge)}/acme-ad`, { method: 'DELETE' }), 409, 'federation_not_supported_by_identity_provider');
    expect(await world.privileged.tenantFederatedProvider.count({ where: { tenantId: bridge.id } })).toBe(1);
    await world.privileged.tenantFederatedProvider.deleteMany({ where: { tenantId: bridge.id } });
  }, 60_000);
});

describe('federated users after a tier move', () => {
  it('their first token from the new pool re-binds their existing row (same id, role and data), never another tenant’s', async () => {
    const bridge = world.tenants.bridgeD;
    const other = world.tenants.bridgeC;
    const identities = (subject: string) => JSON.stringify([{ userId: subject, providerName: 'acme-move', providerType: 'SAML', primary: true }]);
    for (const tenant of [bridge, other]) {
      await world.privileged.tenantFederatedProvider.create({
        data: { tenantId: tenant.id, name: tenant === bridge ? 'acme-move' : 'acme-move-c', type: 'SAML', displayName: 'Acme', defaultRole: 'viewer', settings: {}, callbackUrls: ['https://acme.example/callback'], hostedUiDomain: 'gh-test-acme' },
      });
      await world.refresh(tenant.id);
    }
    // The tenant's row for this federated user as the SOURCE pool of a finished move left it: another pool's identity, promoted to admin.
    const subject = randomUUID();
    const username = `acme-move_${subject}`;
    const email = uniqueEmail('acme.example');
    const former = `https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Former${randomUUID().slice(0, 8)}`;
    const row = await world.privileged.user.create({
      data: { tenantId: bridge.id, email, username, issuer: former, sub: randomUUID(), status: 'active', role: 'admin', emailVerified: true },
    });
    // Another tenant's row under the same username and a former pool: never touched.
    const stranger = await world.privileged.user.create({
      data: { tenantId: other.id, email: uniqueEmail('other.example'), username, issuer: `${former}x`, sub: randomUUID(), status: 'active', role: 'admin', emailVerified: true },
    });

    // Cognito re-creates the user at its first federated sign-in in the tenant's (new) pool: same username, new sub.
    const token = await federatedUserToken(bridge, username, { email, email_verified: 'true', identities: identities(subject) });
    const me = await world.call('/v1/me', { token });
    expect(me.status, me.text).toBe(200);
    const rebound = await world.privileged.user.findUniqueOrThrow({ where: { tenantId_id: { tenantId: bridge.id, id: row.id } } });
    expect(rebound).toMatchObject({ issuer: bridge.issuer, role: 'admin', email });
    expect(rebound.sub).not.toBe(row.sub);
    expect(await world.privileged.user.count({ where: { tenantId: bridge.id, username } })).toBe(1);
    expect(await world.privileged.user.findUniqueOrThrow({ where: { tenantId_id: { tenantId: other.id, id: stranger.id } } })).toMatchObject({
      issuer: stranger.issuer,
      sub: stranger.sub,
    });
    // The next request finds the row by its new identity directly.
    expect((await world.call('/v1/me', { token })).status).toBe(200);
    await world.privileged.tenantFederatedProvider.deleteMany({ where: { tenantId: { in: [bridge.id, other.id] } } });
  }, 60_000);
});
