/**
 * The public identity flows end to end, through all three models, against the
 * running API, the Cognito emulator and real Postgres: sign-up → confirm →
 * sign-in → /v1/me → refresh → sign-out; password reset; TOTP MFA; the same
 * e-mail in two tenants; Gatehouse's own enforcement where the emulator is weak.
 */
import { generateSync } from 'otplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { latestCode } from '../support/emulator-codes.js';
import { uniqueEmail, uniqueSuffix } from '../support/factories.js';
import { type CallOptions, type HttpResponse, type World, type WorldTenant, buildWorld } from '../support/world.js';

const PASSWORD = 'Sturdy-Password-2026';
let world: World;

function expectProblem(response: HttpResponse, status: number, code: string): void {
  expect(response.status, response.text).toBe(status);
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(response.body.code).toBe(code);
}

const post = (path: string, body: unknown, options: CallOptions = {}) => world.call(path, { method: 'POST', body, ...options });

async function mirrorOf(tenant: WorldTenant, email: string) {
  return world.privileged.user.findUniqueOrThrow({ where: { tenantId_email: { tenantId: tenant.id, email } } });
}

/** Signs up and confirms through the API, reading the code from the emulator's log. */
async function registeredUser(tenant: WorldTenant, email = uniqueEmail(), password = PASSWORD): Promise<string> {
  expect((await post('/v1/auth/sign-up', { tenant: tenant.slug, email, password })).status).toBe(202);
  const { username } = await mirrorOf(tenant, email);
  const code = await latestCode(username, 'SignUp');
  expect((await post('/v1/auth/confirm-sign-up', { tenant: tenant.slug, email, code })).status).toBe(204);
  return email;
}

async function signIn(tenant: WorldTenant, email: string, password = PASSWORD) {
  const response = await post('/v1/auth/sign-in', { tenant: tenant.slug, email, password });
  expect(response.status, response.text).toBe(200);
  expect(response.body.status).toBe('signed_in');
  return response.body.tokens as { accessToken: string; idToken: string; refreshToken: string; expiresIn: number };
}

beforeAll(async () => {
  // Many sign-ins come from 127.0.0.1 in this suite; the throttling cases build their own API.
  world = await buildWorld({ SIGN_IN_ATTEMPTS_PER_ADDRESS_PER_MINUTE: '100000', SIGN_IN_FAILURES_PER_USER: '1000' });
  // These journeys start with self-service sign-up, which new tenants refuse by default (`closed`):
  // open the world's Cognito tenants to it. Who may join is tested in sign-up-policy.test.ts.
  for (const key of ['poolA', 'poolB', 'bridgeC', 'bridgeD', 'siloE'] as const) {
    await world.privileged.tenant.update({ where: { id: world.tenants[key].id }, data: { signUpPolicy: 'open' } });
    await world.refresh(world.tenants[key].id);
  }
}, 120_000);

afterAll(async () => {
  await world?.close();
});

