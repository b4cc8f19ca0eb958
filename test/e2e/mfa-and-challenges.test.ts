/**
 * Issue 10, findings 3, 4 and 8 (first half), end to end against the running
 * API, the Cognito emulator and real Postgres:
 * - challenge handles are bound to (tenant, user, challenge), sealed and
 *   single use: a made-up session or another user's handle no longer sets a
 *   password or returns tokens (it did on the local stack before);
 * - per-tenant MFA policy: shared-pool tenants that require MFA hand out no
 *   tokens before TOTP is set up, refuse unenrolled users' direct Cognito
 *   tokens except on the enrolment routes, and refuse turning TOTP off;
 * - operators sign in through the API: password, then TOTP.
 * What the emulator cannot run (Cognito's MFA_SETUP with a session,
 * AdminSetUserMFAPreference) is covered by unit specs of the exact requests.
 */
import { randomUUID } from 'node:crypto';
import { AdminRemoveUserFromGroupCommand, SetUserPoolMfaConfigCommand } from '@aws-sdk/client-cognito-identity-provider';
import { generateSync } from 'otplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEmulatorClient } from '../../tools/local-stack/cognito.js';
import { createLocalOperator } from '../../tools/local-stack/seed.js';
import { createCognitoUser, signInWithPassword } from '../support/cognito-users.js';
import { latestCode } from '../support/emulator-codes.js';
import { uniqueEmail } from '../support/factories.js';
import { type HttpResponse, type World, type WorldTenant, buildWorld } from '../support/world.js';

const PASSWORD = 'Sturdy-Password-2026';
const NEW_PASSWORD = 'Chosen-Password-2026';
let world: World;

function expectProblem(response: HttpResponse, status: number, code: string): void {
  expect(response.status, response.text).toBe(status);
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(response.body.code).toBe(code);
}

const post = (path: string, body: unknown, token?: string) => world.call(path, { method: 'POST', body, ...(token ? { token } : {}) });

interface FreshUser {
  readonly email: string;
  readonly username: string;
  readonly userId: string;
}

/** A confirmed member with a known password, created as provisioning and invitations do (Cognito user + mirror row). */
async function freshUser(tenant: WorldTenant): Promise<FreshUser> {
  const email = uniqueEmail(`${tenant.slug}.test`);
  const poolId = tenant.issuer.split('/').at(-1)!;
  const cognitoUser = await createCognitoUser(world.stack, poolId, {
    email,
    password: PASSWORD,
    groups: ['member'],
    attributes: { 'custom:tenantId': tenant.id },
  });
  const row = await world.privileged.user.create({
    data: { tenantId: tenant.id, email, username: cognitoUser.username, issuer: tenant.issuer, sub: cognitoUser.sub, role: 'member', status: 'active', emailVerified: true },
  });
  return { email, username: cognitoUser.username, userId: row.id };
}

async function setMfaPolicy(tenant: WorldTenant, mfaPolicy: 'off' | 'optional' | 'required'): Promise<void> {
  await world.privileged.tenant.update({ where: { id: tenant.id }, data: { mfaPolicy } });
  await world.refresh(tenant.id);
}

/** An admin invites `email`: Cognito "e-mails" a temporary password (the emulator logs it). */
async function invited(tenant: WorldTenant, email = uniqueEmail(`${tenant.slug}.test`)) {
  const adminToken = (await world.tokens(world.users[tenant.key as 'poolA'].admin)).accessToken;
  const response = await post('/v1/users', { email, role: 'member' }, adminToken);
  expect(response.status, response.text).toBe(201);
  const row = await world.privileged.user.findUniqueOrThrow({ where: { tenantId_email: { tenantId: tenant.id, email } } });
  return { email, userId: row.id, temporaryPassword: await latestCode(row.username, 'AdminCreateUser') };
}

