/**
 * Tenant admins' user management end to end, in a tenant of each isolation
 * model provisioned through the operators' API: invite (Cognito sends the
 * invitation), the member's first sign-in and tenant-only view, role changes,
 * disable/enable (refused at once), removal, other tenants' users (404), the
 * audit trail, and the rules every route has.
 */
import { AdminGetUserCommand, AdminListGroupsForUserCommand } from '@aws-sdk/client-cognito-identity-provider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniqueEmail } from '../support/factories.js';
import {
  type Harness,
  type TenantJson,
  createTenant,
  expectProblem,
  firstSignIn,
  mirrorRow,
  signIn,
  signInClient,
  startHarness,
} from './tenants-harness.js';

let h: Harness;

interface AdminSession {
  readonly tenant: TenantJson;
  readonly token: string;
  readonly adminId: string;
}

async function tenantWithAdmin(tier: string): Promise<AdminSession> {
  const { tenant, email } = await createTenant(h, { tier: tier as 'basic' });
  const admin = await mirrorRow(h, tenant.id, email);
  const { accessToken } = await firstSignIn(h, signInClient(tenant), admin!.username);
  return { tenant, token: accessToken, adminId: admin!.id };
}

beforeAll(async () => {
  h = await startHarness();
}, 120_000);

afterAll(async () => {
  await h?.close();
});

async function groupsOf(userPoolId: string, username: string): Promise<string[]> {
  const response = await h.cognito.send(new AdminListGroupsForUserCommand({ UserPoolId: userPoolId, Username: username }));
  return (response.Groups ?? []).map((group) => group.GroupName!).sort();
}

