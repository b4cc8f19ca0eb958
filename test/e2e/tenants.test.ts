/**
 * Operators' tenant API end to end, against the running API, the Cognito
 * emulator and real Postgres: provisioning per isolation model, the first
 * admin's invitation and first sign-in, crash-and-resume at every step without
 * orphans, suspend/reactivate, delete (tokens refused at once, everything
 * removed), external IdPs, access rules, validation and the audit trail.
 */
import {
  DescribeUserPoolCommand,
  GetUserPoolMfaConfigCommand,
  ListUserPoolClientsCommand,
  ListUserPoolsCommand,
  ListUsersCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { deriveSignInUsername } from '@gatehouse/tiers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Metrics } from '../../apps/api/src/observability/metrics.js';
import { InjectedFault, ProvisioningFaults, type FaultPoint } from '../../apps/api/src/tenants/provisioning/provisioning-faults.js';
import { PROVISIONING_STEPS, parseState } from '../../apps/api/src/tenants/provisioning/provisioning-state.js';
import { stackInfo } from '../support/database.js';
import { uniqueSlug } from '../support/factories.js';
import {
  type Harness,
  createTenant,
  expectProblem,
  firstSignIn,
  mirrorRow,
  signInClient,
  startHarness,
  tenantBody,
  waitForTenant,
} from './tenants-harness.js';

let h: Harness;
const faultPlan = new Map<string, (point: FaultPoint) => void>();

beforeAll(async () => {
  h = await startHarness();
  // The documented test seam: the production implementation does nothing.
  const faults = h.api.app.get(ProvisioningFaults);
  faults.check = async (point) => faultPlan.get(point.slug)?.(point);
}, 120_000);

afterAll(async () => {
  await h?.close();
});

const TIERS = { pool: 'basic', bridge: 'standard', silo: 'premium' } as const;

async function poolsNamed(name: string) {
  const found = [];
  let nextToken: string | undefined;
  do {
    const page = await h.cognito.send(new ListUserPoolsCommand({ MaxResults: 60, ...(nextToken ? { NextToken: nextToken } : {}) }));
    found.push(...(page.UserPools ?? []).filter((pool) => pool.Name === name));
    nextToken = page.NextToken;
  } while (nextToken);
  return found;
}

async function clientsNamed(userPoolId: string, name: string) {
  const clients = await h.cognito.send(new ListUserPoolClientsCommand({ UserPoolId: userPoolId, MaxResults: 60 }));
  return (clients.UserPoolClients ?? []).filter((client) => client.ClientName === name);
}

async function usersWithEmail(userPoolId: string, email: string) {
  const users = await h.cognito.send(new ListUsersCommand({ UserPoolId: userPoolId }));
  return (users.Users ?? []).filter((user) => user.Attributes?.some((a) => a.Name === 'email' && a.Value === email));
}

const deployment = () => stackInfo().deployment;

describe.each(Object.entries(TIERS))('a %s-model tenant', (model, tier) => {
  it('is provisioned, trusted only once active, and its first admin is invited and signs in', async () => {
    const { tenant, email, elapsedMs } = await createTenant(h, { tier });
    if (model === 'silo') process.stderr.write(`[tenants] one silo tenant provisioned against the emulator in ${elapsedMs.toFixed(0)} ms (API: ${tenant.provisioning.durationMs} ms)\n`);
    expect(tenant).toMatchObject({ status: 'active', isolationModel: model, tier, hosts: [`${tenant.slug}.app.test`] });
    expect(tenant.provisioning.steps.every((step: { done: boolean }) => step.done)).toBe(true);
    expect(tenant.provisioning.steps.map((step: { name: string }) => step.name)).toEqual(PROVISIONING_STEPS[model as keyof typeof PROVISIONING_STEPS]);

    const admin = await mirrorRow(h, tenant.id, email);
    expect(admin).toMatchObject({ status: 'pending', role: 'admin', issuer: tenant.issuer });
    // Opaque, never the e-mail: derived from tenant + e-mail, so the admin can also sign in at Cognito directly.
    expect(admin!.username).toBe(deriveSignInUsername(tenant.id, email));
    const cognitoUsers = await usersWithEmail(tenant.userPoolId, email);
    expect(cognitoUsers).toHaveLength(1);
    expect(cognitoUsers[0]!.Attributes).toEqual(expect.arrayContaining([{ Name: 'custom:tenantId', Value: tenant.id }, { Name: 'sub', Value: admin!.sub }]));
    expect(cognitoUsers[0]!.UserStatus).toBe('FORCE_CHANGE_PASSWORD');

    if (model === 'silo') {
      expect(await poolsNamed(`${deployment()}-tenant-${tenant.slug}`)).toHaveLength(1);
      expect(tenant.issuer).toBe(`${stackInfo().cognitoEndpoint}/${tenant.userPoolId}`);
      // The silo pool takes the e-mail as a sign-in alias (the emulator stores it, though it does not sign in with it).
      const described = await h.cognito.send(new DescribeUserPoolCommand({ UserPoolId: tenant.userPoolId }));
      expect(described.UserPool?.AliasAttributes).toEqual(['email']);
      // Recorded with the pool, so lookup can tell (in AWS) that the e-mail signs in here.
      const row = await h.privileged.tenant.findUniqueOrThrow({ where: { id: tenant.id } });
      expect(parseState(row.provisioning).created.signInAliases).toEqual(['email']);
    } else {
      expect(tenant.userPoolId).toBe(stackInfo().sharedPools[tier]!.userPoolId);
    }
    if (model !== 'pool') {
      // Its public client and its confidential Gatehouse client (the pool contract), both registered.
      expect(await clientsNamed(tenant.userPoolId, `${deployment()}-tenant-${tenant.slug}`)).toHaveLength(1);
      expect(await clientsNamed(tenant.userPoolId, `${deployment()}-tenant-${tenant.slug}-gatehouse`)).toHaveLength(1);
    }
    expect(tenant.appClientIds).toHaveLength(model === 'pool' ? 0 : 2);

    const tokens = await firstSignIn(h, signInClient(tenant), admin!.username);
    const projects = await h.call('/v1/projects', { token: tokens.accessToken });
    expect(projects.status, projects.text).toBe(200);
    // An admin of a tenant is not an operator.
    expectProblem(await h.call('/v1/admin/tenants', { token: tokens.accessToken }), 403);
    expectProblem(await h.call('/v1/admin/audit-events', { token: tokens.accessToken }), 403);
  });
});

describe('Cognito capacity (issue 14 row 7)', () => {
  it('reports user pools per region and app clients per shared pool against the quotas, and counts a new silo pool', async () => {
    const before = await h.admin('/v1/admin/cognito/capacity');
    expect(before.status, before.text).toBe(200);
    expect(before.body.siloRegions.length).toBeGreaterThan(0);
    const region = before.body.siloRegions[0] as string;
    const poolsIn = (body: { userPools: { region: string; used: number; quota: number }[] }) => body.userPools.find((row) => row.region === region)!;
    expect(poolsIn(before.body).quota).toBe(1000);
    const standard = () => h.admin('/v1/admin/cognito/capacity').then((r) => r.body.appClientsPerPool.find((row: { pool: string }) => row.pool === 'standard').used as number);
    const clientsBefore = await standard();

    await createTenant(h, { tier: 'premium' });
    await createTenant(h, { tier: 'standard' });
    const after = await h.admin('/v1/admin/cognito/capacity');
    // Other suites create tenants concurrently: at least ours were counted.
    expect(poolsIn(after.body).used).toBeGreaterThanOrEqual(poolsIn(before.body).used + 1);
    expect(await standard()).toBeGreaterThanOrEqual(clientsBefore + 1);
  });
});

describe('pools and clients are found by stored id, not by listing (issue 14 row 7)', () => {
  /** Cognito calls this API made, by operation (the instrumentation counts every SDK call, retries included). */
  const callsTo = async (operation: string) => {
    const metric = await h.api.app.get(Metrics).cognitoCalls.get();
    return metric.values.filter((value) => value.labels.operation === operation).reduce((sum, value) => sum + value.value, 0);
  };
  const listings = async () => ({ pools: await callsTo('ListUserPools'), clients: await callsTo('ListUserPoolClients') });

  it('provisions and deletes silo and bridge tenants without ListUserPools or ListUserPoolClients', async () => {
    const before = await listings();
    const silo = await createTenant(h, { tier: 'premium' });
    const bridge = await createTenant(h, { tier: 'standard' });
    for (const { tenant } of [silo, bridge]) {
      expect((await h.admin(`/v1/admin/tenants/${tenant.id}`, { method: 'DELETE' })).status).toBe(202);
      await waitForTenant(h, tenant.id, ['deleted']);
    }
    expect(await listings()).toEqual(before);
    expect(await poolsNamed(`${deployment()}-tenant-${silo.tenant.slug}`)).toHaveLength(0);
  });

  it('after a crash between CreateUserPool and recording the id, the retry finds the leftover by name and tags and replaces it', async () => {
    const body = tenantBody({ tier: 'premium' });
    const slug = body['slug'] as string;
    faultPlan.set(slug, (point) => {
      if (point.step === 'create_pool' && point.when === 'after-effect' && point.attempt === 1) throw new InjectedFault('crash after CreateUserPool');
    });
    const created = await h.admin('/v1/admin/tenants', { method: 'POST', body });
    expect(created.status, created.text).toBe(202);
    expect((await waitForTenant(h, created.body.id, ['failed', 'active'])).status).toBe('failed');
    const [leftover] = await poolsNamed(`${deployment()}-tenant-${slug}`);
    expect(leftover).toBeDefined();

    const before = { ...(await listings()), describes: await callsTo('DescribeUserPool') };
    expect((await h.admin(`/v1/admin/tenants/${created.body.id}/retry`, { method: 'POST' })).status).toBe(202);
    const tenant = await waitForTenant(h, created.body.id);
    expect(tenant.status).toBe('active');
    // The recovery path is the only one that lists, and it checked the candidate's tags.
    expect(await callsTo('ListUserPools')).toBeGreaterThan(before.pools);
    expect(await callsTo('DescribeUserPool')).toBeGreaterThan(before.describes);
    const pools = await poolsNamed(`${deployment()}-tenant-${slug}`);
    expect(pools.map((pool) => pool.Id)).toEqual([tenant.userPoolId]);
    expect(tenant.userPoolId).not.toBe(leftover!.Id);
    faultPlan.delete(slug);
  });
});

describe('a crash at each provisioning step', () => {
  const cases = Object.entries(PROVISIONING_STEPS).flatMap(([model, steps]) =>
    steps.map((step) => ({ model: model as keyof typeof TIERS, step })),
  );

  it.each(cases)('$model: after the Cognito effect of $step, before it is recorded — resume makes one complete tenant, no orphans', async ({ model, step }) => {
    const tier = TIERS[model];
    const body = tenantBody({ tier });
    const slug = body['slug'] as string;
    const email = body['firstAdminEmail'] as string;
    faultPlan.set(slug, (point) => {
      if (point.step === step && point.when === 'after-effect' && point.attempt === 1) throw new InjectedFault(`crash at ${step}`);
    });
    const created = await h.admin('/v1/admin/tenants', { method: 'POST', body });
    expect(created.status, created.text).toBe(202);
    const id: string = created.body.id;
    const failed = await waitForTenant(h, id, ['failed', 'active']);
    expect(failed.status).toBe('failed');
    expect(failed.provisioning.lastError).toMatchObject({ step, code: 'InjectedFault' });
    expect(failed.provisioning.steps.find((entry: { name: string }) => entry.name === step).done).toBe(false);

    const retried = await h.admin(`/v1/admin/tenants/${id}/retry`, { method: 'POST' });
    expect(retried.status, retried.text).toBe(202);
    const tenant = await waitForTenant(h, id);
    expect(tenant.status, JSON.stringify(tenant.provisioning)).toBe('active');
    expect(tenant.provisioning.attempt).toBe(2);

    const poolId: string = tenant.userPoolId;
    expect(await usersWithEmail(poolId, email)).toHaveLength(1);
    expect(await h.privileged.user.count({ where: { tenantId: id } })).toBe(1);
    if (model === 'silo') expect(await poolsNamed(`${deployment()}-tenant-${slug}`)).toHaveLength(1);
    if (model !== 'pool') {
      expect(await clientsNamed(poolId, `${deployment()}-tenant-${slug}`)).toHaveLength(1);
      expect(await clientsNamed(poolId, `${deployment()}-tenant-${slug}-gatehouse`)).toHaveLength(1);
    }
    expect(await h.privileged.tenantAppClient.count({ where: { tenantId: id } })).toBe(model === 'pool' ? 0 : 2);
    faultPlan.delete(slug);
  });
});

describe('tenant lifecycle', () => {
  it('suspend and reactivate take effect on the next request', async () => {
    const { tenant, email } = await createTenant(h, { tier: 'standard' });
    const admin = await mirrorRow(h, tenant.id, email);
    const { accessToken } = await firstSignIn(h, signInClient(tenant), admin!.username);
    expect((await h.call('/v1/projects', { token: accessToken })).status).toBe(200);

    const suspended = await h.admin(`/v1/admin/tenants/${tenant.id}/suspend`, { method: 'POST' });
    expect(suspended.status, suspended.text).toBe(200);
    expect(suspended.body.status).toBe('suspended');
    expectProblem(await h.call('/v1/projects', { token: accessToken }), 403, 'tenant_suspended');
    expect((await h.admin(`/v1/admin/tenants/${tenant.id}/suspend`, { method: 'POST' })).status).toBe(200); // idempotent
  });

  it('reactivate restores access; wrong states are 409', async () => {
    const { tenant, email } = await createTenant(h, { tier: 'basic' });
    const admin = await mirrorRow(h, tenant.id, email);
    const { accessToken } = await firstSignIn(h, signInClient(tenant), admin!.username);
    expect((await h.admin(`/v1/admin/tenants/${tenant.id}/reactivate`, { method: 'POST' })).status).toBe(200); // already active
    expect((await h.admin(`/v1/admin/tenants/${tenant.id}/suspend`, { method: 'POST' })).status).toBe(200);
    expectProblem(await h.call('/v1/projects', { token: accessToken }), 403, 'tenant_suspended');
    const reactivated = await h.admin(`/v1/admin/tenants/${tenant.id}/reactivate`, { method: 'POST' });
    expect(reactivated.status, reactivated.text).toBe(200);
    expect(reactivated.body).toMatchObject({ status: 'active', suspendedAt: null });
    expect((await h.call('/v1/projects', { token: accessToken })).status).toBe(200);
    expectProblem(await h.admin(`/v1/admin/tenants/${tenant.id}/retry`, { method: 'POST' }), 409, 'invalid_tenant_state');
  });

  it.each(Object.entries(TIERS))('deleting a %s tenant refuses its tokens at once and removes everything it created', async (model, tier) => {
    const { tenant, email } = await createTenant(h, { tier });
    const admin = await mirrorRow(h, tenant.id, email);
    const { accessToken } = await firstSignIn(h, signInClient(tenant), admin!.username);
    expect((await h.call('/v1/projects', { method: 'POST', token: accessToken, body: { name: 'doomed' } })).status).toBe(201);

    const deleting = await h.admin(`/v1/admin/tenants/${tenant.id}`, { method: 'DELETE' });
    expect(deleting.status, deleting.text).toBe(202);
    expect(['deleting', 'deleted']).toContain(deleting.body.status);
    expectProblem(await h.call('/v1/projects', { token: accessToken }), 401);

    const deleted = await waitForTenant(h, tenant.id, ['deleted']);
    expect(deleted).toMatchObject({ status: 'deleted', hosts: [], emailDomains: [], appClientIds: [] });
    expect(deleted.deletedAt).not.toBeNull();
    expectProblem(await h.call('/v1/projects', { token: accessToken }), 401);
    for (const table of ['user', 'project', 'tenantAppClient', 'tenantHost'] as const) {
      expect(await (h.privileged[table] as { count(args: unknown): Promise<number> }).count({ where: { tenantId: tenant.id } })).toBe(0);
    }
    if (model === 'silo') expect(await poolsNamed(`${deployment()}-tenant-${tenant.slug}`)).toHaveLength(0);
    else expect(await usersWithEmail(tenant.userPoolId, email)).toHaveLength(0);
    if (model === 'bridge') {
      expect(await clientsNamed(tenant.userPoolId, `${deployment()}-tenant-${tenant.slug}`)).toHaveLength(0);
      expect(await clientsNamed(tenant.userPoolId, `${deployment()}-tenant-${tenant.slug}-gatehouse`)).toHaveLength(0);
    }

    // The slug stays with the tombstone.
    expectProblem(await h.admin('/v1/admin/tenants', { method: 'POST', body: tenantBody({ tier, slug: tenant.slug }) }), 409, 'tenant_slug_taken');
    // The hosts were released.
    const reuse = await h.admin('/v1/admin/tenants', { method: 'POST', body: tenantBody({ tier, hosts: tenant.hosts }) });
    expect(reuse.status, reuse.text).toBe(202);
    await waitForTenant(h, reuse.body.id);
  });

  it('a tenant is not trusted before it is active', async () => {
    const body = tenantBody({ tier: 'premium' });
    const slug = body['slug'] as string;
    faultPlan.set(slug, (point) => {
      if (point.step === 'activate' && point.when === 'before' && point.attempt === 1) throw new InjectedFault('stop before activation');
    });
    const created = await h.admin('/v1/admin/tenants', { method: 'POST', body });
    const failed = await waitForTenant(h, created.body.id, ['failed', 'active']);
    expect(failed.status).toBe('failed');
    const admin = await mirrorRow(h, failed.id, body['firstAdminEmail'] as string);
    // Cognito already lets the admin sign in, but Gatehouse does not trust the pool yet.
    const { accessToken } = await firstSignIn(h, signInClient(failed), admin!.username);
    expectProblem(await h.call('/v1/projects', { token: accessToken }), 401, 'untrusted_issuer');
    expect((await h.admin(`/v1/admin/tenants/${failed.id}/retry`, { method: 'POST' })).status).toBe(202);
    expect((await waitForTenant(h, failed.id)).status).toBe('active');
    expect((await h.call('/v1/projects', { token: accessToken })).status).toBe(200);
    faultPlan.delete(slug);
  });
});

describe('operators’ API rules', () => {
  it('refuses requests without a token (401) and with a tenant user’s token (403)', async () => {
    expectProblem(await h.call('/v1/admin/tenants'), 401);
    expectProblem(await h.call('/v1/admin/tenants', { method: 'POST', body: tenantBody({ tier: 'basic' }) }), 401);
  });

  it('answers a duplicate slug with 409, also for two concurrent creates', async () => {
    const slug = uniqueSlug('dup');
    const [first, second] = await Promise.all([
      h.admin('/v1/admin/tenants', { method: 'POST', body: tenantBody({ tier: 'premium', slug }) }),
      h.admin('/v1/admin/tenants', { method: 'POST', body: tenantBody({ tier: 'basic', slug }) }),
    ]);
    expect([first.status, second.status].sort()).toEqual([202, 409]);
    const loser = first.status === 409 ? first : second;
    expectProblem(loser, 409, 'tenant_slug_taken');
    const winner = first.status === 202 ? first : second;
    await waitForTenant(h, winner.body.id);
    expectProblem(await h.admin('/v1/admin/tenants', { method: 'POST', body: tenantBody({ tier: 'basic', slug }) }), 409, 'tenant_slug_taken');
    expect(await h.privileged.tenant.count({ where: { slug } })).toBe(1);
  });

  it('answers a taken host with 409', async () => {
    const { tenant } = await createTenant(h, { tier: 'basic' });
    expectProblem(await h.admin('/v1/admin/tenants', { method: 'POST', body: tenantBody({ tier: 'basic', hosts: tenant.hosts }) }), 409, 'tenant_host_taken');
  });

  it.each([
    ['no body', undefined],
    ['a bad slug', tenantBody({ tier: 'basic', slug: 'Not A Slug' })],
    ['an unknown tier', tenantBody({ tier: 'gold' as never })],
    ['an unknown MFA policy', tenantBody({ tier: 'basic', mfaPolicy: 'sometimes' })],
    ['the retired mfa field', tenantBody({ tier: 'premium', mfa: 'ON' })],
    ['a password policy on a bridge tier', tenantBody({ tier: 'standard', passwordPolicy: { minimumLength: 16 } })],
    ['a region for a shared pool', tenantBody({ tier: 'standard', region: 'eu-west-1' })],
    // Issue 14 row 7: SILO_REGIONS is unset here, so only AWS_REGION is allowed.
    ['a silo region the deployment does not allow', tenantBody({ tier: 'premium', region: 'ap-south-1' })],
    ['an invalid e-mail', tenantBody({ tier: 'basic', firstAdminEmail: 'nope' })],
    ['unknown fields', tenantBody({ tier: 'basic', colour: 'red' })],
  ])('answers %s with 400 problem+json', async (_label, body) => {
    const response = await h.admin('/v1/admin/tenants', { method: 'POST', ...(body ? { body } : { body: {} }) });
    expectProblem(response, 400, 'validation_failed');
    expect(response.body.errors.length).toBeGreaterThan(0);
  });

  it('validates ids, queries and updates', async () => {
    expectProblem(await h.admin('/v1/admin/tenants/not-a-uuid'), 400, 'validation_failed');
    expectProblem(await h.admin('/v1/admin/tenants/00000000-0000-4000-8000-000000000000'), 404, 'tenant_not_found');
    expectProblem(await h.admin('/v1/admin/tenants?status=sleeping'), 400, 'validation_failed');
    expectProblem(await h.admin('/v1/admin/audit-events?from=yesterday'), 400, 'validation_failed');
  });

  it('creates silo tenants with their own password policy and MFA; lists, filters and updates', async () => {
    const { tenant } = await createTenant(h, { tier: 'premium', mfaPolicy: 'required', passwordPolicy: { minimumLength: 16 }, tokenValidity: { accessTokenMinutes: 15 } });
    expect(tenant).toMatchObject({ status: 'active', mfaPolicy: 'required', passwordPolicy: { minimumLength: 16 } });

    const listed = await h.admin(`/v1/admin/tenants?tier=premium&status=active&q=${tenant.slug}`);
    expect(listed.status).toBe(200);
    expect(listed.body.items.map((item: { id: string }) => item.id)).toEqual([tenant.id]);
    const page = await h.admin('/v1/admin/tenants?limit=1');
    expect(page.body.items).toHaveLength(1);
    expect(page.body.nextCursor).not.toBeNull();
    const next = await h.admin(`/v1/admin/tenants?limit=1&cursor=${page.body.nextCursor}`);
    expect(next.body.items[0].id).not.toBe(page.body.items[0].id);

    const updated = await h.admin(`/v1/admin/tenants/${tenant.id}`, {
      method: 'PATCH',
      body: { name: 'Renamed', hosts: [`${tenant.slug}.example.test`], emailDomains: [] },
    });
    expect(updated.status, updated.text).toBe(200);
    expect(updated.body).toMatchObject({ name: 'Renamed', hosts: [`${tenant.slug}.example.test`], emailDomains: [] });
    expectProblem(await h.admin(`/v1/admin/tenants/${tenant.id}`, { method: 'PATCH', body: {} }), 400, 'validation_failed');
  });

  it('registers and removes a tenant’s own OpenID Connect provider', async () => {
    const { tenant } = await createTenant(h, { tier: 'basic' });
    const other = await createTenant(h, { tier: 'basic' });
    const issuer = `https://idp.${tenant.slug}.test`;
    const registered = await h.admin(`/v1/admin/tenants/${tenant.id}/identity-providers`, {
      method: 'POST',
      body: { issuer, audience: 'gatehouse', jwksUri: `${issuer}/jwks`, claimMapping: { roleMap: { admins: 'admin' }, defaultRole: 'viewer' } },
    });
    expect(registered.status, registered.text).toBe(201);
    expect(registered.body.identityProviders).toEqual([
      expect.objectContaining({ issuer, audience: 'gatehouse', claimMapping: { roleMap: { admins: 'admin' }, defaultRole: 'viewer' } }),
    ]);
    expectProblem(
      await h.admin(`/v1/admin/tenants/${other.tenant.id}/identity-providers`, { method: 'POST', body: { issuer, audience: 'x', jwksUri: `${issuer}/jwks` } }),
      409,
      'identity_provider_issuer_taken',
    );
    const cognitoIssuer = stackInfo().sharedPools['basic']!.issuer;
    expectProblem(
      await h.admin(`/v1/admin/tenants/${tenant.id}/identity-providers`, { method: 'POST', body: { issuer: cognitoIssuer, audience: 'x', jwksUri: `${cognitoIssuer}/.well-known/jwks.json` } }),
      409,
      'identity_provider_issuer_taken',
    );
    expectProblem(
      await h.admin(`/v1/admin/tenants/${tenant.id}/identity-providers`, { method: 'POST', body: { issuer: 'not a url', audience: '', jwksUri: 'x' } }),
      400,
      'validation_failed',
    );
    const providerId = registered.body.identityProviders[0].id;
    expect((await h.admin(`/v1/admin/tenants/${tenant.id}/identity-providers/${providerId}`, { method: 'DELETE' })).status).toBe(204);
    expectProblem(await h.admin(`/v1/admin/tenants/${tenant.id}/identity-providers/${providerId}`, { method: 'DELETE' }), 404, 'identity_provider_not_found');
  });

  it('writes an audit event for every operator action, readable with filters', async () => {
    const { tenant } = await createTenant(h, { tier: 'basic' });
    await h.admin(`/v1/admin/tenants/${tenant.id}/suspend`, { method: 'POST' });
    await h.admin(`/v1/admin/tenants/${tenant.id}/reactivate`, { method: 'POST' });
    await h.admin(`/v1/admin/tenants/${tenant.id}`, { method: 'PATCH', body: { name: 'Audited' } });
    const events = await h.admin(`/v1/admin/audit-events?tenantId=${tenant.id}`);
    expect(events.status, events.text).toBe(200);
    const actions = events.body.items.map((event: { action: string }) => event.action);
    expect(actions).toEqual(['tenant.update', 'tenant.reactivate', 'tenant.suspend', 'tenant.provision', 'tenant.create']);
    for (const event of events.body.items) {
      expect(event).toMatchObject({ tenantId: tenant.id, actorType: 'operator', outcome: 'success', target: `tenant:${tenant.id}` });
      expect(event.requestId).toEqual(expect.any(String));
    }
    const suspends = await h.admin(`/v1/admin/audit-events?tenantId=${tenant.id}&action=tenant.s*&limit=1`);
    expect(suspends.body.items.map((event: { action: string }) => event.action)).toEqual(['tenant.suspend']);
    const actor = events.body.items[0].actorId;
    const byActor = await h.admin(`/v1/admin/audit-events?actor=${actor}&tenantId=${tenant.id}&from=${new Date(Date.now() - 60_000).toISOString()}`);
    expect(byActor.body.items.length).toBe(5);
    const none = await h.admin(`/v1/admin/audit-events?tenantId=${tenant.id}&to=2000-01-01T00:00:00Z`);
    expect(none.body.items).toEqual([]);
  });
});

describe('MFA policy per tenant (issue 10, finding 3)', () => {
  const poolMfa = async (userPoolId: string) => (await h.cognito.send(new GetUserPoolMfaConfigCommand({ UserPoolId: userPoolId }))).MfaConfiguration;

  it('a silo tenant’s pool follows its policy: set at creation, changed by an operator, audited', async () => {
    const { tenant } = await createTenant(h, { tier: 'premium', mfaPolicy: 'required' });
    expect(await poolMfa(tenant.userPoolId)).toBe('ON');

    const relaxed = await h.admin(`/v1/admin/tenants/${tenant.id}`, { method: 'PATCH', body: { mfaPolicy: 'optional' } });
    expect(relaxed.status, relaxed.text).toBe(200);
    expect(relaxed.body.mfaPolicy).toBe('optional');
    expect(await poolMfa(tenant.userPoolId)).toBe('OPTIONAL');
    await h.admin(`/v1/admin/tenants/${tenant.id}`, { method: 'PATCH', body: { mfaPolicy: 'off' } });
    expect(await poolMfa(tenant.userPoolId)).toBe('OFF');

    const events = await h.admin(`/v1/admin/audit-events?tenantId=${tenant.id}&action=tenant.mfa_policy.change`);
    expect(events.body.items.map((event: { details: unknown }) => event.details)).toEqual([
      { from: 'optional', to: 'off' },
      { from: 'required', to: 'optional' },
    ]);
  });

  it('pool and bridge tenants can require MFA (enforced by Gatehouse; the shared pool stays OPTIONAL)', async () => {
    for (const tier of ['basic', 'standard'] as const) {
      const { tenant } = await createTenant(h, { tier, mfaPolicy: 'required' });
      expect(tenant.mfaPolicy).toBe('required');
      expect(await poolMfa(tenant.userPoolId)).toBe('OPTIONAL');
      const patched = await h.admin(`/v1/admin/tenants/${tenant.id}`, { method: 'PATCH', body: { mfaPolicy: 'optional' } });
      expect(patched.body.mfaPolicy).toBe('optional');
    }
  });

  it('refuses to change a silo tenant’s policy while its pool is being created (409): the run would not see it', async () => {
    const slug = uniqueSlug('silo');
    let release!: () => void;
    const paused = new Promise<void>((resolve) => {
      release = resolve;
    });
    let reached!: () => void;
    const atCreatePool = new Promise<void>((resolve) => {
      reached = resolve;
    });
    faultPlan.set(slug, ((point: FaultPoint) => {
      if (point.step !== 'create_pool' || point.when !== 'before') return undefined;
      reached();
      return paused;
    }) as (point: FaultPoint) => void);
    try {
      const created = await h.admin('/v1/admin/tenants', { method: 'POST', body: tenantBody({ tier: 'premium', slug, mfaPolicy: 'optional' }) });
      expect(created.status, created.text).toBe(202);
      await atCreatePool;
      expectProblem(await h.admin(`/v1/admin/tenants/${created.body.id}`, { method: 'PATCH', body: { mfaPolicy: 'required' } }), 409, 'provisioning_in_progress');
      release();
      const tenant = await waitForTenant(h, created.body.id);
      expect(tenant).toMatchObject({ status: 'active', mfaPolicy: 'optional' });
      expect(await poolMfa(tenant.userPoolId)).toBe('OPTIONAL');
    } finally {
      release();
      faultPlan.delete(slug);
    }
  });

  it('defaults to the tier’s setting and refuses a policy the tier’s pool cannot carry', async () => {
    const { tenant } = await createTenant(h, { tier: 'basic' });
    expect(tenant.mfaPolicy).toBe('optional');
    expectProblem(await h.admin(`/v1/admin/tenants/${tenant.id}`, { method: 'PATCH', body: { mfaPolicy: 'never' } }), 400, 'validation_failed');
  });
});