async function signInChallenge(tenant: WorldTenant, email: string, password: string, challenge: string) {
  const response = await post('/v1/auth/sign-in', { tenant: tenant.slug, email, password });
  expect(response.status, response.text).toBe(200);
  expect(response.body).toMatchObject({ status: 'challenge', challenge });
  return response.body as { session: string; mfaSetup?: { secretCode: string; otpauthUri: string } };
}

beforeAll(async () => {
  world = await buildWorld({ SIGN_IN_ATTEMPTS_PER_ADDRESS_PER_MINUTE: '100000', SIGN_IN_FAILURES_PER_USER: '1000' });
}, 120_000);

afterAll(async () => {
  await world?.close();
});

describe('challenge handles are bound to tenant, user and challenge (finding 4)', () => {
  it('a made-up session for another user’s e-mail neither sets their password nor returns tokens', async () => {
    const tenant = world.tenants.poolA;
    const victim = await invited(tenant);
    const attack = await post('/v1/auth/challenge', {
      tenant: tenant.slug,
      email: victim.email,
      challenge: 'NEW_PASSWORD_REQUIRED',
      session: 'AYABeMadeUpSessionThatCognitoLocalIgnores',
      newPassword: NEW_PASSWORD,
    });
    expectProblem(attack, 401, 'invalid_challenge');
    expect(attack.text).not.toContain('accessToken');
    expect((await world.privileged.user.findUniqueOrThrow({ where: { tenantId_id: { tenantId: tenant.id, id: victim.userId } } })).status).toBe('pending');
    // The victim's account is untouched: they finish their own first sign-in, and the attacker's password does not work.
    const own = await signInChallenge(tenant, victim.email, victim.temporaryPassword, 'NEW_PASSWORD_REQUIRED');
    const victimPassword = 'Victims-Own-Password-2026';
    const finished = await post('/v1/auth/challenge', { challenge: 'NEW_PASSWORD_REQUIRED', session: own.session, newPassword: victimPassword });
    expect(finished.body.status, finished.text).toBe('signed_in');
    expectProblem(await post('/v1/auth/sign-in', { tenant: tenant.slug, email: victim.email, password: NEW_PASSWORD }), 401, 'invalid_credentials');
    expect((await post('/v1/auth/sign-in', { tenant: tenant.slug, email: victim.email, password: victimPassword })).body.status).toBe('signed_in');
  });

  it('another user’s handle cannot be pointed at the victim, nor at another tenant', async () => {
    const tenant = world.tenants.poolA;
    const victim = await invited(tenant);
    const attacker = await invited(tenant);
    const { session } = await signInChallenge(tenant, attacker.email, attacker.temporaryPassword, 'NEW_PASSWORD_REQUIRED');
    const answer = { challenge: 'NEW_PASSWORD_REQUIRED', session, newPassword: NEW_PASSWORD };
    expectProblem(await post('/v1/auth/challenge', { tenant: tenant.slug, email: victim.email, ...answer }), 401, 'invalid_challenge');
    expectProblem(await post('/v1/auth/challenge', { tenant: world.tenants.poolB.slug, ...answer }), 401, 'invalid_challenge');
    expectProblem(await world.call('/v1/auth/challenge', { method: 'POST', host: world.tenants.bridgeC.host, body: answer }), 401, 'invalid_challenge');

    // The same handle, for its own user, works: the attacker sets only their own password.
    const own = await post('/v1/auth/challenge', answer);
    expect(own.status, own.text).toBe(200);
    expect(own.body.status).toBe('signed_in');
    const me = await world.call('/v1/me', { token: own.body.tokens.accessToken });
    expect(me.body.user.email).toBe(attacker.email);
    await signInChallenge(tenant, victim.email, victim.temporaryPassword, 'NEW_PASSWORD_REQUIRED');
  });

  it('a handle is single use; an altered or truncated one is refused', async () => {
    const tenant = world.tenants.bridgeC;
    const user = await invited(tenant);
    const { session } = await signInChallenge(tenant, user.email, user.temporaryPassword, 'NEW_PASSWORD_REQUIRED');
    const tampered = `${session.slice(0, -6)}${session.slice(-6).split('').reverse().join('')}`;
    expectProblem(await post('/v1/auth/challenge', { challenge: 'NEW_PASSWORD_REQUIRED', session: tampered, newPassword: NEW_PASSWORD }), 401, 'invalid_challenge');
    expectProblem(await post('/v1/auth/challenge', { challenge: 'NEW_PASSWORD_REQUIRED', session: session.slice(0, 40), newPassword: NEW_PASSWORD }), 401, 'invalid_challenge');
    // A password the policy refuses does not spend the handle.
    expectProblem(await post('/v1/auth/challenge', { challenge: 'NEW_PASSWORD_REQUIRED', session, newPassword: 'short' }), 400, 'password_policy');
    // Named for a different challenge than it was sealed for: refused.
    expectProblem(await post('/v1/auth/challenge', { challenge: 'SOFTWARE_TOKEN_MFA', session, code: '123456' }), 401, 'invalid_challenge');

    const first = await post('/v1/auth/challenge', { tenant: tenant.slug, email: user.email, challenge: 'NEW_PASSWORD_REQUIRED', session, newPassword: NEW_PASSWORD });
    expect(first.status, first.text).toBe(200);
    expect(first.body.status).toBe('signed_in');
    const replay = await post('/v1/auth/challenge', { challenge: 'NEW_PASSWORD_REQUIRED', session, newPassword: 'Another-Password-2026' });
    expectProblem(replay, 401, 'invalid_challenge');
    // The replay changed nothing: the password chosen first is the one that works.
    expect((await post('/v1/auth/sign-in', { tenant: tenant.slug, email: user.email, password: NEW_PASSWORD })).body.status).toBe('signed_in');
  });
});