describe.each(['poolA', 'bridgeC', 'siloE'] as const)('the full journey in %s', (key) => {
  it('sign-up → confirm → sign-in → /v1/me → refresh → sign-out, and the revoked refresh token fails', async () => {
    const tenant = world.tenants[key];
    const email = uniqueEmail();
    const signUp = await post('/v1/auth/sign-up', { tenant: tenant.slug, email, password: PASSWORD });
    expect(signUp.status).toBe(202);
    expect(signUp.body).toEqual({ status: 'accepted', next: 'confirm_sign_up' });
    const pending = await mirrorOf(tenant, email);
    expect(pending.status).toBe('pending');
    expect(pending.username).not.toBe(email); // opaque Cognito username

    // Unconfirmed, right password: the same 401 as a wrong password (whether an account exists is nobody's business).
    expectProblem(await post('/v1/auth/sign-in', { tenant: tenant.slug, email, password: PASSWORD }), 401, 'invalid_credentials');
    expectProblem(await post('/v1/auth/confirm-sign-up', { tenant: tenant.slug, email, code: '000000' }), 400, 'invalid_code');
    const code = await latestCode(pending.username, 'SignUp');
    expect((await post('/v1/auth/confirm-sign-up', { tenant: tenant.slug, email, code })).status).toBe(204);
    const confirmed = await mirrorOf(tenant, email);
    expect(confirmed.status).toBe('active');
    expect(confirmed.emailVerified).toBe(true);

    const tokens = await signIn(tenant, email);
    expect(tokens.expiresIn).toBeGreaterThan(0);
    const me = await world.call('/v1/me', { token: tokens.accessToken });
    expect(me.status, me.text).toBe(200);
    expect(me.body.user.email).toBe(email);
    expect(me.body.tenant).toMatchObject({ id: tenant.id, slug: tenant.slug, model: tenant.model });
    expect(me.body.roles).toEqual(['member']);

    const refreshed = await post('/v1/auth/refresh', { tenant: tenant.slug, refreshToken: tokens.refreshToken });
    expect(refreshed.status, refreshed.text).toBe(200);
    expect((await world.call('/v1/me', { token: refreshed.body.accessToken })).status).toBe(200);

    expect((await post('/v1/auth/sign-out', { tenant: tenant.slug, refreshToken: tokens.refreshToken })).status).toBe(204);
    expectProblem(await post('/v1/auth/refresh', { tenant: tenant.slug, refreshToken: tokens.refreshToken }), 401, 'invalid_refresh_token');

    // Each step left its lifecycle event in the outbox (issue 15), in order, with its audit entry.
    const events = await world.privileged.eventOutbox.findMany({ where: { tenantId: tenant.id, data: { path: ['userId'], equals: pending.id } }, orderBy: { id: 'asc' } });
    expect(events.map((event) => [event.type, event.data])).toEqual([
      ['user.signed_up', { tenantId: tenant.id, userId: pending.id, email, role: 'member' }],
      ['user.sign_in_failed', { tenantId: tenant.id, userId: pending.id, reason: 'user_not_confirmed' }],
      ['user.confirmed', { tenantId: tenant.id, userId: pending.id, via: 'api' }],
      ['user.signed_in', { tenantId: tenant.id, userId: pending.id, via: 'api' }],
      ['user.signed_out', { tenantId: tenant.id, userId: pending.id }],
    ]);
    const audit = await world.privileged.auditEvent.findMany({ where: { tenantId: tenant.id, target: `user:${pending.id}` }, orderBy: { id: 'asc' } });
    expect(audit.map((entry) => [entry.action, entry.outcome])).toEqual([
      ['user.signed_up', 'success'],
      ['user.sign_in_failed', 'failure'],
      ['user.confirmed', 'success'],
      ['user.signed_in', 'success'],
      ['user.signed_out', 'success'],
    ]);
  });

  it('forgot password → confirm with the e-mailed code → the new password works, the old one does not', async () => {
    const tenant = world.tenants[key];
    const email = await registeredUser(tenant);
    const { username } = await mirrorOf(tenant, email);
    const forgot = await post('/v1/auth/forgot-password', { tenant: tenant.slug, email });
    expect(forgot.status).toBe(202);
    const code = await latestCode(username, 'ForgotPassword');
    const newPassword = 'Brand-New-Password-77';
    expectProblem(await post('/v1/auth/confirm-forgot-password', { tenant: tenant.slug, email, code, newPassword: 'short' }), 400, 'password_policy');
    expect((await post('/v1/auth/confirm-forgot-password', { tenant: tenant.slug, email, code, newPassword })).status).toBe(204);
    await signIn(tenant, email, newPassword);
    expectProblem(await post('/v1/auth/sign-in', { tenant: tenant.slug, email, password: PASSWORD }), 401, 'invalid_credentials');

    const { id } = await mirrorOf(tenant, email);
    const events = await world.privileged.eventOutbox.findMany({ where: { tenantId: tenant.id, data: { path: ['userId'], equals: id } }, orderBy: { id: 'asc' } });
    expect(events.map((event) => event.type).slice(-3)).toEqual(['user.password_reset', 'user.signed_in', 'user.sign_in_failed']);
    expect(events.at(-1)!.data).toMatchObject({ reason: 'invalid_credentials' });
  });
});

