/**
 * Tenant and role isolation over real HTTP: the running API, real Postgres,
 * the Cognito emulator's real tokens, a real oidc-provider IdP. Each case its
 * own test; every refusal is a problem+json with a stable code, never a 5xx.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiReplica } from '../support/app.js';
import { createCognitoUser, signInWithPassword } from '../support/cognito-users.js';
import { uniqueEmail, uniqueSuffix } from '../support/factories.js';
import { type HttpResponse, PUBLIC_BASE_DOMAIN, type World, buildWorld, call } from '../support/world.js';

let world: World;
let tokenA: { admin: string; member: string; viewer: string };
let projectOfB: { id: string };
let taskOfB: { id: string };

function expectProblem(response: HttpResponse, status: number, code: string): void {
  expect(response.status, response.text).toBe(status);
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(response.body.code).toBe(code);
}

/** Polls (bounded) until the API answers `status`: notifications arrive asynchronously after commit. */
async function eventually(request: () => Promise<HttpResponse>, status: number): Promise<HttpResponse> {
  let response = await request();
  for (let attempt = 0; attempt < 100 && response.status !== status; attempt += 1) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    response = await request();
  }
  return response;
}

beforeAll(async () => {
  world = await buildWorld();
  const a = world.users.poolA;
  tokenA = {
    admin: (await world.tokens(a.admin)).accessToken,
    member: (await world.tokens(a.member)).accessToken,
    viewer: (await world.tokens(a.viewer)).accessToken,
  };
  const adminB = (await world.tokens(world.users.poolB.admin)).accessToken;
  const created = await world.call('/v1/projects', { method: 'POST', token: adminB, body: { name: 'b-private' } });
  expect(created.status).toBe(201);
  projectOfB = created.body;
  const task = await world.call(`/v1/projects/${projectOfB.id}/tasks`, { method: 'POST', token: adminB, body: { title: 'b-task' } });
  expect(task.status).toBe(201);
  taskOfB = task.body;
}, 120_000);

afterAll(async () => {
  await world?.close();
});

describe('route hints must agree with the verified tenant', () => {
  it('a tenant-A token on tenant A’s own host is served', async () => {
    const response = await world.call('/v1/projects', { token: tokenA.viewer, host: world.tenants.poolA.host });
    expect(response.status).toBe(200);
  });

  it('a tenant-A token replayed with tenant B’s host is refused', async () => {
    expectProblem(await world.call('/v1/projects', { token: tokenA.admin, host: world.tenants.poolB.host }), 403, 'tenant_mismatch');
  });

  it('a tenant-A token replayed with tenant B’s X-Tenant-Id (slug) is refused', async () => {
    expectProblem(await world.call('/v1/projects', { token: tokenA.admin, tenantHeader: world.tenants.poolB.slug }), 403, 'tenant_mismatch');
  });

  it('a tenant-A token replayed with tenant B’s X-Tenant-Id (id) is refused', async () => {
    expectProblem(await world.call('/v1/projects', { token: tokenA.admin, tenantHeader: world.tenants.poolB.id }), 403, 'tenant_mismatch');
  });

  it('a host naming no tenant under the public domain is refused, not ignored', async () => {
    expectProblem(
      await world.call('/v1/projects', { token: tokenA.admin, host: `no-such-${uniqueSuffix()}.${PUBLIC_BASE_DOMAIN}` }),
      403,
      'tenant_mismatch',
    );
  });

  it('host and header naming different tenants are refused even if one is right', async () => {
    expectProblem(
      await world.call('/v1/projects', { token: tokenA.admin, host: world.tenants.poolA.host, tenantHeader: world.tenants.poolB.slug }),
      403,
      'tenant_mismatch',
    );
  });

  it('a registered custom host is a hint too', async () => {
    const host = `login-${uniqueSuffix()}.customer-b.test`;
    await world.privileged.tenantHost.create({ data: { tenantId: world.tenants.poolB.id, host } });
    const refused = await eventually(() => world.call('/v1/projects', { token: tokenA.admin, host }), 403);
    expectProblem(refused, 403, 'tenant_mismatch');
    const adminB = (await world.tokens(world.users.poolB.admin)).accessToken;
    expect((await world.call('/v1/projects', { token: adminB, host })).status).toBe(200);
  });

  it('a bridge tenant’s token on another bridge tenant’s host is refused', async () => {
    const tokenC = (await world.tokens(world.users.bridgeC.member)).accessToken;
    expectProblem(await world.call('/v1/projects', { token: tokenC, host: world.tenants.bridgeD.host }), 403, 'tenant_mismatch');
  });

  it('an external IdP tenant’s token on a Cognito tenant’s host is refused', async () => {
    const token = await world.oidc.idTokenFor({ accountId: 'bob', clientId: world.oidcClientId });
    expectProblem(await world.call('/v1/projects', { token, host: world.tenants.poolA.host }), 403, 'tenant_mismatch');
  });
});