describe.each(['poolB', 'bridgeD'] as const)('a %s tenant that requires MFA (finding 3, enforced by Gatehouse)', (key) => {
  beforeAll(async () => {
    await setMfaPolicy(world.tenants[key], 'required');
  });

  it('hands out no tokens before TOTP is set up: MFA_SETUP with the secret, then the tokens; then TOTP at every sign-in', async () => {
    const tenant = world.tenants[key];
    const user = await freshUser(tenant);
    const started = await signInChallenge(tenant, user.email, PASSWORD, 'MFA_SETUP');
    // No token field and nothing JWT-shaped (`{"…` header and payload, base64url, dot-separated). A bare
    // `eyJ` is not enough: the sealed challenge handle is random base64url and contains it by chance.
    expect(JSON.stringify(started)).not.toMatch(/accessToken|refreshToken|eyJ[\w-]+\.eyJ[\w-]+\./);
    const secret = started.mfaSetup!.secretCode;
    expect(started.mfaSetup!.otpauthUri).toContain(`secret=${secret}`);

    const wrong = await post('/v1/auth/challenge', { challenge: 'MFA_SETUP', session: started.session, code: '000000' });
    expectProblem(wrong, 400, 'invalid_code');
    const done = await post('/v1/auth/challenge', { tenant: tenant.slug, challenge: 'MFA_SETUP', session: wrong.body.session, code: generateSync({ secret }) });
    expect(done.status, done.text).toBe(200);
    expect(done.body.status).toBe('signed_in');
    expect((await world.call('/v1/projects', { token: done.body.tokens.accessToken })).status).toBe(200);
    expect((await world.privileged.user.findUniqueOrThrow({ where: { tenantId_id: { tenantId: tenant.id, id: user.userId } } })).mfaEnrolled).toBe(true);

    const next = await signInChallenge(tenant, user.email, PASSWORD, 'SOFTWARE_TOKEN_MFA');
    const mistyped = await post('/v1/auth/challenge', { challenge: 'SOFTWARE_TOKEN_MFA', session: next.session, code: '000000' });
    expectProblem(mistyped, 400, 'invalid_code');
    const answered = await post('/v1/auth/challenge', { challenge: 'SOFTWARE_TOKEN_MFA', session: mistyped.body.session, code: generateSync({ secret }) });
    expect(answered.body.status, answered.text).toBe('signed_in');
    expectProblem(await world.call('/v1/me/mfa/totp', { method: 'DELETE', token: answered.body.tokens.accessToken }), 409, 'mfa_required_by_tenant');
    // The mistyped code is a failed sign-in of a known user (an event and an audit entry), like a wrong password.
    const failures = await world.privileged.eventOutbox.findMany({ where: { tenantId: tenant.id, type: 'user.sign_in_failed', data: { path: ['userId'], equals: user.userId } } });
    expect(failures.map((event) => event.data)).toEqual([{ tenantId: tenant.id, userId: user.userId, reason: 'invalid_mfa_code' }]);
  });

  it('refuses an unenrolled user’s tokens from Cognito directly, except on the routes that enrol', async () => {
    const tenant = world.tenants[key];
    const user = await freshUser(tenant);
    const { accessToken } = await signInWithPassword(world.stack, tenant.clientId, user.username, PASSWORD);
    expectProblem(await world.call('/v1/projects', { token: accessToken }), 403, 'mfa_enrollment_required');
    expect((await world.call('/v1/me', { token: accessToken })).status).toBe(200);
    const setup = await post('/v1/me/mfa/totp', undefined, accessToken);
    expect(setup.status, setup.text).toBe(201);
    const verified = await post('/v1/me/mfa/totp/verify', { code: generateSync({ secret: setup.body.secretCode }) }, accessToken);
    expect(verified.status, verified.text).toBe(204);
    expect((await world.call('/v1/projects', { token: accessToken })).status).toBe(200);
  });
});