describe('TOTP MFA', () => {
  it('set-up, then sign-in needs a code: a wrong one is refused, the right one gives tokens; MFA can be turned off', async () => {
    const tenant = world.tenants.bridgeC;
    const email = await registeredUser(tenant);
    const tokens = await signIn(tenant, email);
    const setup = await world.call('/v1/me/mfa/totp', { method: 'POST', token: tokens.accessToken });
    expect(setup.status, setup.text).toBe(201);
    expect(setup.body.otpauthUri).toContain(`secret=${setup.body.secretCode}`);
    const secret: string = setup.body.secretCode;
    expectProblem(await world.call('/v1/me/mfa/totp/verify', { method: 'POST', token: tokens.accessToken, body: { code: '000000' } }), 400, 'invalid_code');
    const verified = await world.call('/v1/me/mfa/totp/verify', { method: 'POST', token: tokens.accessToken, body: { code: generateSync({ secret }) } });
    expect(verified.status, verified.text).toBe(204);

    const first = await post('/v1/auth/sign-in', { tenant: tenant.slug, email, password: PASSWORD });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ status: 'challenge', challenge: 'SOFTWARE_TOKEN_MFA' });
    const wrong = await post('/v1/auth/challenge', { tenant: tenant.slug, challenge: 'SOFTWARE_TOKEN_MFA', session: first.body.session, code: '123456' });
    expectProblem(wrong, 400, 'invalid_code');
    // The handle is spent; the answer carries a fresh one for the next try.
    expectProblem(await post('/v1/auth/challenge', { challenge: 'SOFTWARE_TOKEN_MFA', session: first.body.session, code: generateSync({ secret }) }), 401, 'invalid_challenge');
    expect(wrong.body.session).toEqual(expect.any(String));

    const answered = await post('/v1/auth/challenge', {
      tenant: tenant.slug,
      email,
      challenge: 'SOFTWARE_TOKEN_MFA',
      session: wrong.body.session,
      code: generateSync({ secret }),
    });
    expect(answered.status, answered.text).toBe(200);
    expect(answered.body.status).toBe('signed_in');
    expect((await world.call('/v1/me', { token: answered.body.tokens.accessToken })).status).toBe(200);

    expect((await world.call('/v1/me/mfa/totp', { method: 'DELETE', token: answered.body.tokens.accessToken })).status).toBe(204);
    expect((await post('/v1/auth/sign-in', { tenant: tenant.slug, email, password: PASSWORD })).body.status).toBe('signed_in');
  });
});

describe('the same e-mail in two tenants is two independent users', () => {
  it.each([
    ['two tenants of one pool', 'poolA', 'poolB'],
    ['tenants in different tiers', 'poolA', 'siloE'],
  ] as const)('%s', async (_name, first, second) => {
    const email = uniqueEmail();
    await registeredUser(world.tenants[first], email, 'First-Tenant-Password-1');
    await registeredUser(world.tenants[second], email, 'Second-Tenant-Password-2');
    const one = await mirrorOf(world.tenants[first], email);
    const two = await mirrorOf(world.tenants[second], email);
    expect(one.id).not.toBe(two.id);
    expect(one.username).not.toBe(two.username);
    expect(one.sub).not.toBe(two.sub);

    const tokensOne = await signIn(world.tenants[first], email, 'First-Tenant-Password-1');
    const tokensTwo = await signIn(world.tenants[second], email, 'Second-Tenant-Password-2');
    expect((await world.call('/v1/me', { token: tokensOne.accessToken })).body.tenant.id).toBe(world.tenants[first].id);
    expect((await world.call('/v1/me', { token: tokensTwo.accessToken })).body.tenant.id).toBe(world.tenants[second].id);
    // Each password opens only its own tenant.
    expectProblem(await post('/v1/auth/sign-in', { tenant: world.tenants[first].slug, email, password: 'Second-Tenant-Password-2' }), 401, 'invalid_credentials');
  });
});