describe('tenant resolution from verified facts', () => {
  it('tenant A never sees tenant B’s rows, whatever id it asks for', async () => {
    const list = await world.call('/v1/projects', { token: tokenA.admin });
    expect(list.status).toBe(200);
    expect(list.body.items.map((project: { id: string }) => project.id)).not.toContain(projectOfB.id);
    expectProblem(await world.call(`/v1/projects/${projectOfB.id}`, { token: tokenA.admin }), 404, 'project_not_found');
  });

  it('a pool-tier user who belongs to another tenant is confined to that tenant', async () => {
    // A basic-pool user whose Gatehouse record is in tenant B, however its token is presented.
    const email = uniqueEmail();
    const password = 'Another-Horse-43-battery';
    const cognito = await createCognitoUser(world.stack, 'basic', {
      email,
      password,
      groups: ['admin'],
      attributes: { 'custom:tenantId': world.tenants.poolB.id },
    });
    await world.privileged.user.create({
      data: {
        tenantId: world.tenants.poolB.id,
        email,
        username: cognito.username,
        issuer: world.tenants.poolB.issuer,
        sub: cognito.sub,
        role: 'admin',
        status: 'active',
      },
    });
    const token = (await signInWithPassword(world.stack, world.tenants.poolA.clientId, cognito.username, password)).accessToken;
    // The shared client is the same for A and B: only the user row decides, and it says B.
    expectProblem(await world.call('/v1/projects', { token, host: world.tenants.poolA.host }), 403, 'tenant_mismatch');
    const own = await world.call(`/v1/projects/${projectOfB.id}`, { token });
    expect(own.status).toBe(200);
  });

  it('a shared-pool user Gatehouse never registered is refused', async () => {
    const email = uniqueEmail();
    const cognito = await createCognitoUser(world.stack, 'basic', { email, password: 'Stray-Horse-44-battery', groups: ['admin'] });
    const token = (await signInWithPassword(world.stack, world.tenants.poolA.clientId, cognito.username, 'Stray-Horse-44-battery'))
      .accessToken;
    expectProblem(await world.call('/v1/projects', { token }), 401, 'unknown_user');
  });

  it('a silo-pool user Gatehouse did not create is refused, so a removed user cannot come back', async () => {
    const silo = world.tenants.siloE;
    const poolId = silo.issuer.split('/').at(-1)!;
    const cognito = await createCognitoUser(world.stack, poolId, { email: uniqueEmail(), password: 'Silo-Stray-45-battery', groups: ['admin'] });
    const tokens = await signInWithPassword(world.stack, silo.clientId, cognito.username, 'Silo-Stray-45-battery');
    expectProblem(await world.call('/v1/projects', { token: tokens.accessToken }), 401, 'unknown_user');
    expect(await world.privileged.user.count({ where: { issuer: silo.issuer, sub: cognito.sub } })).toBe(0);
  });

  it('a bridge user signing in through another tenant’s app client is refused', async () => {
    // Cognito lets any user of the shared pool use any of its clients; Gatehouse must not.
    const userC = world.users.bridgeC.admin;
    const token = (await signInWithPassword(world.stack, world.tenants.bridgeD.clientId, userC.username, 'Correct-Horse-42-battery'))
      .accessToken;
    expectProblem(await world.call('/v1/projects', { token }), 403, 'tenant_mismatch');
  });

  it('a silo tenant is resolved from its own issuer', async () => {
    const token = (await world.tokens(world.users.siloE.member)).accessToken;
    const created = await world.call('/v1/projects', { method: 'POST', token, body: { name: `silo-${uniqueSuffix()}` } });
    expect(created.status).toBe(201);
    const fromA = await world.call(`/v1/projects/${created.body.id}`, { token: tokenA.admin });
    expectProblem(fromA, 404, 'project_not_found');
  });
});

