/**
 * The operators' side of tier moves on the emulator: who may call the move
 * routes and what bad requests get; the MFA acceptance rule; a cancel before
 * cut-over that rolls the target back completely; and a runner that stops
 * dead mid-move (a crashed replica: its step never returns) taken over by
 * another API instance's sweep once its lease expires, without duplicates.
 */
import { randomUUID } from 'node:crypto';
import { AdminGetUserCommand, DescribeUserPoolCommand, ListUserPoolClientsCommand } from '@aws-sdk/client-cognito-identity-provider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TierMoveFaults } from '../../apps/api/src/tenants/tier-move/tier-move-faults.js';
import { type RunningApi, startApi, testConfig } from '../support/app.js';
import { stackInfo } from '../support/database.js';
import { call } from '../support/world.js';
import { type Harness, type TenantJson, createTenant, expectProblem, startHarness, tenantWithPasswordUsers } from './tenants-harness.js';

const PASSWORD = 'Moving-Day-2026!';
const SETTINGS = {
  TIER_MOVE_SOURCE_GRACE_MS: '0',
  PROVISIONING_SWEEP_INTERVAL_MS: '300',
  PROVISIONING_LEASE_MS: '3000',
  RATE_LIMIT_PER_ADDRESS_PER_MINUTE: '100000',
  SIGN_IN_ATTEMPTS_PER_ADDRESS_PER_MINUTE: '100000',
};

let h: Harness;

beforeAll(async () => {
  h = await startHarness(SETTINGS);
}, 120_000);

afterAll(async () => {
  await h?.close();
});

/** A basic-tier tenant with `count` active users (the first an admin) who have passwords. */
function poolTenant(count: number, extra: Record<string, unknown> = {}) {
  return tenantWithPasswordUsers(h, count, PASSWORD, extra);
}

async function signIn(baseUrl: string, slug: string, email: string): Promise<string> {
  const response = await call(baseUrl, '/v1/auth/sign-in', { method: 'POST', body: { tenant: slug, email, password: PASSWORD } });
  expect(response.status, response.text).toBe(200);
  return response.body.tokens.accessToken as string;
}