describe('MFA policy in the other tenants', () => {
  it('optional: a user may turn TOTP off again; off: TOTP set-up is refused', async () => {
    const tenant = world.tenants.bridgeC;
    const user = await freshUser(tenant);
    const tokens = await signInWithPassword(world.stack, tenant.clientId, user.username, PASSWORD);
    const setup = await post('/v1/me/mfa/totp', undefined, tokens.accessToken);
    await post('/v1/me/mfa/totp/verify', { code: generateSync({ secret: setup.body.secretCode }) }, tokens.accessToken);
    expect((await world.call('/v1/me/mfa/totp', { method: 'DELETE', token: tokens.accessToken })).status).toBe(204);
    expect((await world.privileged.user.findUniqueOrThrow({ where: { tenantId_id: { tenantId: tenant.id, id: user.userId } } })).mfaEnrolled).toBe(false);

    await setMfaPolicy(tenant, 'off');
    try {
      expectProblem(await post('/v1/me/mfa/totp', undefined, tokens.accessToken), 403, 'mfa_off_for_tenant');
    } finally {
      await setMfaPolicy(tenant, 'optional');
    }
  });

  it('silo: with its pool’s MFA ON, an enrolled user passes TOTP; an unenrolled one gets no tokens', async () => {
    const tenant = world.tenants.siloE;
    const enrolled = await freshUser(tenant);
    const tokens = await signInWithPassword(world.stack, tenant.clientId, enrolled.username, PASSWORD);
    const setup = await post('/v1/me/mfa/totp', undefined, tokens.accessToken);
    await post('/v1/me/mfa/totp/verify', { code: generateSync({ secret: setup.body.secretCode }) }, tokens.accessToken);
    const unenrolled = await freshUser(tenant);

    // What an operator's PATCH does for a silo tenant (tested in tenants.test.ts): the row and the pool.
    const cognito = createEmulatorClient(world.stack.cognitoEndpoint, world.stack.region);
    const userPoolId = tenant.issuer.split('/').at(-1)!;
    await cognito.send(new SetUserPoolMfaConfigCommand({ UserPoolId: userPoolId, MfaConfiguration: 'ON', SoftwareTokenMfaConfiguration: { Enabled: true } }));
    await setMfaPolicy(tenant, 'required');
    try {
      const challenged = await signInChallenge(tenant, enrolled.email, PASSWORD, 'SOFTWARE_TOKEN_MFA');
      const answered = await post('/v1/auth/challenge', { challenge: 'SOFTWARE_TOKEN_MFA', session: challenged.session, code: generateSync({ secret: setup.body.secretCode }) });
      expect(answered.body.status, answered.text).toBe('signed_in');
      // Real Cognito answers MFA_SETUP here (covered by unit specs); the emulator refuses the sign-in. Either way: no tokens.
      const refused = await post('/v1/auth/sign-in', { tenant: tenant.slug, email: unenrolled.email, password: PASSWORD });
      expect(refused.body.tokens).toBeUndefined();
      expect(refused.status === 401 || refused.body.challenge === 'MFA_SETUP', refused.text).toBe(true);
    } finally {
      await cognito.send(new SetUserPoolMfaConfigCommand({ UserPoolId: userPoolId, MfaConfiguration: 'OPTIONAL', SoftwareTokenMfaConfiguration: { Enabled: true } }));
      await setMfaPolicy(tenant, 'optional');
      cognito.destroy();
    }
  });

  it('tenant admins reset a user’s MFA in their own tenant only (Cognito’s AdminSetUserMFAPreference; the emulator lacks it)', async () => {
    const tenant = world.tenants.poolA;
    const user = await freshUser(tenant);
    await world.privileged.user.update({ where: { tenantId_id: { tenantId: tenant.id, id: user.userId } }, data: { mfaEnrolled: true } });
    const admin = (await world.tokens(world.users.poolA.admin)).accessToken;
    const member = (await world.tokens(world.users.poolA.member)).accessToken;
    const otherAdmin = (await world.tokens(world.users.bridgeC.admin)).accessToken;

    expectProblem(await post(`/v1/users/${user.userId}/mfa/reset`, undefined, member), 403, 'insufficient_role');
    expectProblem(await post(`/v1/users/${user.userId}/mfa/reset`, undefined, otherAdmin), 404, 'user_not_found');
    expectProblem(await post(`/v1/users/${world.users.poolA.admin.userId}/mfa/reset`, undefined, admin), 409, 'cannot_change_own_account');
    expectProblem(await post('/v1/users/not-a-uuid/mfa/reset', undefined, admin), 400, 'validation_failed');
    // The emulator has no AdminSetUserMFAPreference: the reset is reported as unsupported and nothing changes.
    const reset = await post(`/v1/users/${user.userId}/mfa/reset`, undefined, admin);
    expectProblem(reset, 501, 'not_supported_by_identity_provider');
    expect((await world.privileged.user.findUniqueOrThrow({ where: { tenantId_id: { tenantId: tenant.id, id: user.userId } } })).mfaEnrolled).toBe(true);
    const audit = await world.privileged.auditEvent.count({ where: { tenantId: tenant.id, action: 'user.mfa.reset' } });
    expect(audit).toBe(0);
  });
});