describe('suspended tenants and disabled users are refused at once', () => {
  it('suspending a tenant refuses its unexpired tokens on the next requests, on every replica; reactivating restores them', async () => {
    const tokenC = (await world.tokens(world.users.bridgeC.viewer)).accessToken;
    const replica = await startApiReplica({ PUBLIC_BASE_DOMAIN });
    try {
      expect((await world.call('/v1/projects', { token: tokenC })).status).toBe(200);
      expect((await call(replica.baseUrl, '/v1/projects', { token: tokenC })).status).toBe(200);
      await world.privileged.tenant.update({ where: { id: world.tenants.bridgeC.id }, data: { status: 'suspended', suspendedAt: new Date() } });
      expectProblem(await eventually(() => world.call('/v1/projects', { token: tokenC }), 403), 403, 'tenant_suspended');
      expectProblem(await eventually(() => call(replica.baseUrl, '/v1/projects', { token: tokenC }), 403), 403, 'tenant_suspended');
      await world.privileged.tenant.update({ where: { id: world.tenants.bridgeC.id }, data: { status: 'active', suspendedAt: null } });
      expect((await eventually(() => world.call('/v1/projects', { token: tokenC }), 200)).status).toBe(200);
      expect((await eventually(() => call(replica.baseUrl, '/v1/projects', { token: tokenC }), 200)).status).toBe(200);
    } finally {
      await replica.stop();
    }
  });

  it('disabling a user refuses its unexpired token on the next request; enabling restores it', async () => {
    const member = world.users.poolB.member;
    const token = (await world.tokens(member)).accessToken;
    expect((await world.call('/v1/projects', { token })).status).toBe(200);
    await world.privileged.user.update({ where: { tenantId_id: { tenantId: member.tenant.id, id: member.userId } }, data: { status: 'disabled' } });
    expectProblem(await eventually(() => world.call('/v1/projects', { token }), 403), 403, 'user_disabled');
    await world.privileged.user.update({ where: { tenantId_id: { tenantId: member.tenant.id, id: member.userId } }, data: { status: 'active' } });
    expect((await eventually(() => world.call('/v1/projects', { token }), 200)).status).toBe(200);
  });

  it('a deleted tenant’s tokens get 401', async () => {
    const viewer = world.users.bridgeD.viewer;
    const token = (await world.tokens(viewer)).accessToken;
    expect((await world.call('/v1/projects', { token })).status).toBe(200);
    await world.privileged.tenant.update({ where: { id: world.tenants.bridgeD.id }, data: { status: 'deleted', deletedAt: new Date() } });
    try {
      const refused = await eventually(() => world.call('/v1/projects', { token }), 401);
      expect(refused.status).toBe(401);
      expect(['unknown_client', 'untrusted_issuer']).toContain(refused.body.code);
    } finally {
      await world.privileged.tenant.update({ where: { id: world.tenants.bridgeD.id }, data: { status: 'active', deletedAt: null } });
      await eventually(() => world.call('/v1/projects', { token }), 200);
    }
  });

  it('a demotion in Gatehouse caps the roles of a token issued before it', async () => {
    const admin = world.users.siloE.admin;
    const token = (await world.tokens(admin)).accessToken;
    const name = `demote-${uniqueSuffix()}`;
    await world.privileged.user.update({ where: { tenantId_id: { tenantId: admin.tenant.id, id: admin.userId } }, data: { role: 'viewer' } });
    try {
      expectProblem(
        await eventually(() => world.call('/v1/projects', { method: 'POST', token, body: { name } }), 403),
        403,
        'insufficient_role',
      );
    } finally {
      await world.privileged.user.update({ where: { tenantId_id: { tenantId: admin.tenant.id, id: admin.userId } }, data: { role: 'admin' } });
    }
  });
});

