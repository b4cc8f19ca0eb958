/**
 * Tier moves and sign-ins that go to Cognito directly: deferred users (a
 * password of their own, no target account until the password is known) and
 * the target pool's user-migration trigger.
 *
 * 1. On the run's emulator (no triggers): the internal route the trigger
 *    calls, called exactly as the Lambda does (infra/lambdas/user-migration.ts
 *    `migrateUser`, its own signing) — refused unsigned, badly signed, for a
 *    wrong password, for another tenant's user; answered for the right one —
 *    and a sign-in through Gatehouse that makes and binds a deferred user's
 *    target account after cut-over.
 * 2. On an emulator of this suite's own that RUNS the trigger (cognito-local's
 *    `TriggerFunctions.UserMigration`, invoked through a loopback Lambda Invoke
 *    server running the handler): a USER_PASSWORD_AUTH sign-in at the target's
 *    public client — the SDK, not Gatehouse — migrates a deferred user with the
 *    password it already had, and Gatehouse binds the account at its first token.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { AdminGetUserCommand, AdminListGroupsForUserCommand, InitiateAuthCommand } from '@aws-sdk/client-cognito-identity-provider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type UserMigrationEvent, handler, migrateUser } from '../../infra/lambdas/user-migration.js';
import { createEmulatorClient } from '../../tools/local-stack/cognito.js';
import { type LambdaInvokeServer, startLambdaInvokeServer } from '../support/lambda-invoke-server.js';
import { type TriggerEmulator, startTriggerEmulator } from '../support/trigger-emulator.js';
import { APP_CONFIG } from '../../apps/api/src/config/config.module.js';
import { call } from '../support/world.js';
import { type Harness, type TenantJson, expectProblem, startHarness, tenantWithPasswordUsers } from './tenants-harness.js';

const PASSWORD = 'Moving-Day-2026!';
const SECRET = `whsec_${randomBytes(32).toString('base64')}`;
const ROUTE = '/internal/cognito-user-migration';
const SETTINGS = {
  COGNITO_EVENTS_SECRET: SECRET,
  // The moves stop after cut-over (drain_source waits for the source's tokens), with every deferred user still deferred.
  TIER_MOVE_SOURCE_GRACE_MS: '3600000',
  // No sweep during the suite: it would resume other suites' moves against this suite's emulator.
  PROVISIONING_SWEEP_INTERVAL_MS: '3600000',
  RATE_LIMIT_PER_ADDRESS_PER_MINUTE: '100000',
  SIGN_IN_ATTEMPTS_PER_ADDRESS_PER_MINUTE: '100000',
};

type MovedTenant = Awaited<ReturnType<typeof tenantWithPasswordUsers>> & { lookup: { clientId: string; userPoolId: string; issuer: string; authFlows: string[] } };

async function waitForMove(h: Harness, id: string, until: (view: TenantJson) => boolean): Promise<TenantJson> {
  for (let attempt = 0; attempt < 1200; attempt += 1) {
    const response = await h.admin(`/v1/admin/tenants/${id}`);
    expect(response.status, response.text).toBe(200);
    if (until(response.body)) return response.body;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('the move did not get there in time');
}

/** A basic tenant with `count` users who have passwords, moved to `tier` up to cut-over (then waiting for the source's tokens). */
async function movedTenant(h: Harness, count: number, tier: string): Promise<MovedTenant> {
  const created = await tenantWithPasswordUsers(h, count, PASSWORD);
  const started = await h.admin(`/v1/admin/tenants/${created.tenant.id}/move`, { method: 'POST', body: { tier } });
  expect(started.status, started.text).toBe(202);
  await waitForMove(h, created.tenant.id, (view) => view.tier === tier && view.tierMove.phase === 'waiting');
  const lookup = await h.call(`/v1/tenants/lookup?slug=${created.tenant.slug}`);
  expect(lookup.status, lookup.text).toBe(200);
  return { ...created, lookup: lookup.body.cognito };
}