describe('Gatehouse’s own enforcement', () => {
  it('refuses a weak password by the tenant’s policy before calling Cognito (the emulator would accept it)', async () => {
    const tenant = world.tenants.siloE;
    const email = uniqueEmail();
    const response = await post('/v1/auth/sign-up', { tenant: tenant.slug, email, password: 'weakpass' });
    expectProblem(response, 400, 'password_policy');
    expect(response.body.errors.map((error: { message: string }) => error.message)).toEqual(
      expect.arrayContaining(['needs an upper-case letter', 'needs a digit']),
    );
    expect(await world.privileged.user.count({ where: { tenantId: tenant.id, email } })).toBe(0);
  });

  it('refuses a disabled user even though the emulator would sign them in', async () => {
    const tenant = world.tenants.poolA;
    const email = await registeredUser(tenant);
    const user = await mirrorOf(tenant, email);
    await world.privileged.user.update({ where: { tenantId_id: { tenantId: tenant.id, id: user.id } }, data: { status: 'disabled' } });
    expectProblem(await post('/v1/auth/sign-in', { tenant: tenant.slug, email, password: PASSWORD }), 403, 'user_disabled');
  });

  it('refuses sign-in, sign-up and refresh in a suspended tenant', async () => {
    const tenant = world.tenants.bridgeD;
    const email = await registeredUser(tenant);
    const tokens = await signIn(tenant, email);
    await world.privileged.tenant.update({ where: { id: tenant.id }, data: { status: 'suspended' } });
    try {
      await world.refresh(tenant.id);
      expectProblem(await post('/v1/auth/sign-in', { tenant: tenant.slug, email, password: PASSWORD }), 403, 'tenant_suspended');
      expectProblem(await post('/v1/auth/sign-up', { tenant: tenant.slug, email: uniqueEmail(), password: PASSWORD }), 403, 'tenant_suspended');
      expectProblem(await post('/v1/auth/refresh', { tenant: tenant.slug, refreshToken: tokens.refreshToken }), 403, 'tenant_suspended');
    } finally {
      await world.privileged.tenant.update({ where: { id: tenant.id }, data: { status: 'active' } });
      await world.refresh(tenant.id);
    }
  });

  it('answers an unknown user and a wrong password identically', async () => {
    const tenant = world.tenants.poolB;
    const email = await registeredUser(tenant);
    const wrongPassword = await post('/v1/auth/sign-in', { tenant: tenant.slug, email, password: 'Wrong-Password-123' });
    const unknownUser = await post('/v1/auth/sign-in', { tenant: tenant.slug, email: uniqueEmail(), password: 'Wrong-Password-123' });
    expectProblem(wrongPassword, 401, 'invalid_credentials');
    expectProblem(unknownUser, 401, 'invalid_credentials');
    const { requestId: _a, instance: _b, ...first } = wrongPassword.body;
    const { requestId: _c, instance: _d, ...second } = unknownUser.body;
    expect(first).toEqual(second);
  });

  it('answers sign-up and forgot-password the same for a taken and a new address', async () => {
    const tenant = world.tenants.poolA;
    const taken = await registeredUser(tenant);
    const again = await post('/v1/auth/sign-up', { tenant: tenant.slug, email: taken, password: PASSWORD });
    const fresh = await post('/v1/auth/sign-up', { tenant: tenant.slug, email: uniqueEmail(), password: PASSWORD });
    expect(again.status).toBe(fresh.status);
    expect(again.body).toEqual(fresh.body);
    const forgotKnown = await post('/v1/auth/forgot-password', { tenant: tenant.slug, email: taken });
    const forgotUnknown = await post('/v1/auth/forgot-password', { tenant: tenant.slug, email: uniqueEmail() });
    expect(forgotKnown.status).toBe(202);
    expect(forgotUnknown.body).toEqual(forgotKnown.body);
  });

  it('changes the password of the signed-in user, enforcing the policy', async () => {
    const tenant = world.tenants.siloE;
    const email = await registeredUser(tenant);
    const tokens = await signIn(tenant, email);
    expectProblem(
      await world.call('/v1/me/password', { method: 'POST', token: tokens.accessToken, body: { previousPassword: PASSWORD, proposedPassword: 'nope' } }),
      400,
      'password_policy',
    );
    const changed = await world.call('/v1/me/password', {
      method: 'POST',
      token: tokens.accessToken,
      body: { previousPassword: PASSWORD, proposedPassword: 'Changed-Password-909' },
    });
    expect(changed.status, changed.text).toBe(204);
    await signIn(tenant, email, 'Changed-Password-909');
  });
});