describe('roles on the sample domain', () => {
  let projectOfMember: { id: string };
  let projectOfAdmin: { id: string };

  beforeAll(async () => {
    projectOfMember = (await world.call('/v1/projects', { method: 'POST', token: tokenA.member, body: { name: `m-${uniqueSuffix()}` } })).body;
    projectOfAdmin = (await world.call('/v1/projects', { method: 'POST', token: tokenA.admin, body: { name: `a-${uniqueSuffix()}` } })).body;
  });

  it('a viewer reads', async () => {
    const response = await world.call(`/v1/projects/${projectOfMember.id}`, { token: tokenA.viewer });
    expect(response.status).toBe(200);
    expect(response.body.id).toBe(projectOfMember.id);
  });

  it('a viewer cannot create', async () => {
    expectProblem(await world.call('/v1/projects', { method: 'POST', token: tokenA.viewer, body: { name: 'v' } }), 403, 'insufficient_role');
  });

  it('a member changes its own project', async () => {
    const response = await world.call(`/v1/projects/${projectOfMember.id}`, { method: 'PATCH', token: tokenA.member, body: { description: 'mine' } });
    expect(response.status).toBe(200);
    expect(response.body.description).toBe('mine');
  });

  it('a member cannot change the admin’s project', async () => {
    expectProblem(
      await world.call(`/v1/projects/${projectOfAdmin.id}`, { method: 'PATCH', token: tokenA.member, body: { description: 'x' } }),
      403,
      'forbidden_by_policy',
    );
    expectProblem(await world.call(`/v1/projects/${projectOfAdmin.id}`, { method: 'DELETE', token: tokenA.member }), 403, 'forbidden_by_policy');
  });

  it('a member adds a task to any project of the tenant but changes only its own tasks', async () => {
    const ownTask = await world.call(`/v1/projects/${projectOfAdmin.id}/tasks`, { method: 'POST', token: tokenA.member, body: { title: 't' } });
    expect(ownTask.status).toBe(201);
    const adminTask = await world.call(`/v1/projects/${projectOfAdmin.id}/tasks`, { method: 'POST', token: tokenA.admin, body: { title: 'a' } });
    expectProblem(
      await world.call(`/v1/projects/${projectOfAdmin.id}/tasks/${adminTask.body.id}`, { method: 'PATCH', token: tokenA.member, body: { done: true } }),
      403,
      'forbidden_by_policy',
    );
    const done = await world.call(`/v1/projects/${projectOfAdmin.id}/tasks/${ownTask.body.id}`, { method: 'PATCH', token: tokenA.member, body: { done: true } });
    expect(done.status).toBe(200);
    expect(done.body.done).toBe(true);
  });

  it('an admin changes and deletes any project of its tenant', async () => {
    const changed = await world.call(`/v1/projects/${projectOfMember.id}`, { method: 'PATCH', token: tokenA.admin, body: { name: `renamed-${uniqueSuffix()}` } });
    expect(changed.status).toBe(200);
    expect((await world.call(`/v1/projects/${projectOfMember.id}`, { method: 'DELETE', token: tokenA.admin })).status).toBe(204);
    expectProblem(await world.call(`/v1/projects/${projectOfMember.id}`, { token: tokenA.admin }), 404, 'project_not_found');
  });

  it('a duplicate project name in the tenant is a 409, the same name in another tenant is fine', async () => {
    const name = `dup-${uniqueSuffix()}`;
    expect((await world.call('/v1/projects', { method: 'POST', token: tokenA.admin, body: { name } })).status).toBe(201);
    expectProblem(await world.call('/v1/projects', { method: 'POST', token: tokenA.admin, body: { name } }), 409, 'project_name_taken');
    const adminB = (await world.tokens(world.users.poolB.admin)).accessToken;
    expect((await world.call('/v1/projects', { method: 'POST', token: adminB, body: { name } })).status).toBe(201);
  });
});