function migrationEvent(tenant: MovedTenant, username: string, password: string | undefined, clientId = tenant.lookup.clientId): UserMigrationEvent {
  return {
    triggerSource: password === undefined ? 'UserMigration_ForgotPassword' : 'UserMigration_Authentication',
    region: 'local',
    userPoolId: tenant.lookup.userPoolId,
    userName: username,
    callerContext: { clientId },
    request: password === undefined ? {} : { password },
    response: {},
  };
}

/** The Lambda's own code, posting to the API under test. */
function asTheLambda(h: Harness, event: UserMigrationEvent) {
  return migrateUser(event, {
    url: `${h.api.baseUrl}${ROUTE}`,
    secret: SECRET,
    post: async (url, headers, body) => {
      const response = await fetch(url, { method: 'POST', headers, body });
      return { status: response.status, body: await response.text() };
    },
    log: () => undefined,
  });
}

async function targetAccount(h: Harness, userPoolId: string, username: string) {
  const client = createEmulatorClient(h.stack.cognitoEndpoint, h.stack.region);
  try {
    return await client.send(new AdminGetUserCommand({ UserPoolId: userPoolId, Username: username }));
  } catch (error) {
    if ((error as { name?: string }).name === 'UserNotFoundException') return undefined;
    throw error;
  } finally {
    client.destroy();
  }
}

