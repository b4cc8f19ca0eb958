/**
 * Issue 13, item 2: a front end signs in at Cognito directly, with the user's
 * e-mail, in all three models, using only what tenant lookup returned — with
 * a third-party client nobody on the project wrote (amazon-cognito-identity-js,
 * USER_PASSWORD_AUTH: the emulator has no SRP) — and then calls the API with
 * the access token. "Same e-mail, different tenants" holds in one shared pool.
 *
 * What the emulator cannot show is covered elsewhere: the e-mail alias of new
 * silo pools (it ignores AliasAttributes: user-pool-requests.spec.ts), SRP in
 * AWS (tenant-lookup.view.spec.ts), the pre sign-up trigger's derivation check
 * (infra/lambdas/pre-sign-up.spec.ts).
 */
import { AuthenticationDetails, CognitoUser, CognitoUserPool, type CognitoUserSession } from 'amazon-cognito-identity-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { latestCode } from '../support/emulator-codes.js';
import { uniqueEmail } from '../support/factories.js';
import { type World, type WorldTenant, buildWorld } from '../support/world.js';

interface LookupBody {
  cognito: {
    region: string;
    userPoolId: string;
    clientId: string;
    issuer: string;
    authFlows: string[];
    endpoint?: string;
    signIn: { usernameKind: 'email' | 'tenant-email'; namespace: string; format: string };
  };
}

let world: World;

beforeAll(async () => {
  world = await buildWorld({ SIGN_IN_ATTEMPTS_PER_ADDRESS_PER_MINUTE: '100000' });
  for (const key of ['poolA', 'poolB', 'bridgeC', 'siloE'] as const) {
    await world.privileged.tenant.update({ where: { id: world.tenants[key].id }, data: { signUpPolicy: 'open' } });
    await world.refresh(world.tenants[key].id);
  }
}, 120_000);

afterAll(async () => {
  await world?.close();
});

const post = (path: string, body: unknown) => world.call(path, { method: 'POST', body });

/** A user signed up and confirmed through Gatehouse's public API (the front end's sign-up). */
async function signUp(tenant: WorldTenant, email: string, password: string): Promise<void> {
  const signedUp = await post('/v1/auth/sign-up', { tenant: tenant.slug, email, password });
  expect(signedUp.status, signedUp.text).toBe(202);
  const user = await world.privileged.user.findUniqueOrThrow({ where: { tenantId_email: { tenantId: tenant.id, email } } });
  const confirmed = await post('/v1/auth/confirm-sign-up', { tenant: tenant.slug, email, code: await latestCode(user.username, 'SignUp') });
  expect(confirmed.status, confirmed.text).toBe(204);
}

async function lookup(tenant: WorldTenant): Promise<LookupBody> {
  const response = await world.call(`/v1/tenants/lookup?slug=${tenant.slug}`);
  expect(response.status, response.text).toBe(200);
  return response.body as LookupBody;
}

/** The username the way a browser client forms it from lookup's `signIn` (WebCrypto, as documented in the README). */
async function usernameFor(signIn: LookupBody['cognito']['signIn'], email: string): Promise<string> {
  if (signIn.usernameKind === 'email') return email;
  expect(signIn.format).toBe('gh1-{hex(sha256(namespace + ":" + lowercase(trim(email))))}');
  const digest = await globalThis.crypto.subtle.digest('SHA-256', new TextEncoder().encode(`${signIn.namespace}:${email.trim().toLowerCase()}`));
  return `gh1-${Buffer.from(digest).toString('hex')}`;
}