describe('every route of the sample domain', () => {
  const someId = '00000000-0000-4000-8000-000000000000';
  /** `{project}` and `{task}` are tenant B's rows, filled in when the test runs. */
  const routes = [
    { name: 'list projects', method: 'GET', path: '/v1/projects', writes: false },
    { name: 'create project', method: 'POST', path: '/v1/projects', writes: true, body: { name: 'route-check' } },
    { name: 'get project', method: 'GET', path: '/v1/projects/{project}', writes: false },
    { name: 'update project', method: 'PATCH', path: '/v1/projects/{project}', writes: true, body: { description: 'x' } },
    { name: 'delete project', method: 'DELETE', path: '/v1/projects/{project}', writes: true },
    { name: 'list tasks', method: 'GET', path: '/v1/projects/{project}/tasks', writes: false },
    { name: 'create task', method: 'POST', path: '/v1/projects/{project}/tasks', writes: true, body: { title: 'x' } },
    { name: 'update task', method: 'PATCH', path: '/v1/projects/{project}/tasks/{task}', writes: true, body: { done: true } },
    { name: 'delete task', method: 'DELETE', path: '/v1/projects/{project}/tasks/{task}', writes: true },
  ];
  const pathOf = (path: string) => path.replace('{project}', projectOfB.id).replace('{task}', taskOfB.id);

  it.each(routes)('$name: 401 without a token', async (route) => {
    expectProblem(await world.call(pathOf(route.path), { method: route.method, body: route.body }), 401, 'token_missing');
  });

  it.each(routes.filter((route) => route.writes))('$name: 403 for a viewer', async (route) => {
    expectProblem(
      await world.call(pathOf(route.path), { method: route.method, token: tokenA.viewer, body: route.body }),
      403,
      'insufficient_role',
    );
  });

  it.each(routes.filter((route) => route.path.includes('{project}')))(
    '$name: 404 for another tenant’s row, never its data',
    async (route) => {
      const response = await world.call(pathOf(route.path), { method: route.method, token: tokenA.admin, body: route.body });
      expect(response.status).toBe(404);
      expect(['project_not_found', 'task_not_found']).toContain(response.body.code);
      expect(response.text).not.toContain('b-private');
      expect(response.text).not.toContain('b-task');
    },
  );

  it.each([
    { name: 'list with limit=0', method: 'GET', path: '/v1/projects?limit=0' },
    { name: 'list with a malformed cursor', method: 'GET', path: '/v1/projects?cursor=abc' },
    { name: 'list with an unknown parameter', method: 'GET', path: '/v1/projects?tenantId=x' },
    { name: 'create without a name', method: 'POST', path: '/v1/projects', body: {} },
    { name: 'create with a wrong type', method: 'POST', path: '/v1/projects', body: { name: 42 } },
    { name: 'create with an unknown field', method: 'POST', path: '/v1/projects', body: { name: 'x', tenantId: someId } },
    { name: 'get with a malformed id', method: 'GET', path: '/v1/projects/not-a-uuid' },
    { name: 'update with nothing to change', method: 'PATCH', path: `/v1/projects/${someId}`, body: {} },
    { name: 'delete with a malformed id', method: 'DELETE', path: '/v1/projects/1' },
    { name: 'list tasks with a malformed id', method: 'GET', path: '/v1/projects/x/tasks' },
    { name: 'create task with an empty title', method: 'POST', path: `/v1/projects/${someId}/tasks`, body: { title: '' } },
    { name: 'update task with a wrong type', method: 'PATCH', path: `/v1/projects/${someId}/tasks/${someId}`, body: { done: 'yes' } },
    { name: 'delete task with a malformed task id', method: 'DELETE', path: `/v1/projects/${someId}/tasks/zz` },
  ])('$name: 400 validation_failed', async ({ method, path, body }) => {
    const response = await world.call(path, { method, token: tokenA.admin, body });
    expectProblem(response, 400, 'validation_failed');
    expect(response.body.errors.length).toBeGreaterThan(0);
  });

  it('malformed JSON: 400 malformed_json', async () => {
    expectProblem(await world.call('/v1/projects', { method: 'POST', token: tokenA.admin, rawBody: '{"name": ' }), 400, 'malformed_json');
  });

  it('a huge body: 413 payload_too_large', async () => {
    const response = await world.call('/v1/projects', { method: 'POST', token: tokenA.admin, rawBody: JSON.stringify({ name: 'x'.repeat(200_000) }) });
    expectProblem(response, 413, 'payload_too_large');
  });

  it('a body that is not JSON: 415', async () => {
    const response = await world.call('/v1/projects', {
      method: 'POST',
      token: tokenA.admin,
      rawBody: 'name=x',
      headers: { 'content-type': 'text/plain' },
    });
    expectProblem(response, 415, 'unsupported_media_type');
  });
});