describe('the user-migration route, called as the Lambda calls it (run emulator)', () => {
  let h: Harness;
  let acme: MovedTenant;
  let other: MovedTenant;

  beforeAll(async () => {
    h = await startHarness(SETTINGS);
    // Two tenants moving into the same bridge pool: each has its own clients there.
    acme = await movedTenant(h, 3, 'standard');
    other = await movedTenant(h, 1, 'standard');
  }, 300_000);

  afterAll(async () => {
    await h?.close();
  });

  it('defers every user with a password: recorded for the target, no account there until the password is known', async () => {
    const identities = await h.privileged.tierMoveIdentity.findMany({ where: { tenantId: acme.tenant.id } });
    expect(identities).toHaveLength(3);
    for (const identity of identities) {
      expect(identity.sub).toBe(`deferred:${identity.userId}`);
      expect(identity.issuer).toBe(acme.lookup.issuer);
    }
    for (const user of acme.users) expect(await targetAccount(h, acme.lookup.userPoolId, user.username)).toBeUndefined();
    // After cut-over the tenant is served by the target; its users keep their source identity until they move.
    const rows = await h.privileged.user.findMany({ where: { tenantId: acme.tenant.id } });
    for (const row of rows) expect(row.issuer).toBe(h.stack.sharedPools['basic']!.issuer);
    // Lookup sends front ends to the target's public client (USER_PASSWORD_AUTH locally; in AWS too while moving).
    expect(acme.lookup.authFlows[0]).toBe('ALLOW_USER_PASSWORD_AUTH');
  });

  it('refuses requests without the events secret’s signature (401) and bad input (400)', async () => {
    const body = JSON.stringify({ kind: 'authentication', userPoolId: acme.lookup.userPoolId, clientId: acme.lookup.clientId, username: acme.users[0]!.username, password: PASSWORD });
    const post = (headers: Record<string, string>, raw = body) => call(h.api.baseUrl, ROUTE, { method: 'POST', rawBody: raw, headers: { 'content-type': 'application/json', ...headers } });
    expectProblem(await post({}), 401, 'invalid_signature');
    const otherKey = `whsec_${randomBytes(32).toString('base64')}`;
    const { signedHeaders } = await import('../../infra/lambdas/post-events.js');
    expectProblem(await post(signedHeaders(otherKey, body, Date.now())), 401, 'invalid_signature');
    // Signed, then changed on the way.
    expectProblem(await post(signedHeaders(SECRET, body, Date.now()), body.replace(PASSWORD, 'Other-Password-2026')), 401, 'invalid_signature');
    const bad = JSON.stringify({ kind: 'sign_up', userPoolId: acme.lookup.userPoolId, clientId: acme.lookup.clientId, username: 'x' });
    expectProblem(await post(signedHeaders(SECRET, bad, Date.now()), bad), 400, 'validation_failed');
  });

  it('refuses a wrong password, another tenant’s user through this tenant’s client, and an unknown user: the Lambda throws', async () => {
    const user = acme.users[1]!;
    await expect(asTheLambda(h, migrationEvent(acme, user.username, 'Wrong-Password-2026'))).rejects.toThrow('user not migrated');
    await expect(asTheLambda(h, migrationEvent(acme, other.users[0]!.username, PASSWORD))).rejects.toThrow('user not migrated');
    await expect(asTheLambda(h, migrationEvent(other, user.username, PASSWORD))).rejects.toThrow('user not migrated');
    await expect(asTheLambda(h, migrationEvent(acme, `gh1-${randomUUID()}`, PASSWORD))).rejects.toThrow('user not migrated');
    const identity = await h.privileged.tierMoveIdentity.findFirstOrThrow({ where: { tenantId: acme.tenant.id, username: user.username } });
    expect(identity.passwordMigratedAt).toBeNull();
  });

  it('counts wrong passwords like sign-ins through Gatehouse: a failure event each, and refusal once the per-user limit is used up', async () => {
    const user = other.users[0]!;
    const row = await h.privileged.user.findFirstOrThrow({ where: { tenantId: other.tenant.id, username: user.username } });
    const limit = h.api.app.get(APP_CONFIG).env.SIGN_IN_FAILURES_PER_USER;
    for (let attempt = 0; attempt < limit; attempt += 1) {
      await expect(asTheLambda(h, migrationEvent(other, user.username, `Wrong-Password-${attempt}`))).rejects.toThrow('user not migrated');
    }
    const failures = await h.privileged.eventOutbox.findMany({ where: { tenantId: other.tenant.id, type: 'user.sign_in_failed', data: { path: ['userId'], equals: row.id } } });
    expect(failures).toHaveLength(limit);
    // Used up: even the right password is refused now, without asking the source.
    await expect(asTheLambda(h, migrationEvent(other, user.username, PASSWORD))).rejects.toThrow('user not migrated');
    const identity = await h.privileged.tierMoveIdentity.findFirstOrThrow({ where: { tenantId: other.tenant.id, userId: row.id } });
    expect(identity.passwordMigratedAt).toBeNull();
  });

  it('answers the attributes of a deferred user whose source password is right (target tier), and counts the password as moved', async () => {
    const user = acme.users[1]!;
    const result = await asTheLambda(h, migrationEvent(acme, user.username, PASSWORD));
    expect(result.response).toEqual({
      userAttributes: { email: user.email, 'custom:tenantId': acme.tenant.id, 'custom:tenantTier': 'standard', email_verified: 'true' },
      finalUserStatus: 'CONFIRMED',
      messageAction: 'SUPPRESS',
    });
    const identity = await h.privileged.tierMoveIdentity.findFirstOrThrow({ where: { tenantId: acme.tenant.id, username: user.username } });
    expect(identity.passwordMigratedAt).not.toBeNull();
    // Cognito makes the account from this answer (the run's emulator runs no triggers): Gatehouse made none.
    expect(await targetAccount(h, acme.lookup.userPoolId, user.username)).toBeUndefined();
  });

  it('a sign-in through Gatehouse after cut-over makes the deferred user’s target account and binds it, in one round', async () => {
    const user = acme.users[0]!;
    const signedIn = await h.call('/v1/auth/sign-in', { method: 'POST', body: { tenant: acme.tenant.slug, email: user.email, password: PASSWORD } });
    expect(signedIn.status, signedIn.text).toBe(200);
    const account = await targetAccount(h, acme.lookup.userPoolId, user.username);
    expect(account?.UserStatus).toBe('CONFIRMED');
    const targetSub = account!.UserAttributes!.find((attribute) => attribute.Name === 'sub')!.Value!;
    const row = await h.privileged.user.findFirstOrThrow({ where: { tenantId: acme.tenant.id, username: user.username } });
    expect({ issuer: row.issuer, sub: row.sub }).toEqual({ issuer: acme.lookup.issuer, sub: targetSub });
    // The source identity stays trusted until the source goes.
    const identity = await h.privileged.tierMoveIdentity.findFirstOrThrow({ where: { tenantId: acme.tenant.id, userId: row.id } });
    expect({ issuer: identity.issuer, sub: identity.sub }).toEqual({ issuer: h.stack.sharedPools['basic']!.issuer, sub: user.sub });
    const me = await h.call('/v1/me', { token: signedIn.body.tokens.accessToken });
    expect(me.status, me.text).toBe(200);
    expect(me.body.user.id).toBe(row.id);
    expect(me.body.roles).toEqual(['admin']);
  });

  it('an admin’s role change to a deferred user after cut-over reaches the account the user has, and so the one they get', async () => {
    const admin = await h.call('/v1/auth/sign-in', { method: 'POST', body: { tenant: acme.tenant.slug, email: acme.users[0]!.email, password: PASSWORD } });
    expect(admin.status, admin.text).toBe(200);
    const user = acme.users[2]!;
    const row = await h.privileged.user.findFirstOrThrow({ where: { tenantId: acme.tenant.id, username: user.username } });
    const changed = await h.call(`/v1/users/${row.id}`, { method: 'PATCH', token: admin.body.tokens.accessToken, body: { role: 'viewer' } });
    expect(changed.status, changed.text).toBe(200);
    expect(changed.body.source).toBe('cognito');
    // The user has no target account yet: the source account's groups changed.
    const basic = h.stack.sharedPools['basic']!;
    const groups = await h.cognito.send(new AdminListGroupsForUserCommand({ UserPoolId: basic.userPoolId, Username: user.username }));
    expect(groups.Groups?.map((group) => group.GroupName)).toEqual(['viewer']);
    // Their first sign-in makes the target account from it: a viewer there too.
    const signedIn = await h.call('/v1/auth/sign-in', { method: 'POST', body: { tenant: acme.tenant.slug, email: user.email, password: PASSWORD } });
    expect(signedIn.status, signedIn.text).toBe(200);
    const me = await h.call('/v1/me', { token: signedIn.body.tokens.accessToken });
    expect(me.body.roles).toEqual(['viewer']);
    // Now the user has an account on both sides until the source goes: a change reaches both.
    expect((await h.call(`/v1/users/${row.id}`, { method: 'PATCH', token: admin.body.tokens.accessToken, body: { role: 'member' } })).status).toBe(200);
    for (const userPoolId of [basic.userPoolId, acme.lookup.userPoolId]) {
      const after = await h.cognito.send(new AdminListGroupsForUserCommand({ UserPoolId: userPoolId, Username: user.username }));
      expect(after.Groups?.map((group) => group.GroupName), userPoolId).toEqual(['member']);
    }
  });
});