describe('operators sign in through the API (finding 8)', () => {
  let operator: { email: string; password: string; totpSecret: string; username: string };

  beforeAll(async () => {
    const cognito = createEmulatorClient(world.stack.cognitoEndpoint, world.stack.region);
    const pool = world.stack.sharedPools['operators']!;
    try {
      operator = await createLocalOperator(cognito, { userPoolId: pool.userPoolId, clientId: pool.clientId! }, { email: uniqueEmail('ops.test'), password: `Operator-${randomUUID()}` });
    } finally {
      cognito.destroy();
    }
  });

  it('password, then TOTP: the token works on /v1/admin', async () => {
    const started = await post('/v1/admin/auth/sign-in', { email: operator.email, password: operator.password });
    expect(started.status, started.text).toBe(200);
    expect(started.body).toMatchObject({ status: 'challenge', challenge: 'SOFTWARE_TOKEN_MFA' });
    expect(started.headers['cache-control']).toBe('no-store');
    const wrong = await post('/v1/admin/auth/challenge', { challenge: 'SOFTWARE_TOKEN_MFA', session: started.body.session, code: '000000' });
    expectProblem(wrong, 400, 'invalid_code');
    const answered = await post('/v1/admin/auth/challenge', { challenge: 'SOFTWARE_TOKEN_MFA', session: wrong.body.session, code: generateSync({ secret: operator.totpSecret }) });
    expect(answered.status, answered.text).toBe(200);
    expect(answered.body.status).toBe('signed_in');
    const tenants = await world.call('/v1/admin/tenants?limit=1', { token: answered.body.tokens.accessToken });
    expect(tenants.status, tenants.text).toBe(200);
    expectProblem(await post('/v1/admin/auth/challenge', { challenge: 'SOFTWARE_TOKEN_MFA', session: wrong.body.session, code: generateSync({ secret: operator.totpSecret }) }), 401, 'invalid_challenge');
  });

  it('a wrong password and an unknown address read the same', async () => {
    const wrong = await post('/v1/admin/auth/sign-in', { email: operator.email, password: 'Not-The-Password-2026' });
    const unknown = await post('/v1/admin/auth/sign-in', { email: uniqueEmail('ops.test'), password: operator.password });
    expectProblem(wrong, 401, 'invalid_credentials');
    expectProblem(unknown, 401, 'invalid_credentials');
    expect(unknown.body.detail).toBe(wrong.body.detail);
  });

  it('operator and tenant handles do not cross', async () => {
    const operatorHandle = (await post('/v1/admin/auth/sign-in', { email: operator.email, password: operator.password })).body.session;
    expectProblem(await post('/v1/auth/challenge', { challenge: 'SOFTWARE_TOKEN_MFA', session: operatorHandle, code: generateSync({ secret: operator.totpSecret }) }), 401, 'invalid_challenge');
    const tenant = world.tenants.poolA;
    const user = await invited(tenant);
    const { session } = await signInChallenge(tenant, user.email, user.temporaryPassword, 'NEW_PASSWORD_REQUIRED');
    expectProblem(await post('/v1/admin/auth/challenge', { challenge: 'NEW_PASSWORD_REQUIRED', session, newPassword: 'Operator-Chosen-Password-2026' }), 401, 'invalid_challenge');
  });

  it('an operators’ pool account without platform-admin gets no tokens', async () => {
    const cognito = createEmulatorClient(world.stack.cognitoEndpoint, world.stack.region);
    const pool = world.stack.sharedPools['operators']!;
    const demoted = await createLocalOperator(cognito, { userPoolId: pool.userPoolId, clientId: pool.clientId! }, { email: uniqueEmail('ops.test'), password: `Operator-${randomUUID()}` });
    await cognito.send(new AdminRemoveUserFromGroupCommand({ UserPoolId: pool.userPoolId, Username: demoted.username, GroupName: 'platform-admin' }));
    cognito.destroy();
    const started = await post('/v1/admin/auth/sign-in', { email: demoted.email, password: demoted.password });
    const answered = await post('/v1/admin/auth/challenge', { challenge: 'SOFTWARE_TOKEN_MFA', session: started.body.session, code: generateSync({ secret: demoted.totpSecret }) });
    expectProblem(answered, 403, 'insufficient_role');
  });

  it('bad input is a 400 problem', async () => {
    expectProblem(await post('/v1/admin/auth/sign-in', { email: 'nope', password: 'x' }), 400, 'validation_failed');
    expectProblem(await post('/v1/admin/auth/challenge', { challenge: 'MFA_SETUP', session: 'x' }), 400, 'validation_failed');
    expectProblem(await post('/v1/admin/auth/challenge', { challenge: 'SOFTWARE_TOKEN_MFA', session: 'x', code: '123456', tenant: 'acme' }), 400, 'validation_failed');
  });
});