describe('tenant routing for public calls', () => {
  it('takes the tenant from the host', async () => {
    const tenant = world.tenants.poolB;
    const email = await registeredUser(tenant);
    const response = await post('/v1/auth/sign-in', { email, password: PASSWORD }, { host: tenant.host });
    expect(response.status, response.text).toBe(200);
  });

  it('refuses a body that names another tenant than the host', async () => {
    const email = uniqueEmail();
    expectProblem(
      await post('/v1/auth/sign-in', { tenant: world.tenants.poolA.slug, email, password: PASSWORD }, { host: world.tenants.poolB.host }),
      403,
      'tenant_mismatch',
    );
  });

  it('asks for a tenant when neither host nor body names one, and 404s an unknown one', async () => {
    expectProblem(await post('/v1/auth/sign-in', { email: uniqueEmail(), password: PASSWORD }), 400, 'validation_failed');
    expectProblem(await post('/v1/auth/sign-in', { tenant: `nope-${uniqueSuffix()}`, email: uniqueEmail(), password: PASSWORD }), 404, 'tenant_not_found');
  });

  it('looks tenants up by host, (verified) e-mail domain and slug, with what a client needs and nothing secret', async () => {
    const tenant = world.tenants.bridgeC;
    const domain = `${uniqueSuffix()}.bridge-c.test`;
    await world.privileged.tenantEmailDomain.create({ data: { tenantId: tenant.id, domain, status: 'verified', verifiedAt: new Date() } });
    await world.refresh(tenant.id);
    for (const query of [`host=${tenant.host}`, `email=someone@${domain}`, `slug=${tenant.slug}`]) {
      const response = await world.call(`/v1/tenants/lookup?${query}`);
      expect(response.status, query).toBe(200);
      expect(response.body.tenant).toEqual({ slug: tenant.slug, name: expect.any(String), tier: 'standard', model: 'bridge' });
      expect(response.body.cognito).toMatchObject({ clientId: tenant.clientId, issuer: tenant.issuer });
      expect(Object.keys(response.body.cognito).sort()).toEqual(['authFlows', 'clientId', 'endpoint', 'issuer', 'region', 'signIn', 'userPoolId']);
      expect(response.text).not.toMatch(/"(client_?secret|secret|password)"/i);
    }
  });

  it('gives one answer for every unknown tenant', async () => {
    const byHost = await world.call(`/v1/tenants/lookup?host=nobody-${uniqueSuffix()}.app.test`);
    const bySlug = await world.call(`/v1/tenants/lookup?slug=nobody-${uniqueSuffix()}`);
    const byEmail = await world.call(`/v1/tenants/lookup?email=x@nobody-${uniqueSuffix()}.test`);
    for (const response of [byHost, bySlug, byEmail]) expectProblem(response, 404, 'tenant_not_found');
    expect(byHost.body.detail).toBe(bySlug.body.detail);
  });
});

describe('bad input is a 4xx problem, never a 5xx', () => {
  it.each([
    ['missing fields', '/v1/auth/sign-in', { tenant: 'x' }],
    ['wrong types', '/v1/auth/sign-up', { tenant: 'x', email: 42, password: true }],
    ['an invalid e-mail', '/v1/auth/sign-up', { tenant: 'x', email: 'not-an-email', password: PASSWORD }],
    ['an unknown field', '/v1/auth/forgot-password', { tenant: 'x', email: 'a@b.test', admin: true }],
    ['a non-numeric code', '/v1/auth/confirm-sign-up', { tenant: 'x', email: 'a@b.test', code: 'abc' }],
    ['a challenge without its answer', '/v1/auth/challenge', { tenant: 'x', email: 'a@b.test', challenge: 'SOFTWARE_TOKEN_MFA', session: 's' }],
  ])('%s: 400 validation_failed', async (_name, path, body) => {
    const response = await post(path, body);
    expectProblem(response, 400, 'validation_failed');
    expect(response.body.errors.length).toBeGreaterThan(0);
  });

  it('a huge body: 413', async () => {
    expectProblem(await world.call('/v1/auth/sign-up', { method: 'POST', rawBody: JSON.stringify({ email: 'a'.repeat(100_000) }) }), 413, 'payload_too_large');
  });

  it('malformed JSON: 400 malformed_json', async () => {
    expectProblem(await world.call('/v1/auth/sign-in', { method: 'POST', rawBody: '{"email":' }), 400, 'malformed_json');
  });
});

describe('where the emulator lacks an operation', () => {
  it('resend-code reaches Cognito and reports the emulator’s missing ResendConfirmationCode as 501, not 500', async () => {
    const tenant = world.tenants.poolA;
    const email = uniqueEmail();
    expect((await post('/v1/auth/sign-up', { tenant: tenant.slug, email, password: PASSWORD })).status).toBe(202);
    const response = await post('/v1/auth/resend-code', { tenant: tenant.slug, email });
    // Real Cognito answers 202 here; the request shape is covered by the adapter's unit spec.
    expectProblem(response, 501, 'not_supported_by_identity_provider');
  });

  it('resend-code for an unknown or confirmed address gives the generic 202 without calling Cognito', async () => {
    const response = await post('/v1/auth/resend-code', { tenant: world.tenants.poolA.slug, email: uniqueEmail() });
    expect(response.status).toBe(202);
  });
});