/** amazon-cognito-identity-js, configured from lookup alone. Resolves the session or rejects with Cognito's error. */
async function signInAtCognito(config: LookupBody['cognito'], email: string, password: string): Promise<CognitoUserSession> {
  const pool = new CognitoUserPool({ UserPoolId: config.userPoolId, ClientId: config.clientId, ...(config.endpoint ? { endpoint: config.endpoint } : {}) });
  const username = await usernameFor(config.signIn, email);
  const user = new CognitoUser({ Username: username, Pool: pool });
  // The first flow lookup offers, as InitiateAuth names it (without ALLOW_).
  const flow = config.authFlows[0]!.replace(/^ALLOW_/, '');
  expect(flow).toBe('USER_PASSWORD_AUTH');
  user.setAuthenticationFlowType(flow);
  return new Promise((resolve, reject) => {
    user.authenticateUser(new AuthenticationDetails({ Username: username, Password: password }), {
      onSuccess: resolve,
      onFailure: reject,
      newPasswordRequired: () => reject(new Error('unexpected NEW_PASSWORD_REQUIRED')),
      mfaRequired: () => reject(new Error('unexpected MFA')),
      totpRequired: () => reject(new Error('unexpected TOTP')),
    });
  });
}

/** Cognito answers a wrong password with NotAuthorizedException; the emulator with InvalidPasswordException. */
async function expectRefused(signIn: Promise<unknown>): Promise<void> {
  const error = await signIn.then(() => undefined, (caught: unknown) => caught as { code?: string });
  expect(['NotAuthorizedException', 'InvalidPasswordException']).toContain(error?.code);
}

describe.each(['poolA', 'bridgeC', 'siloE'] as const)('%s: direct sign-in at Cognito with the e-mail', (key) => {
  it('signs in with amazon-cognito-identity-js using only what lookup returned, and the access token works on the API', async () => {
    const tenant = world.tenants[key];
    const email = uniqueEmail(`${key.toLowerCase()}.test`);
    const password = 'Direct-Sign-In-2026';
    await signUp(tenant, email, password);

    const { cognito } = await lookup(tenant);
    expect(cognito.endpoint).toBe(world.stack.cognitoEndpoint.replace(/\/+$/, ''));
    expect(cognito.signIn).toEqual({ usernameKind: 'tenant-email', namespace: tenant.id, format: expect.any(String) });

    const session = await signInAtCognito(cognito, email, password);
    const accessToken = session.getAccessToken().getJwtToken();
    expect(session.getAccessToken().decodePayload()['client_id']).toBe(cognito.clientId);

    const me = await world.call('/v1/me', { token: accessToken });
    expect(me.status, me.text).toBe(200);
    expect(me.body.tenant.id).toBe(tenant.id);
    expect(me.body.user.email).toBe(email);

    // A wrong password is refused by Cognito, as usual.
    await expectRefused(signInAtCognito(cognito, email, 'Wrong-Password-2026'));
  });
});

describe('same e-mail, different tenants, one shared pool', () => {
  it('one address signs in to each of two pool-model tenants with its own password and lands in its own tenant', async () => {
    const [a, b] = [world.tenants.poolA, world.tenants.poolB];
    const email = uniqueEmail('shared-person.test');
    await signUp(a, email, 'Password-For-A-2026');
    await signUp(b, email, 'Password-For-B-2026');
    const [lookupA, lookupB] = [await lookup(a), await lookup(b)];
    expect(lookupA.cognito.userPoolId).toBe(lookupB.cognito.userPoolId);
    expect(await usernameFor(lookupA.cognito.signIn, email)).not.toBe(await usernameFor(lookupB.cognito.signIn, email));

    for (const [tenant, config, password] of [[a, lookupA.cognito, 'Password-For-A-2026'], [b, lookupB.cognito, 'Password-For-B-2026']] as const) {
      const session = await signInAtCognito(config, email, password);
      const me = await world.call('/v1/me', { token: session.getAccessToken().getJwtToken() });
      expect(me.status, me.text).toBe(200);
      expect(me.body.tenant.id).toBe(tenant.id);
    }
    // Tenant A's password does not open the same address's account in tenant B.
    await expectRefused(signInAtCognito(lookupB.cognito, email, 'Password-For-A-2026'));
  });

  it('users created before derived usernames keep signing in through Gatehouse’s API', async () => {
    const legacy = world.users.poolA.member; // created with a random opaque username
    expect(legacy.username).not.toMatch(/^gh1-/);
    const signedIn = await post('/v1/auth/sign-in', { tenant: legacy.tenant.slug, email: legacy.email, password: 'Correct-Horse-42-battery' });
    expect(signedIn.status, signedIn.text).toBe(200);
  });
});
