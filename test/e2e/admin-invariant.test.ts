/**
 * Tenant admins under real concurrency (issue 10, finding 7; issue 12, row 7):
 * two admins demoting, disabling or removing each other at the same moment
 * must leave the tenant one active admin (Postgres decides, not a check that
 * the other request cannot see), and concurrent DELETEs of one user answer
 * one 204 and 404s, never a 500. Also finding 9: a user whose first sign-in
 * happened directly at Cognito is `pending` in Gatehouse until its first
 * verified request, which makes it active once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniqueEmail } from '../support/factories.js';
import type { HttpResponse } from '../support/world.js';
import { type Harness, type TenantJson, createTenant, expectProblem, firstSignIn, mirrorRow, signInClient, startHarness } from './tenants-harness.js';

let h: Harness;

interface Admin {
  readonly id: string;
  readonly token: string;
}

beforeAll(async () => {
  h = await startHarness();
}, 120_000);

afterAll(async () => {
  await h?.close();
});

/** Signs in at Cognito directly (not through Gatehouse), then makes one verified request. */
async function signedInAdmin(tenant: TenantJson, email: string): Promise<Admin> {
  const row = await mirrorRow(h, tenant.id, email);
  const { accessToken } = await firstSignIn(h, signInClient(tenant), row!.username);
  const me = await h.call('/v1/me', { token: accessToken });
  expect(me.status, me.text).toBe(200);
  return { id: row!.id, token: accessToken };
}

async function tenantWithTwoAdmins(): Promise<{ tenant: TenantJson; a: Admin; b: Admin }> {
  const { tenant, email } = await createTenant(h, { tier: 'basic' });
  const a = await signedInAdmin(tenant, email);
  const secondEmail = uniqueEmail(`${tenant.slug}.test`);
  const invited = await h.call('/v1/users', { method: 'POST', token: a.token, body: { email: secondEmail, role: 'admin' } });
  expect(invited.status, invited.text).toBe(201);
  const b = await signedInAdmin(tenant, secondEmail);
  // Both admins are active (their first verified request made them so; the last test proves that separately).
  await h.privileged.user.updateMany({ where: { tenantId: tenant.id, id: { in: [a.id, b.id] } }, data: { status: 'active' } });
  expect(await activeAdmins(tenant.id)).toBe(2);
  return { tenant, a, b };
}

function activeAdmins(tenantId: string): Promise<number> {
  return h.privileged.user.count({ where: { tenantId, role: 'admin', status: 'active' } });
}

function expectOneWinner(responses: readonly HttpResponse[], winningStatus: number): void {
  const statuses = responses.map((response) => response.status).sort();
  expect(statuses, responses.map((response) => response.text).join('\n')).toEqual([winningStatus, 409].sort());
  const loser = responses.find((response) => response.status === 409)!;
  expectProblem(loser, 409, 'last_admin');
  expect(loser.body.requestId).toEqual(expect.any(String));
}

describe('at least one active admin per tenant, under concurrency', () => {
  it('two admins demoting each other at the same moment: one wins, one gets 409 last_admin', async () => {
    const { tenant, a, b } = await tenantWithTwoAdmins();
    const responses = await Promise.all([
      h.call(`/v1/users/${b.id}`, { method: 'PATCH', token: a.token, body: { role: 'member' } }),
      h.call(`/v1/users/${a.id}`, { method: 'PATCH', token: b.token, body: { role: 'member' } }),
    ]);
    expectOneWinner(responses, 200);
    expect(await activeAdmins(tenant.id)).toBe(1);
  });

  it('two admins disabling each other at the same moment: one wins, one gets 409 last_admin', async () => {
    const { tenant, a, b } = await tenantWithTwoAdmins();
    const responses = await Promise.all([
      h.call(`/v1/users/${b.id}/disable`, { method: 'POST', token: a.token }),
      h.call(`/v1/users/${a.id}/disable`, { method: 'POST', token: b.token }),
    ]);
    expectOneWinner(responses, 200);
    expect(await activeAdmins(tenant.id)).toBe(1);
  });

  it('two admins removing each other at the same moment: one wins, one gets 409 last_admin', async () => {
    const { tenant, a, b } = await tenantWithTwoAdmins();
    const responses = await Promise.all([
      h.call(`/v1/users/${b.id}`, { method: 'DELETE', token: a.token }),
      h.call(`/v1/users/${a.id}`, { method: 'DELETE', token: b.token }),
    ]);
    expectOneWinner(responses, 204);
    expect(await activeAdmins(tenant.id)).toBe(1);
  });

  it('one admin demoting another (no race) still works', async () => {
    const { tenant, a, b } = await tenantWithTwoAdmins();
    const demoted = await h.call(`/v1/users/${b.id}`, { method: 'PATCH', token: a.token, body: { role: 'viewer' } });
    expect(demoted.status, demoted.text).toBe(200);
    expect(await activeAdmins(tenant.id)).toBe(1);
  });
});

describe('concurrent DELETE of one user', () => {
  it('answers exactly one 204 and otherwise 404 user_not_found as problem+json with a requestId', async () => {
    const { tenant, a, b } = await tenantWithTwoAdmins();
    const member = uniqueEmail(`${tenant.slug}.test`);
    const invited = await h.call('/v1/users', { method: 'POST', token: a.token, body: { email: member, role: 'member' } });
    expect(invited.status, invited.text).toBe(201);
    const responses = await Promise.all(
      [a, b, a, b, a].map((admin) => h.call(`/v1/users/${invited.body.id}`, { method: 'DELETE', token: admin.token })),
    );
    expect(responses.filter((response) => response.status === 204)).toHaveLength(1);
    for (const response of responses.filter((candidate) => candidate.status !== 204)) {
      expectProblem(response, 404, 'user_not_found');
      expect(response.body.requestId).toEqual(expect.any(String));
    }
    expect(await mirrorRow(h, tenant.id, member)).toBeNull();
  });
});

describe('the user mirror after a first sign-in made directly at Cognito', () => {
  it('stays pending until the first verified request, which marks it active and verified', async () => {
    const { tenant, email } = await createTenant(h, { tier: 'basic' });
    const row = await mirrorRow(h, tenant.id, email);
    const { accessToken } = await firstSignIn(h, signInClient(tenant), row!.username);
    expect(await mirrorRow(h, tenant.id, email)).toMatchObject({ status: 'pending', emailVerified: false });

    expect((await h.call('/v1/me', { token: accessToken })).status).toBe(200);
    const after = await mirrorRow(h, tenant.id, email);
    expect(after).toMatchObject({ status: 'active', emailVerified: true });

    // Once: later requests do not write the row again.
    expect((await h.call('/v1/me', { token: accessToken })).status).toBe(200);
    expect((await mirrorRow(h, tenant.id, email))!.updatedAt).toEqual(after!.updatedAt);
  });
});