describe('a direct sign-in at the target’s public client, on an emulator that runs the user-migration trigger', () => {
  let lambda: LambdaInvokeServer;
  let emulator: TriggerEmulator;
  let h: Harness;
  let moved: MovedTenant;

  beforeAll(async () => {
    lambda = await startLambdaInvokeServer({
      'gatehouse-user-migration': async (event) => {
        const result = await handler(event as unknown as UserMigrationEvent);
        // What Cognito does with the answer and cognito-local does not (services/triggers/userMigration.js): the new
        // user is named after the userName it was asked about (the emulator takes `userAttributes.username`, else a
        // random id) and gets a subject of its own (the emulator keeps the answered attributes only).
        const attributes = (result.response?.['userAttributes'] ?? {}) as Record<string, string>;
        return { ...result, response: { ...result.response, userAttributes: { ...attributes, username: result.userName, sub: randomUUID() } } };
      },
    });
    emulator = await startTriggerEmulator(lambda.endpoint, { UserMigration: 'gatehouse-user-migration' });
    h = await startHarness(SETTINGS, emulator.stack);
    process.env['GATEHOUSE_USER_MIGRATION_URL'] = `${h.api.baseUrl}${ROUTE}`;
    process.env['GATEHOUSE_EVENTS_SECRET'] = SECRET;
    moved = await movedTenant(h, 2, 'premium');
  }, 300_000);

  afterAll(async () => {
    delete process.env['GATEHOUSE_USER_MIGRATION_URL'];
    delete process.env['GATEHOUSE_EVENTS_SECRET'];
    await h?.close();
    await emulator?.stop();
    await lambda?.close();
  });

  const initiateAuth = async (username: string, password: string) => {
    const client = createEmulatorClient(h.stack.cognitoEndpoint, h.stack.region);
    try {
      return await client.send(
        new InitiateAuthCommand({ AuthFlow: 'USER_PASSWORD_AUTH', ClientId: moved.lookup.clientId, AuthParameters: { USERNAME: username, PASSWORD: password } }),
      );
    } finally {
      client.destroy();
    }
  };

  it('refuses a wrong password (the trigger fails closed) and leaves no account behind', async () => {
    const user = moved.users[1]!;
    await expect(initiateAuth(user.username, 'Wrong-Password-2026')).rejects.toMatchObject({ name: 'NotAuthorizedException' });
    expect(lambda.invocations.at(-1)).toEqual({ functionName: 'gatehouse-user-migration', failed: true });
    expect(await targetAccount(h, moved.lookup.userPoolId, user.username)).toBeUndefined();
  });

  it('migrates a deferred user with the password it already had; Gatehouse binds the account (groups included) at its first token', async () => {
    const user = moved.users[0]!;
    const before = lambda.invocations.length;
    const signedIn = await initiateAuth(user.username, PASSWORD);
    const accessToken = signedIn.AuthenticationResult?.AccessToken;
    expect(accessToken).toBeDefined();
    expect(lambda.invocations.slice(before)).toEqual([{ functionName: 'gatehouse-user-migration', failed: false }]);

    const account = await targetAccount(h, moved.lookup.userPoolId, user.username);
    const attributes = Object.fromEntries((account?.UserAttributes ?? []).map((attribute) => [attribute.Name, attribute.Value]));
    expect(attributes).toMatchObject({ email: user.email, 'custom:tenantId': moved.tenant.id, 'custom:tenantTier': 'premium' });

    const me = await h.call('/v1/me', { token: accessToken! });
    expect(me.status, me.text).toBe(200);
    const row = await h.privileged.user.findFirstOrThrow({ where: { tenantId: moved.tenant.id, username: user.username } });
    expect(me.body.user.id).toBe(row.id);
    expect({ issuer: row.issuer, sub: row.sub }).toEqual({ issuer: moved.lookup.issuer, sub: attributes['sub'] });
    const identity = await h.privileged.tierMoveIdentity.findFirstOrThrow({ where: { tenantId: moved.tenant.id, userId: row.id } });
    expect(identity.passwordMigratedAt).not.toBeNull();
    expect(identity.sub).toBe(user.sub);

    const client = createEmulatorClient(h.stack.cognitoEndpoint, h.stack.region);
    try {
      const groups = await client.send(new AdminListGroupsForUserCommand({ UserPoolId: moved.lookup.userPoolId, Username: user.username }));
      expect((groups.Groups ?? []).map((group) => group.GroupName)).toEqual(['admin']);
    } finally {
      client.destroy();
    }
    // Its next sign-in, through Gatehouse, goes to the target only.
    const again = await h.call('/v1/auth/sign-in', { method: 'POST', body: { tenant: moved.tenant.slug, email: user.email, password: PASSWORD } });
    expect(again.status, again.text).toBe(200);
    expect(lambda.invocations.length).toBe(before + 1);
  });
});
