/**
 * Synchronous hooks end to end on the local stack: tenant admins configure
 * them through the API (operators the platform defaults), and a REAL HTTP
 * hook server on loopback answers Gatehouse's calls during sign-up,
 * confirmation and sign-in. Signatures are checked with this suite's own
 * HMAC code (not Gatehouse's), and a hook that hangs is judged by its
 * failure mode: open lets the sign-in through, closed refuses it — never a
 * 5xx, never longer than the hook's timeout plus the flow itself.
 */
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEmulatorClient } from '../../tools/local-stack/cognito.js';
import { createLocalOperator, signInLocalOperator } from '../../tools/local-stack/seed.js';
import { latestCode } from '../support/emulator-codes.js';
import { uniqueEmail } from '../support/factories.js';
import { type HookServer, type RecordedHookCall, answerJson, hang, startHookServer } from '../support/hook-server.js';
import { type CallOptions, type HttpResponse, type World, type WorldTenant, buildWorld } from '../support/world.js';

const PASSWORD = 'Sturdy-Password-2026';
let world: World;
let hooks: HookServer;
let operatorToken: string;
/** Admin tokens of the tenants whose hooks the suite configures. */
const adminToken: Record<string, string> = {};

const post = (path: string, body: unknown, options: CallOptions = {}) => world.call(path, { method: 'POST', body, ...options });

function expectProblem(response: HttpResponse, status: number, code: string): void {
  expect(response.status, response.text).toBe(status);
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(response.body.code).toBe(code);
}

/** Standard Webhooks verification written from the specification, independently of apps/api/src/events. */
function independentlyVerified(secret: string, call: RecordedHookCall): boolean {
  const id = call.headers['webhook-id'];
  const timestamp = call.headers['webhook-timestamp'];
  const signatures = call.headers['webhook-signature'];
  if (typeof id !== 'string' || typeof timestamp !== 'string' || typeof signatures !== 'string') return false;
  if (Math.abs(Date.now() / 1000 - Number(timestamp)) > 300) return false;
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const expected = createHmac('sha256', key).update(`${id}.${timestamp}.${call.body}`).digest();
  return signatures.split(' ').some((entry) => {
    const [version, value] = entry.split(',');
    const given = Buffer.from(value ?? '', 'base64');
    return version === 'v1' && given.length === expected.length && timingSafeEqual(given, expected);
  });
}

async function putHook(tenant: WorldTenant, kind: string, body: Record<string, unknown>): Promise<HttpResponse> {
  return world.call(`/v1/hooks/${kind}`, { method: 'PUT', token: adminToken[tenant.id], body });
}

async function signUp(tenant: WorldTenant, email: string): Promise<HttpResponse> {
  return post('/v1/auth/sign-up', { tenant: tenant.slug, email, password: PASSWORD });
}

async function confirm(tenant: WorldTenant, email: string): Promise<void> {
  const row = await world.privileged.user.findUniqueOrThrow({ where: { tenantId_email: { tenantId: tenant.id, email } } });
  const code = await latestCode(row.username, 'SignUp');
  const confirmed = await post('/v1/auth/confirm-sign-up', { tenant: tenant.slug, email, code });
  expect(confirmed.status, confirmed.text).toBe(204);
}

/** A confirmed account of `tenant` (made while no pre sign-up hook applies to it). */
async function confirmedUser(tenant: WorldTenant): Promise<string> {
  const email = uniqueEmail(`${tenant.slug}.test`);
  expect((await signUp(tenant, email)).status).toBe(202);
  await confirm(tenant, email);
  return email;
}

const signIn = (tenant: WorldTenant, email: string) => post('/v1/auth/sign-in', { tenant: tenant.slug, email, password: PASSWORD });