describe('federation: a tenant’s own OpenID Connect provider', () => {
  it('creates the user on first verified sign-in, inside that tenant, with the mapped role', async () => {
    const token = await world.oidc.idTokenFor({ accountId: 'alice', clientId: world.oidcClientId });
    const created = await world.call('/v1/projects', { method: 'POST', token, body: { name: `fed-${uniqueSuffix()}` } });
    expect(created.status).toBe(201);
    const user = await world.privileged.user.findFirstOrThrow({ where: { issuer: world.oidc.issuer, sub: 'alice' } });
    expect(user.tenantId).toBe(world.tenants.oidcF.id);
    expect(user.role).toBe('admin');
    expectProblem(await world.call(`/v1/projects/${created.body.id}`, { token: tokenA.admin }), 404, 'project_not_found');
  });

  it('maps an unmapped group to the default role', async () => {
    const token = await world.oidc.idTokenFor({ accountId: 'bob', clientId: world.oidcClientId });
    expect((await world.call('/v1/projects', { token })).status).toBe(200);
    const user = await world.privileged.user.findFirstOrThrow({ where: { issuer: world.oidc.issuer, sub: 'bob' } });
    expect(user.role).toBe('member');
    expect(user.tenantId).toBe(world.tenants.oidcF.id);
  });

  it('a second sign-in reuses the user instead of creating another', async () => {
    const first = await world.oidc.idTokenFor({ accountId: 'bob', clientId: world.oidcClientId });
    const second = await world.oidc.idTokenFor({ accountId: 'bob', clientId: world.oidcClientId });
    expect((await world.call('/v1/projects', { token: first })).status).toBe(200);
    expect((await world.call('/v1/projects', { token: second })).status).toBe(200);
    expect(await world.privileged.user.count({ where: { issuer: world.oidc.issuer, sub: 'bob' } })).toBe(1);
  });

  it('an IdP cannot take over an e-mail the tenant already has under another identity', async () => {
    const email = `taken-${uniqueSuffix()}@fixture-g.test`;
    await world.privileged.user.create({
      data: { tenantId: world.tenants.fixtureG.id, email, username: 'someone', issuer: 'https://elsewhere.test', sub: `other-${uniqueSuffix()}`, role: 'admin', status: 'active' },
    });
    const token = world.fixtureToken({ sub: `newcomer-${uniqueSuffix()}`, email, groups: ['admins'] });
    expectProblem(await world.call('/v1/projects', { token }), 403, 'tenant_mismatch');
  });
});