async function waitForMove(baseUrl: string, id: string, until: (view: TenantJson) => boolean): Promise<TenantJson> {
  for (let attempt = 0; attempt < 1200; attempt += 1) {
    const response = await call(baseUrl, `/v1/admin/tenants/${id}`, { token: h.operatorToken });
    expect(response.status, response.text).toBe(200);
    if (until(response.body)) return response.body;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('the move did not get there in time');
}

describe('the move routes', () => {
  it('refuse without a token, with a tenant user’s token, for an unknown tenant, and answer bad input with 400', async () => {
    const { tenant, users } = await poolTenant(1);
    const path = `/v1/admin/tenants/${tenant.id}/move`;
    expectProblem(await h.call(path, { method: 'POST', body: { tier: 'premium' } }), 401);
    const userToken = await signIn(h.api.baseUrl, tenant.slug, users[0]!.email);
    for (const route of [path, `${path}/retry`, `${path}/cancel`]) {
      expectProblem(await h.call(route, { method: 'POST', token: userToken, body: { tier: 'premium' } }), 403);
    }
    expectProblem(await h.admin(path, { method: 'POST', body: {} }), 400, 'validation_failed');
    expectProblem(await h.admin(path, { method: 'POST', body: { tier: 'premium', unmigratedUsers: 'forget' } }), 400, 'validation_failed');
    expectProblem(await h.admin(path, { method: 'POST', body: { tier: 'premium', surprise: true } }), 400, 'validation_failed');
    expectProblem(await h.admin(path, { method: 'POST', body: { tier: 'platinum' } }), 400, 'validation_failed');
    expectProblem(await h.admin(path, { method: 'POST', body: { tier: 'basic' } }), 400, 'validation_failed');
    expectProblem(await h.admin(`/v1/admin/tenants/${randomUUID()}/move`, { method: 'POST', body: { tier: 'premium' } }), 404, 'tenant_not_found');
    expectProblem(await h.admin('/v1/admin/tenants/not-a-uuid/move', { method: 'POST', body: { tier: 'premium' } }), 400, 'validation_failed');
    expectProblem(await h.admin(`${path}/retry`, { method: 'POST' }), 409, 'no_tier_move');
    expectProblem(await h.admin(`${path}/cancel`, { method: 'POST' }), 409, 'no_tier_move');
    const view = await h.admin(`/v1/admin/tenants/${tenant.id}`);
    expect(view.body.tierMove).toBeNull();
  }, 120_000);

  it('refuses to move a tenant that requires MFA unless the operator accepts that TOTP users enrol again', async () => {
    const { tenant } = await poolTenant(1, { mfaPolicy: 'required' });
    expectProblem(await h.admin(`/v1/admin/tenants/${tenant.id}/move`, { method: 'POST', body: { tier: 'standard' } }), 409, 'mfa_reenrolment_not_accepted');
    const audit = await h.privileged.auditEvent.count({ where: { tenantId: tenant.id, action: 'tenant.tier_move.start' } });
    expect(audit).toBe(0);
  }, 120_000);
});

it('cancel before cut-over rolls the target back: no client, no copied user left; the tenant keeps its tier and its users', async () => {
  const { tenant, users } = await poolTenant(3);
  let release!: () => void;
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  h.api.app.get(TierMoveFaults).check = async (point) => {
    if (point.tenantId === tenant.id && point.step === 'cut_over' && point.when === 'before') await held;
  };
  const started = await h.admin(`/v1/admin/tenants/${tenant.id}/move`, { method: 'POST', body: { tier: 'standard' } });
  expect(started.status, started.text).toBe(202);
  const copied = await waitForMove(h.api.baseUrl, tenant.id, (view) => view.tierMove.copiedUsers === 3 && view.tierMove.steps.find((step: { name: string }) => step.name === 'copy_users').done);
  const targetClients = (copied.appClientIds as string[]).slice();
  expect(targetClients).toHaveLength(2);
  // Deleting a moving tenant would leave one side behind: refused.
  expectProblem(await h.admin(`/v1/admin/tenants/${tenant.id}`, { method: 'DELETE' }), 409, 'tier_move_in_progress');
  // A second move while one runs: refused.
  expectProblem(await h.admin(`/v1/admin/tenants/${tenant.id}/move`, { method: 'POST', body: { tier: 'premium' } }), 409, 'tier_move_in_progress');

  const cancelled = await h.admin(`/v1/admin/tenants/${tenant.id}/move/cancel`, { method: 'POST' });
  expect(cancelled.status, cancelled.text).toBe(202);
  release();
  const view = await waitForMove(h.api.baseUrl, tenant.id, (candidate) => candidate.tierMove.phase === 'cancelled');
  expect(view.tier).toBe('basic');
  expect(view.isolationModel).toBe('pool');
  expect(view.appClientIds).toEqual([]);
  expect(view.tierMove.cancelled).toBe(true);

  const standard = stackInfo().sharedPools['standard']!;
  const listed = await h.cognito.send(new ListUserPoolClientsCommand({ UserPoolId: standard.userPoolId, MaxResults: 60 }));
  for (const clientId of targetClients) expect((listed.UserPoolClients ?? []).map((client) => client.ClientId)).not.toContain(clientId);
  for (const user of users) {
    await expect(h.cognito.send(new AdminGetUserCommand({ UserPoolId: standard.userPoolId, Username: user.username }))).rejects.toMatchObject({
      name: 'UserNotFoundException',
    });
  }
  expect(await h.privileged.tierMoveIdentity.count({ where: { tenantId: tenant.id } })).toBe(0);
  // Users sign in where they always did.
  for (const user of users) await signIn(h.api.baseUrl, tenant.slug, user.email);
  expectProblem(await h.admin(`/v1/admin/tenants/${tenant.id}/move/cancel`, { method: 'POST' }), 409, 'no_tier_move');
  const actions = (await h.privileged.auditEvent.findMany({ where: { tenantId: tenant.id, action: { startsWith: 'tenant.tier_move' } }, orderBy: { id: 'asc' } })).map((event) => event.action);
  expect(actions).toEqual(['tenant.tier_move.start', 'tenant.tier_move.cancel', 'tenant.tier_move.rolled_back']);
}, 300_000);

it('a runner that dies mid-move (its step never returns) is taken over by another instance once its lease expires', async () => {
  const { tenant, users } = await poolTenant(4);
  // The first instance copies the users, then hangs before recording it: a crashed replica, as far as the database can tell.
  let unhang!: () => void;
  const hung = new Promise<void>((resolve) => {
    unhang = resolve;
  });
  h.api.app.get(TierMoveFaults).check = async (point) => {
    if (point.tenantId === tenant.id && point.step === 'copy_users' && point.when === 'after-effect') await hung;
  };
  let survivor: RunningApi | undefined;
  try {
    const started = await h.admin(`/v1/admin/tenants/${tenant.id}/move`, { method: 'POST', body: { tier: 'premium', unmigratedUsers: 'keep_source' } });
    expect(started.status, started.text).toBe(202);
    await waitForMove(h.api.baseUrl, tenant.id, (view) => view.tierMove.copiedUsers === 4);

    survivor = await startApi(testConfig(SETTINGS));
    const cutOver = await waitForMove(survivor.baseUrl, tenant.id, (view) => view.isolationModel === 'silo');
    expect(cutOver.tierMove.resumes).toBeGreaterThanOrEqual(1);
    // Recorded once: users with passwords are deferred (their silo account waits for the password), one row each.
    const identities = await h.privileged.tierMoveIdentity.findMany({ where: { tenantId: tenant.id } });
    expect(identities.map((identity) => identity.sub).sort()).toEqual(identities.map((identity) => `deferred:${identity.userId}`).sort());
    expect(identities).toHaveLength(4);
    // keep_source: the source goes once every user has signed in (and moved their password).
    for (const user of users) await signIn(survivor.baseUrl, tenant.slug, user.email);
    // Made once, at the sign-in: in the silo pool, each username's user is the one the mirror now names.
    const rows = await h.privileged.user.findMany({ where: { tenantId: tenant.id } });
    for (const user of users) {
      const row = rows.find((candidate) => candidate.username === user.username)!;
      const inPool = await h.cognito.send(new AdminGetUserCommand({ UserPoolId: cutOver.userPoolId, Username: user.username }));
      expect(inPool.UserAttributes?.find((attribute) => attribute.Name === 'sub')?.Value).toBe(row.sub);
      expect(row.issuer).toBe(cutOver.issuer);
    }
    const moved = await waitForMove(survivor.baseUrl, tenant.id, (view) => view.tierMove.phase === 'moved');
    expect(moved.tierMove.copiedUsers).toBe(4);
    for (const user of users) {
      await expect(
        h.cognito.send(new AdminGetUserCommand({ UserPoolId: stackInfo().sharedPools['basic']!.userPoolId, Username: user.username })),
      ).rejects.toMatchObject({ name: 'UserNotFoundException' });
    }
  } finally {
    // The hung runner wakes up, finds the state moved on under it (lease lost) and stops without writing.
    unhang();
    await survivor?.close();
  }
  const audit = await h.privileged.auditEvent.count({ where: { tenantId: tenant.id, action: 'tenant.moved' } });
  expect(audit).toBe(1);
}, 300_000);

describe('tenants with identity providers federated through Cognito', () => {
  /** What a successful add stores (the emulator cannot run one): the row, inserted directly. */
  const providerRow = (tenantId: string, name: string, type: string) =>
    h.privileged.tenantFederatedProvider.create({
      data: { tenantId, name, type, displayName: name, defaultRole: 'member', settings: { type, name }, callbackUrls: ['https://app.example/callback'], hostedUiDomain: 'gh-test-provider' },
    });
  const startedMoves = (tenantId: string) => h.privileged.auditEvent.count({ where: { tenantId, action: 'tenant.tier_move.start' } });

  it('refuse a move to the pool model (remove the providers first), with Sign in with Apple, or into a bridge tier whose pool has the name', async () => {
    h.api.app.get(TierMoveFaults).check = async () => {};
    const { tenant } = await createTenant(h, { tier: 'standard' });
    await providerRow(tenant.id, 'acme-ad', 'SAML');
    const path = `/v1/admin/tenants/${tenant.id}/move`;
    const toPool = await h.admin(path, { method: 'POST', body: { tier: 'basic' } });
    expectProblem(toPool, 409, 'federation_not_available_in_pool_model');
    expect(toPool.body.detail).toContain('acme-ad');
    expect(toPool.body.detail).toMatch(/Remove those providers first/);
    // A name of its own: other suites add providers to the shared bridge pool at the same time.
    const shared = `corp-${randomUUID().slice(0, 8)}`;
    await providerRow(tenant.id, shared, 'OIDC');
    await providerRow(tenant.id, 'SignInWithApple', 'SignInWithApple');
    expectProblem(await h.admin(path, { method: 'POST', body: { tier: 'premium' } }), 409, 'federated_provider_not_movable');
    // Bridge tenants of a tier share one pool: a silo tenant with a provider of that name cannot move in next to it.
    const { tenant: silo } = await createTenant(h, { tier: 'premium' });
    await providerRow(silo.id, shared, 'OIDC');
    expectProblem(await h.admin(`/v1/admin/tenants/${silo.id}/move`, { method: 'POST', body: { tier: 'standard' } }), 409, 'federated_provider_name_taken');
    expect(await startedMoves(tenant.id)).toBe(0);
    expect(await startedMoves(silo.id)).toBe(0);
    expect((await h.admin(`/v1/admin/tenants/${silo.id}`)).body.tierMove).toBeNull();
  }, 300_000);

  it('a move stops cleanly at create_target_providers where the emulator cannot federate; providers are frozen meanwhile; a cancel rolls it back', async () => {
    h.api.app.get(TierMoveFaults).check = async () => {};
    const { tenant } = await createTenant(h, { tier: 'standard' });
    await providerRow(tenant.id, 'acme-ad', 'SAML');
    const started = await h.admin(`/v1/admin/tenants/${tenant.id}/move`, { method: 'POST', body: { tier: 'premium' } });
    expect(started.status, started.text).toBe(202);
    const failed = await waitForMove(h.api.baseUrl, tenant.id, (view) => view.tierMove.phase === 'failed');
    // No CreateUserPoolDomain in the emulator: the step fails before any provider or client change, never a 5xx.
    expect(failed.tierMove.lastError).toMatchObject({ step: 'create_target_providers', code: 'not_supported_by_identity_provider' });
    expect(failed.tierMove.steps.map((step: { name: string }) => step.name)).toContain('create_target_providers');
    expect(failed.tierMove.targetHostedUiDomain).toBeNull();
    expect(failed.tierMove.copiedUsers).toBe(0);
    // The move re-creates the providers it found: they cannot change while it runs.
    expectProblem(await h.admin(`/v1/admin/tenants/${tenant.id}/federated-providers/acme-ad`, { method: 'DELETE' }), 409, 'tier_move_in_progress');

    const targetPool = ((await h.privileged.tenant.findUniqueOrThrow({ where: { id: tenant.id } })).tierMove as { target: { userPoolId: string } }).target.userPoolId;
    expect((await h.admin(`/v1/admin/tenants/${tenant.id}/move/cancel`, { method: 'POST' })).status).toBe(202);
    const view = await waitForMove(h.api.baseUrl, tenant.id, (candidate) => candidate.tierMove.phase === 'cancelled');
    expect(view.tier).toBe('standard');
    expect(view.tierMove.steps.find((step: { name: string }) => step.name === 'rollback_providers')).toMatchObject({ done: true });
    await expect(h.cognito.send(new DescribeUserPoolCommand({ UserPoolId: targetPool }))).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    expect(await h.privileged.tenantFederatedProvider.findMany({ where: { tenantId: tenant.id }, select: { name: true, hostedUiDomain: true } })).toEqual([
      { name: 'acme-ad', hostedUiDomain: 'gh-test-provider' },
    ]);
  }, 300_000);
});