async function until<T>(probe: () => T | undefined, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

beforeAll(async () => {
  hooks = await startHookServer();
  world = await buildWorld({ SIGN_IN_ATTEMPTS_PER_ADDRESS_PER_MINUTE: '100000', SIGN_IN_FAILURES_PER_USER: '1000', RATE_LIMIT_PER_ADDRESS_PER_MINUTE: '100000' });
  for (const key of ['poolA', 'poolB'] as const) {
    const tenant = world.tenants[key];
    await world.privileged.tenant.update({ where: { id: tenant.id }, data: { signUpPolicy: 'open' } });
    await world.refresh(tenant.id);
    adminToken[tenant.id] = (await world.tokens(world.users[key].admin)).accessToken;
  }
  const cognito = createEmulatorClient(world.stack.cognitoEndpoint, world.stack.region);
  const operators = world.stack.sharedPools['operators']!;
  const pool = { userPoolId: operators.userPoolId, clientId: operators.clientId! };
  const operator = await createLocalOperator(cognito, pool, { email: uniqueEmail('ops.test'), password: `Operator-${randomUUID()}` });
  operatorToken = (await signInLocalOperator(cognito, pool, operator)).accessToken;
  cognito.destroy();
}, 180_000);

afterAll(async () => {
  await world?.close();
  await hooks?.stop();
});

describe('configuring hooks', () => {
  it('a tenant admin creates a hook (secret shown once), reads it back without the secret, and the change is audited with the client address', async () => {
    const tenant = world.tenants.poolB;
    const created = await putHook(tenant, 'post_confirmation', { url: `${hooks.baseUrl}/b/post-confirmation`, failureMode: 'open', timeoutMs: 1000 });
    expect(created.status, created.text).toBe(201);
    expect(created.body.secret).toMatch(/^whsec_/);
    expect(created.body).toMatchObject({ tenantId: tenant.id, kind: 'post_confirmation', timeoutMs: 1000, failureMode: 'open', enabled: true });

    const replaced = await putHook(tenant, 'post_confirmation', { url: `${hooks.baseUrl}/b/post-confirmation`, failureMode: 'open', timeoutMs: 1500 });
    expect(replaced.status).toBe(200);
    expect(replaced.body.secret).toBeUndefined();

    const listed = await world.call('/v1/hooks', { token: adminToken[tenant.id] });
    expect(listed.status).toBe(200);
    expect(listed.body.items).toHaveLength(1);
    expect(listed.text).not.toContain('whsec_');
    // Another tenant's admin sees none of it.
    const other = await world.call('/v1/hooks', { token: adminToken[world.tenants.poolA.id] });
    expect(other.body.items.map((hook: { tenantId: string }) => hook.tenantId)).not.toContain(tenant.id);

    const audit = await world.call('/v1/audit-events?action=hook.*', { token: adminToken[tenant.id] });
    expect(audit.body.items.map((event: { action: string }) => event.action)).toEqual(['hook.update', 'hook.create']);
    expect(audit.body.items[0].clientIp).toMatch(/127\.0\.0\.1$/);
    expect(JSON.stringify(audit.body.items)).not.toContain('whsec_');
  });

  it('refuses members and viewers, callers without a token, URLs with credentials and a closed post_confirmation', async () => {
    const tenant = world.tenants.poolB;
    const body = { url: `${hooks.baseUrl}/x`, failureMode: 'open' };
    for (const role of ['member', 'viewer'] as const) {
      const token = (await world.tokens(world.users.poolB[role])).accessToken;
      expectProblem(await world.call('/v1/hooks/pre_sign_up', { method: 'PUT', token, body }), 403, 'insufficient_role');
      expectProblem(await world.call('/v1/hooks', { token }), 403, 'insufficient_role');
    }
    expect((await world.call('/v1/hooks')).status).toBe(401);
    expectProblem(await putHook(tenant, 'pre_sign_up', { url: 'http://user:secret@127.0.0.1/hook', failureMode: 'open' }), 400, 'validation_failed');
    expectProblem(await putHook(tenant, 'pre_sign_up', { url: `${hooks.baseUrl}/x`, failureMode: 'open', timeoutMs: 60_000 }), 400, 'validation_failed');
    expectProblem(await putHook(tenant, 'post_confirmation', { url: `${hooks.baseUrl}/x`, failureMode: 'closed' }), 400, 'validation_failed');
    expectProblem(await putHook(tenant, 'not_a_kind', body), 400, 'validation_failed');
    // Operators' platform defaults are theirs alone.
    expectProblem(await world.call('/v1/admin/hooks', { token: adminToken[tenant.id] }), 403, 'insufficient_role');
  });

  it('operators manage platform defaults; a secret is rotated and shown once', async () => {
    const put = await world.call('/v1/admin/hooks/post_confirmation', {
      method: 'PUT',
      token: operatorToken,
      body: { url: `${hooks.baseUrl}/platform/post-confirmation`, failureMode: 'open', enabled: false },
    });
    try {
      expect(put.status, put.text).toBe(201);
      expect(put.body.tenantId).toBeNull();
      const rotated = await world.call('/v1/admin/hooks/post_confirmation/rotate-secret', { method: 'POST', token: operatorToken });
      expect(rotated.status).toBe(200);
      expect(rotated.body.secret).toMatch(/^whsec_/);
      expect(rotated.body.secret).not.toBe(put.body.secret);
    } finally {
      expect((await world.call('/v1/admin/hooks/post_confirmation', { method: 'DELETE', token: operatorToken })).status).toBe(204);
    }
  });
});

describe('pre sign-up', () => {
  it('allows with a role, denies with a message, and every call is signed so that an independent check accepts it', async () => {
    const tenant = world.tenants.poolA;
    const created = await putHook(tenant, 'pre_sign_up', { url: `${hooks.baseUrl}/a/pre-sign-up`, failureMode: 'closed', timeoutMs: 3000 });
    expect(created.status, created.text).toBe(201);
    const secret = created.body.secret as string;
    try {
      hooks.on('/a/pre-sign-up', answerJson({ decision: 'allow', role: 'viewer' }));
      const viewerEmail = uniqueEmail('a.test');
      expect((await signUp(tenant, viewerEmail)).status).toBe(202);
      const row = await world.privileged.user.findUniqueOrThrow({ where: { tenantId_email: { tenantId: tenant.id, email: viewerEmail } } });
      expect(row.role).toBe('viewer');
      const call = hooks.calls.filter((candidate) => candidate.path === '/a/pre-sign-up').at(-1)!;
      expect(independentlyVerified(secret, call)).toBe(true);
      expect(independentlyVerified(`whsec_${Buffer.alloc(32, 7).toString('base64')}`, call)).toBe(false);
      expect(JSON.parse(call.body)).toMatchObject({ type: 'pre_sign_up', tenant: { id: tenant.id, slug: tenant.slug }, user: { email: viewerEmail } });

      hooks.on('/a/pre-sign-up', answerJson({ decision: 'deny', message: 'Ask your account manager for a seat.' }));
      const denied = await signUp(tenant, uniqueEmail('a.test'));
      expectProblem(denied, 403, 'sign_up_denied');
      expect(denied.body.detail).toBe('Ask your account manager for a seat.');

      // An admin role is not a valid answer: garbage, so the closed failure mode refuses.
      hooks.on('/a/pre-sign-up', answerJson({ decision: 'allow', role: 'admin' }));
      const adminEmail = uniqueEmail('a.test');
      expectProblem(await signUp(tenant, adminEmail), 403, 'sign_up_denied');
      expect(await world.privileged.user.findUnique({ where: { tenantId_email: { tenantId: tenant.id, email: adminEmail } } })).toBeNull();
    } finally {
      expect((await world.call('/v1/hooks/pre_sign_up', { method: 'DELETE', token: adminToken[tenant.id] })).status).toBe(204);
    }
  }, 60_000);
});

describe('post confirmation', () => {
  it("notifies the tenant's hook after the e-mail is confirmed", async () => {
    const tenant = world.tenants.poolB; // configured by the first test
    hooks.on('/b/post-confirmation', answerJson({ ignored: true }));
    const email = uniqueEmail('b.test');
    expect((await signUp(tenant, email)).status).toBe(202);
    await confirm(tenant, email);
    const call = await until(
      () => hooks.calls.find((candidate) => candidate.path === '/b/post-confirmation' && candidate.body.includes(email)),
      'the post_confirmation call',
    );
    expect(JSON.parse(call.body)).toMatchObject({ type: 'post_confirmation', user: { email, role: 'member' } });
  }, 60_000);
});

describe('pre authentication', () => {
  it('allows and denies sign-ins; a hanging hook fails open or closed as configured, within its timeout', async () => {
    const tenant = world.tenants.poolB;
    const email = await confirmedUser(tenant);
    const created = await putHook(tenant, 'pre_authentication', { url: `${hooks.baseUrl}/b/pre-auth`, failureMode: 'closed', timeoutMs: 400 });
    expect(created.status, created.text).toBe(201);
    try {
      hooks.on('/b/pre-auth', answerJson({ decision: 'allow' }));
      const allowed = await signIn(tenant, email);
      expect(allowed.status, allowed.text).toBe(200);
      expect(allowed.body.tokens.accessToken).toBeTypeOf('string');

      hooks.on('/b/pre-auth', answerJson({ decision: 'deny', message: 'Your seat has been suspended.' }));
      const denied = await signIn(tenant, email);
      expectProblem(denied, 403, 'sign_in_denied');
      expect(denied.body.detail).toBe('Your seat has been suspended.');
      expect(denied.text).not.toContain('accessToken');

      // A wrong password never reaches the hook: it is no oracle for passwords or addresses.
      const before = hooks.calls.length;
      expectProblem(await post('/v1/auth/sign-in', { tenant: tenant.slug, email, password: 'Wrong-Password-2026' }), 401, 'invalid_credentials');
      expect(hooks.calls.length).toBe(before);

      hooks.on('/b/pre-auth', hang);
      expectProblem(await signIn(tenant, email), 403, 'sign_in_denied');
      expect((await putHook(tenant, 'pre_authentication', { url: `${hooks.baseUrl}/b/pre-auth`, failureMode: 'open', timeoutMs: 400 })).status).toBe(200);
      const failedOpen = await signIn(tenant, email);
      expect(failedOpen.status, failedOpen.text).toBe(200);

      // A hook answering 500 with a body that says "allow" is still a failure.
      hooks.on('/b/pre-auth', (_call, response) => response.writeHead(500, { 'content-type': 'application/json' }).end('{"decision":"allow"}'));
      expect((await putHook(tenant, 'pre_authentication', { url: `${hooks.baseUrl}/b/pre-auth`, failureMode: 'closed', timeoutMs: 400 })).status).toBe(200);
      expectProblem(await signIn(tenant, email), 403, 'sign_in_denied');
    } finally {
      expect((await world.call('/v1/hooks/pre_authentication', { method: 'DELETE', token: adminToken[tenant.id] })).status).toBe(204);
    }
  }, 90_000);
});

describe('token enrichment', () => {
  it("adds the hook's claims to the user's own view, and never lets them name roles", async () => {
    const tenant = world.tenants.poolB;
    const email = await confirmedUser(tenant);
    const created = await putHook(tenant, 'token_enrichment', { url: `${hooks.baseUrl}/b/enrich`, failureMode: 'open', timeoutMs: 2000 });
    expect(created.status, created.text).toBe(201);
    try {
      hooks.on('/b/enrich', answerJson({ claims: { plan: 'pro', seats: 12 } }));
      const signedIn = await signIn(tenant, email);
      expect(signedIn.status, signedIn.text).toBe(200);
      const me = await world.call('/v1/me', { token: signedIn.body.tokens.accessToken });
      expect(me.status).toBe(200);
      expect(me.body.hookClaims).toEqual({ plan: 'pro', seats: 12 });
      expect(me.body.roles).toEqual(['member']);

      // Claims naming roles are garbage: the open failure mode signs in without any claims.
      hooks.on('/b/enrich', answerJson({ claims: { roles: ['admin'] } }));
      const again = await signIn(tenant, email);
      expect(again.status).toBe(200);
      const meAgain = await world.call('/v1/me', { token: again.body.tokens.accessToken });
      expect(meAgain.body.hookClaims).toEqual({});
      expect(meAgain.body.roles).toEqual(['member']);
    } finally {
      expect((await world.call('/v1/hooks/token_enrichment', { method: 'DELETE', token: adminToken[tenant.id] })).status).toBe(204);
    }
  }, 60_000);
});