describe.each([
  ['pool', 'basic'],
  ['bridge', 'standard'],
  ['silo', 'premium'],
])('user management in a %s-model tenant', (_model, tier) => {
  it('invite → first sign-in → tenant-only data → role change → disable/enable → remove, each audited', async () => {
    const a = await tenantWithAdmin(tier);
    const other = await tenantWithAdmin(tier);
    const client = signInClient(a.tenant);
    expect((await h.call('/v1/projects', { method: 'POST', token: a.token, body: { name: 'ours' } })).status).toBe(201);
    expect((await h.call('/v1/projects', { method: 'POST', token: other.token, body: { name: 'theirs' } })).status).toBe(201);

    // Invite: Cognito sends the invitation; the row is pending with the Cognito sub.
    const email = uniqueEmail(`${a.tenant.slug}.test`);
    const invited = await h.call('/v1/users', { method: 'POST', token: a.token, body: { email: email.toUpperCase(), role: 'member' } });
    expect(invited.status, invited.text).toBe(201);
    expect(invited.body).toMatchObject({ email, role: 'member', status: 'pending', source: 'cognito' });
    const row = await mirrorRow(h, a.tenant.id, email);
    expect(row).toMatchObject({ issuer: a.tenant.issuer, status: 'pending' });
    expect(row!.username).not.toBe(email);
    expect(row!.sub).toEqual(expect.any(String));
    expect(await groupsOf(a.tenant.userPoolId, row!.username)).toEqual(['member']);
    expectProblem(await h.call('/v1/users', { method: 'POST', token: a.token, body: { email } }), 409, 'user_exists');

    // The member signs in with the e-mailed temporary password and sees only its tenant's data.
    const member = await firstSignIn(h, client, row!.username);
    const projects = await h.call('/v1/projects', { token: member.accessToken });
    expect(projects.status, projects.text).toBe(200);
    expect(projects.body.items.map((project: { name: string }) => project.name)).toEqual(['ours']);
    expectProblem(await h.call('/v1/users', { token: member.accessToken }), 403, 'insufficient_role');

    // List and get.
    const listed = await h.call('/v1/users?limit=10', { token: a.token });
    expect(listed.status).toBe(200);
    expect(listed.body.items.map((user: { email: string }) => user.email).sort()).toEqual([email, (await h.privileged.user.findFirstOrThrow({ where: { id: a.adminId } })).email].sort());
    const filtered = await h.call(`/v1/users?role=member&q=${encodeURIComponent(email.split('@')[0]!)}`, { token: a.token });
    expect(filtered.body.items.map((user: { id: string }) => user.id)).toEqual([row!.id]);
    expect((await h.call(`/v1/users/${row!.id}`, { token: a.token })).body).toMatchObject({ id: row!.id, email });

    // Another tenant's admin cannot see or touch this user: 404, not 403.
    for (const [method, path, body] of [
      ['GET', `/v1/users/${row!.id}`, undefined],
      ['PATCH', `/v1/users/${row!.id}`, { role: 'admin' }],
      ['POST', `/v1/users/${row!.id}/disable`, undefined],
      ['DELETE', `/v1/users/${row!.id}`, undefined],
    ] as const) {
      expectProblem(await h.call(path, { method, token: other.token, ...(body ? { body } : {}) }), 404, 'user_not_found');
    }

    // Role change: Gatehouse's record and the Cognito groups; effective on the next request.
    const demoted = await h.call(`/v1/users/${row!.id}`, { method: 'PATCH', token: a.token, body: { role: 'viewer' } });
    expect(demoted.status, demoted.text).toBe(200);
    expect(demoted.body.role).toBe('viewer');
    expect(await groupsOf(a.tenant.userPoolId, row!.username)).toEqual(['viewer']);
    expect((await h.call('/v1/projects', { method: 'POST', token: member.accessToken, body: { name: 'nope' } })).status).toBe(403);

    // Disable: refused at once (the old token, not only new ones); Cognito disables the user too.
    const disabled = await h.call(`/v1/users/${row!.id}/disable`, { method: 'POST', token: a.token });
    expect(disabled.status, disabled.text).toBe(200);
    expect(disabled.body.status).toBe('disabled');
    expectProblem(await h.call('/v1/projects', { token: member.accessToken }), 403, 'user_disabled');
    const remote = await h.cognito.send(new AdminGetUserCommand({ UserPoolId: a.tenant.userPoolId, Username: row!.username }));
    expect(remote.Enabled).toBe(false);

    const enabled = await h.call(`/v1/users/${row!.id}/enable`, { method: 'POST', token: a.token });
    expect(enabled.status, enabled.text).toBe(200);
    expect(enabled.body.status).toBe('active');
    expect((await h.call('/v1/projects', { token: member.accessToken })).status).toBe(200);
    expect((await signIn(h, client, row!.username)).accessToken).toEqual(expect.any(String));

    // An admin cannot lock themselves out.
    expectProblem(await h.call(`/v1/users/${a.adminId}`, { method: 'PATCH', token: a.token, body: { role: 'member' } }), 409, 'cannot_change_own_account');
    expectProblem(await h.call(`/v1/users/${a.adminId}/disable`, { method: 'POST', token: a.token }), 409, 'cannot_change_own_account');

    // Remove: gone from Gatehouse and Cognito; the old token no longer names a known user.
    expect((await h.call(`/v1/users/${row!.id}`, { method: 'DELETE', token: a.token })).status).toBe(204);
    expect(await mirrorRow(h, a.tenant.id, email)).toBeNull();
    await expect(h.cognito.send(new AdminGetUserCommand({ UserPoolId: a.tenant.userPoolId, Username: row!.username }))).rejects.toThrow();
    expectProblem(await h.call('/v1/projects', { token: member.accessToken }), 401);
    expectProblem(await h.call(`/v1/users/${row!.id}`, { token: a.token }), 404, 'user_not_found');

    // Every action is in the tenant's audit log, by this admin, and only there.
    const audit = await h.call('/v1/audit-events?action=user.*', { token: a.token });
    expect(audit.status, audit.text).toBe(200);
    expect(audit.body.items.map((event: { action: string }) => event.action)).toEqual([
      'user.remove',
      'user.enable',
      'user.disable',
      'user.role.change',
      'user.invite',
    ]);
    for (const event of audit.body.items) {
      expect(event).toMatchObject({ tenantId: a.tenant.id, actorType: 'user', actorId: a.adminId, outcome: 'success', target: `user:${row!.id}` });
      expect(event.requestId).toEqual(expect.any(String));
    }
    expect((await h.call('/v1/audit-events?action=user.*', { token: other.token })).body.items).toEqual([]);
    const operatorView = await h.admin(`/v1/admin/audit-events?tenantId=${a.tenant.id}&action=user.*`);
    expect(operatorView.body.items).toHaveLength(5);
  });
});

describe('users API rules', () => {
  it('refuses no token (401), non-admins and operators (403), bad input (400)', async () => {
    const a = await tenantWithAdmin('basic');
    expectProblem(await h.call('/v1/users'), 401);
    expectProblem(await h.admin('/v1/users'), 403);
    expectProblem(await h.call('/v1/users', { method: 'POST', token: a.token, body: { email: 'not-an-email' } }), 400, 'validation_failed');
    expectProblem(await h.call('/v1/users', { method: 'POST', token: a.token, body: { email: uniqueEmail(), role: 'owner' } }), 400, 'validation_failed');
    expectProblem(await h.call('/v1/users/not-a-uuid', { token: a.token }), 400, 'validation_failed');
    expectProblem(await h.call('/v1/users?status=sleeping', { token: a.token }), 400, 'validation_failed');
    expectProblem(await h.call('/v1/audit-events?cursor=abc', { token: a.token }), 400, 'validation_failed');
    expectProblem(await h.call('/v1/users/00000000-0000-4000-8000-000000000000', { token: a.token }), 404, 'user_not_found');
  });
});
