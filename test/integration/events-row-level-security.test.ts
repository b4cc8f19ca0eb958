/**
 * Row-level security of the event outbox, the webhook tables (migration
 * 20261201200000_add_event_outbox_and_webhooks) and the synchronous hooks
 * (20261202100000_synchronous_hooks_tenant_admin_rls), through the application
 * role: a tenant's admins read their own tenant's events, endpoints and hooks,
 * members nothing; nobody writes into another tenant; platform rows stay
 * privileged; a hook's signing secret is never readable by the application role.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PrismaClient } from '../../apps/api/src/database/prisma-client.js';
import type { PrismaService } from '../../apps/api/src/database/prisma.service.js';
import type { TenantDb } from '../../apps/api/src/database/tenant-db.js';
import { EventsService } from '../../apps/api/src/events/events.service.js';
import { HookRegistry } from '../../apps/api/src/tenants/hooks/hook-registry.js';
import { privilegedClient, tenantDb } from '../support/database.js';
import { type TenantFixture, type UserFixture, createTenantRow, createUserRow } from '../support/factories.js';

let privileged: PrismaClient;
let db: TenantDb;
let prisma: PrismaService;
let tenantA: TenantFixture;
let tenantB: TenantFixture;
let adminA: UserFixture;
let memberA: UserFixture;
let adminB: UserFixture;
const events = new EventsService();

beforeAll(async () => {
  privileged = privilegedClient();
  ({ db, prisma } = tenantDb());
  tenantA = await createTenantRow(privileged);
  tenantB = await createTenantRow(privileged);
  adminA = await createUserRow(privileged, tenantA, 'admin');
  memberA = await createUserRow(privileged, tenantA, 'member');
  adminB = await createUserRow(privileged, tenantB, 'admin');
  await events.emit(privileged, { type: 'tenant.suspended', data: { tenantId: tenantB.id } });
  await privileged.webhookEndpoint.create({ data: { tenantId: null, url: 'https://platform.example/x', eventTypes: ['*'], secret: 'whsec_platform' } });
  await privileged.webhookEndpoint.create({ data: { tenantId: tenantB.id, url: 'https://b.example/x', eventTypes: ['*'], secret: 'whsec_b' } });
  const hook = { url: 'https://hooks.example/x', timeoutMs: 1000, failureMode: 'open', secret: 'whsec_hook' };
  await privileged.synchronousHook.create({ data: { ...hook, tenantId: null, kind: 'pre_sign_up' } });
  await privileged.synchronousHook.create({ data: { ...hook, tenantId: tenantB.id, kind: 'pre_sign_up' } });
});

afterAll(async () => {
  await privileged.$disconnect();
  await prisma.onModuleDestroy();
});

describe('event outbox and webhooks under row-level security', () => {
  it('lets a request append events for its own tenant only, in the transaction of its change', async () => {
    await db.runAs(adminA.auth, (tx) => events.emit(tx, { type: 'user.mfa_reset', data: { tenantId: tenantA.id, userId: memberA.id } }));
    await expect(
      db.runAs(adminA.auth, (tx) => events.emit(tx, { type: 'user.mfa_reset', data: { tenantId: tenantB.id, userId: adminB.id } })),
    ).rejects.toThrow();
    // Rolled back with its change: an event whose transaction fails is never written.
    await expect(
      db.runAs(adminA.auth, async (tx) => {
        await events.emit(tx, { type: 'user.disabled', data: { tenantId: tenantA.id, userId: memberA.id } });
        throw new Error('the change failed');
      }),
    ).rejects.toThrow('the change failed');
    expect(await privileged.eventOutbox.count({ where: { tenantId: tenantA.id, type: 'user.disabled' } })).toBe(0);
  });

  it('shows admins their own tenant’s events and endpoints, members none, and nobody the platform’s', async () => {
    const seenByAdminA = await db.runAs(adminA.auth, (tx) => tx.eventOutbox.findMany());
    expect(seenByAdminA.length).toBeGreaterThan(0);
    expect(seenByAdminA.every((event) => event.tenantId === tenantA.id)).toBe(true);
    expect(await db.runAs(memberA.auth, (tx) => tx.eventOutbox.count())).toBe(0);
    expect(await db.runAs(adminA.auth, (tx) => tx.webhookEndpoint.count())).toBe(0);
    expect(await db.runAs(adminB.auth, (tx) => tx.webhookEndpoint.findMany())).toEqual([expect.objectContaining({ tenantId: tenantB.id })]);
  });

  it('refuses endpoints for another tenant or the platform, and to members', async () => {
    const data = (tenantId: string | null) => ({ tenantId, url: 'https://x.example/', eventTypes: ['*'], secret: 'whsec_x' });
    await expect(db.runAs(adminA.auth, (tx) => tx.webhookEndpoint.create({ data: data(tenantB.id) }))).rejects.toThrow();
    await expect(db.runAs(adminA.auth, (tx) => tx.webhookEndpoint.create({ data: data(null) }))).rejects.toThrow();
    await expect(db.runAs(memberA.auth, (tx) => tx.webhookEndpoint.create({ data: data(tenantA.id) }))).rejects.toThrow();
    const hijack = await db.runAs(adminA.auth, (tx) => tx.webhookEndpoint.updateMany({ where: { tenantId: tenantB.id }, data: { url: 'https://evil.example/' } }));
    expect(hijack.count).toBe(0);
  });
});

describe('synchronous hooks under row-level security', () => {
  const registry = new HookRegistry(undefined as never);
  const settings = { url: 'https://a.example/hook', timeoutMs: 1000, failureMode: 'open' as const, enabled: true };

  it('lets an admin configure their own tenant’s hooks, and shows them nobody else’s or the platform’s', async () => {
    const created = await db.runAs(adminA.auth, (tx) => registry.create(tx, tenantA.id, 'pre_authentication', settings));
    expect(created).toEqual(expect.objectContaining({ tenantId: tenantA.id, kind: 'pre_authentication', secret: expect.stringMatching(/^whsec_/) }));
    expect(await db.runAs(adminA.auth, (tx) => registry.list(tx, tenantA.id))).toEqual([expect.objectContaining({ id: created.id })]);
    expect(await db.runAs(adminA.auth, (tx) => registry.list(tx, tenantB.id))).toEqual([]);
    expect(await db.runAs(adminA.auth, (tx) => registry.list(tx, null))).toEqual([]);
    expect(await db.runAs(memberA.auth, (tx) => registry.list(tx, tenantA.id))).toEqual([]);
    await db.runAs(adminA.auth, (tx) => registry.remove(tx, created.id));
    expect(await privileged.synchronousHook.count({ where: { id: created.id } })).toBe(0);
  });

  it('refuses hooks for another tenant, for the platform and to members, and changes nothing of theirs', async () => {
    await expect(db.runAs(adminA.auth, (tx) => registry.create(tx, tenantB.id, 'token_enrichment', settings))).rejects.toThrow();
    await expect(db.runAs(adminA.auth, (tx) => registry.create(tx, null, 'token_enrichment', settings))).rejects.toThrow();
    await expect(db.runAs(memberA.auth, (tx) => registry.create(tx, tenantA.id, 'token_enrichment', settings))).rejects.toThrow();
    const hijack = await db.runAs(adminA.auth, (tx) => tx.synchronousHook.updateMany({ where: { kind: 'pre_sign_up' }, data: { url: 'https://evil.example/' } }));
    expect(hijack.count).toBe(0);
    const removed = await db.runAs(adminA.auth, (tx) => tx.synchronousHook.deleteMany({ where: { kind: 'pre_sign_up' } }));
    expect(removed.count).toBe(0);
    expect(await privileged.synchronousHook.count({ where: { kind: 'pre_sign_up', url: 'https://hooks.example/x' } })).toBe(2);
  });

  it('never lets the application role read a signing secret back, even its own tenant’s', async () => {
    const own = await db.runAs(adminB.auth, (tx) => registry.list(tx, tenantB.id));
    expect(own).toHaveLength(1);
    await expect(db.runAs(adminB.auth, (tx) => tx.synchronousHook.findMany({ select: { secret: true } }))).rejects.toThrow(/permission denied/);
  });
});
