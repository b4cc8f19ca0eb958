/**
 * Tenant and role isolation enforced by Postgres, through the application role:
 * via the tenant-scoped client (TenantDb) and via raw SQL. Real Postgres, no mocks.
 */
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PrismaClient } from '../../apps/api/src/database/prisma-client.js';
import type { PrismaService } from '../../apps/api/src/database/prisma.service.js';
import type { TenantDb } from '../../apps/api/src/database/tenant-db.js';
import { MissingTenantContextError } from '../../apps/api/src/common/domain-error.js';
import { databaseUrlAs, privilegedClient, rawClient, stackInfo, tenantDb } from '../support/database.js';
import { type TenantFixture, type UserFixture, createTenantRow, createUserRow, uniqueSuffix } from '../support/factories.js';

let privileged: PrismaClient;
let db: TenantDb;
let prisma: PrismaService;
let tenantA: TenantFixture;
let tenantB: TenantFixture;
let adminA: UserFixture;
let memberA: UserFixture;
let otherMemberA: UserFixture;
let viewerA: UserFixture;
let adminB: UserFixture;
let projectB: { id: string; name: string };

async function projectOwnedBy(owner: UserFixture, name = `p-${uniqueSuffix()}`) {
  return privileged.project.create({ data: { tenantId: owner.auth.tenantId, ownerId: owner.id, name } });
}

beforeAll(async () => {
  privileged = privilegedClient();
  ({ db, prisma } = tenantDb());
  tenantA = await createTenantRow(privileged);
  tenantB = await createTenantRow(privileged);
  adminA = await createUserRow(privileged, tenantA, 'admin');
  memberA = await createUserRow(privileged, tenantA, 'member');
  otherMemberA = await createUserRow(privileged, tenantA, 'member');
  viewerA = await createUserRow(privileged, tenantA, 'viewer');
  adminB = await createUserRow(privileged, tenantB, 'admin');
  projectB = await projectOwnedBy(adminB, 'b-secret-project');
  await privileged.task.create({
    data: { tenantId: tenantB.id, projectId: projectB.id, ownerId: adminB.id, title: 'b-secret-task' },
  });
});

afterAll(async () => {
  await privileged.$disconnect();
  await prisma.onModuleDestroy();
});

describe('tenant isolation through the tenant-scoped client', () => {
  it('tenant A cannot select tenant B rows', async () => {
    await projectOwnedBy(adminA);
    const projects = await db.runAs(adminA.auth, (tx) => tx.project.findMany());
    expect(projects.length).toBeGreaterThan(0);
    expect(projects.every((project) => project.tenantId === tenantA.id)).toBe(true);
    const direct = await db.runAs(adminA.auth, (tx) =>
      tx.project.findFirst({ where: { id: projectB.id, tenantId: tenantB.id } }),
    );
    expect(direct).toBeNull();
    const users = await db.runAs(adminA.auth, (tx) => tx.user.findMany({ where: { tenantId: tenantB.id } }));
    expect(users).toEqual([]);
    const tasks = await db.runAs(adminA.auth, (tx) => tx.task.findMany({ where: { tenantId: tenantB.id } }));
    expect(tasks).toEqual([]);
  });

  it('tenant A cannot update tenant B rows', async () => {
    const result = await db.runAs(adminA.auth, (tx) =>
      tx.project.updateMany({ where: { id: projectB.id }, data: { name: 'hijacked' } }),
    );
    expect(result.count).toBe(0);
    const unchanged = await privileged.project.findFirstOrThrow({ where: { id: projectB.id } });
    expect(unchanged.name).toBe('b-secret-project');
  });

  it('tenant A cannot delete tenant B rows', async () => {
    const result = await db.runAs(adminA.auth, (tx) => tx.project.deleteMany({ where: { id: projectB.id } }));
    expect(result.count).toBe(0);
    expect(await privileged.project.count({ where: { id: projectB.id } })).toBe(1);
  });

  it('tenant A cannot insert a row into tenant B', async () => {
    await expect(
      db.runAs(adminA.auth, (tx) =>
        tx.project.create({ data: { tenantId: tenantB.id, ownerId: adminB.id, name: `planted-${uniqueSuffix()}` } }),
      ),
    ).rejects.toThrow(/row-level security/);
    expect(await privileged.project.count({ where: { tenantId: tenantB.id, name: { startsWith: 'planted-' } } })).toBe(0);
  });

  it('refuses to run without a tenant context instead of querying unscoped', async () => {
    await expect(db.run((tx) => tx.project.findMany())).rejects.toBeInstanceOf(MissingTenantContextError);
  });
});

describe('tenant isolation through raw SQL as the application role', () => {
  let sql: pg.Client;
  beforeAll(async () => {
    sql = await rawClient();
  });
  afterAll(async () => {
    await sql.end();
  });

  async function asTenant<T>(user: UserFixture, work: () => Promise<T>): Promise<T> {
    await sql.query('BEGIN');
    try {
      await sql.query(
        `SELECT set_config('app.tenant_id', $1, true), set_config('app.user_id', $2, true), set_config('app.role', $3, true)`,
        [user.auth.tenantId, user.id, user.role],
      );
      return await work();
    } finally {
      await sql.query('ROLLBACK');
    }
  }

  it('select, update and delete of another tenant touch no rows', async () => {
    await asTenant(adminA, async () => {
      const select = await sql.query('SELECT * FROM projects WHERE tenant_id = $1', [tenantB.id]);
      expect(select.rowCount).toBe(0);
      const update = await sql.query(`UPDATE projects SET name = 'x' WHERE id = $1`, [projectB.id]);
      expect(update.rowCount).toBe(0);
      const remove = await sql.query('DELETE FROM tasks WHERE tenant_id = $1', [tenantB.id]);
      expect(remove.rowCount).toBe(0);
    });
  });

  it('insert into another tenant is rejected by the policy', async () => {
    await expect(
      asTenant(adminA, () =>
        sql.query('INSERT INTO projects (tenant_id, owner_id, name) VALUES ($1, $2, $3)', [
          tenantB.id,
          adminB.id,
          `raw-${uniqueSuffix()}`,
        ]),
      ),
    ).rejects.toThrow(/row-level security policy/);
  });

  it('no tenant context returns zero rows, not an error', async () => {
    for (const table of ['users', 'projects', 'tasks', 'audit_events']) {
      const result = await sql.query(`SELECT count(*)::int AS n FROM ${table}`);
      expect(result.rows[0].n, table).toBe(0);
    }
    // An empty setting (what a finished transaction leaves behind) behaves the same.
    await sql.query('BEGIN');
    await sql.query(`SELECT set_config('app.tenant_id', '', true)`);
    const empty = await sql.query('SELECT count(*)::int AS n FROM projects');
    await sql.query('ROLLBACK');
    expect(empty.rows[0].n).toBe(0);
  });

  it('the application role cannot read or write the registry beyond SELECT', async () => {
    await expect(sql.query(`UPDATE tenants SET status = 'active' WHERE id = $1`, [tenantB.id])).rejects.toThrow(
      /permission denied/,
    );
  });
});

describe('role isolation inside a tenant', () => {
  it('a viewer cannot insert, update or delete', async () => {
    await expect(
      db.runAs(viewerA.auth, (tx) =>
        tx.project.create({ data: { tenantId: tenantA.id, ownerId: viewerA.id, name: `v-${uniqueSuffix()}` } }),
      ),
    ).rejects.toThrow(/row-level security/);
    const target = await projectOwnedBy(memberA);
    const update = await db.runAs(viewerA.auth, (tx) =>
      tx.project.updateMany({ where: { id: target.id }, data: { name: 'viewer-was-here' } }),
    );
    expect(update.count).toBe(0);
    const remove = await db.runAs(viewerA.auth, (tx) => tx.project.deleteMany({ where: { id: target.id } }));
    expect(remove.count).toBe(0);
    // ...but can read.
    const seen = await db.runAs(viewerA.auth, (tx) => tx.project.findFirst({ where: { id: target.id } }));
    expect(seen?.id).toBe(target.id);
  });

  it('a member changes its own rows but not another member’s', async () => {
    const own = await projectOwnedBy(memberA);
    const others = await projectOwnedBy(otherMemberA);
    const ownUpdate = await db.runAs(memberA.auth, (tx) =>
      tx.project.updateMany({ where: { id: own.id }, data: { description: 'mine' } }),
    );
    expect(ownUpdate.count).toBe(1);
    const otherUpdate = await db.runAs(memberA.auth, (tx) =>
      tx.project.updateMany({ where: { id: others.id }, data: { description: 'not mine' } }),
    );
    expect(otherUpdate.count).toBe(0);
    const otherDelete = await db.runAs(memberA.auth, (tx) => tx.project.deleteMany({ where: { id: others.id } }));
    expect(otherDelete.count).toBe(0);
  });

  it('a member cannot create a row owned by someone else, nor hand its row to someone else', async () => {
    await expect(
      db.runAs(memberA.auth, (tx) =>
        tx.project.create({ data: { tenantId: tenantA.id, ownerId: otherMemberA.id, name: `m-${uniqueSuffix()}` } }),
      ),
    ).rejects.toThrow(/row-level security/);
    const own = await projectOwnedBy(memberA);
    await expect(
      db.runAs(memberA.auth, (tx) =>
        tx.project.update({ where: { tenantId_id: { tenantId: tenantA.id, id: own.id } }, data: { ownerId: otherMemberA.id } }),
      ),
    ).rejects.toThrow(/row-level security/);
  });

  it('an admin changes any row of its tenant', async () => {
    const others = await projectOwnedBy(memberA);
    const update = await db.runAs(adminA.auth, (tx) =>
      tx.project.updateMany({ where: { id: others.id }, data: { description: 'by admin' } }),
    );
    expect(update.count).toBe(1);
    const remove = await db.runAs(adminA.auth, (tx) => tx.project.deleteMany({ where: { id: others.id } }));
    expect(remove.count).toBe(1);
  });

  it('only an admin writes users', async () => {
    const bystander = await createUserRow(privileged, tenantA, 'viewer');
    const byMember = await db.runAs(memberA.auth, (tx) =>
      tx.user.updateMany({ where: { id: bystander.id }, data: { role: 'admin' } }),
    );
    expect(byMember.count).toBe(0);
    const byAdmin = await db.runAs(adminA.auth, (tx) =>
      tx.user.updateMany({ where: { id: bystander.id }, data: { role: 'member' } }),
    );
    expect(byAdmin.count).toBe(1);
  });
});

describe('keys that cannot leak', () => {
  it('a name taken in tenant B is free in tenant A (unique keys include tenant_id)', async () => {
    const created = await db.runAs(adminA.auth, (tx) =>
      tx.project.create({ data: { tenantId: tenantA.id, ownerId: adminA.id, name: projectB.name } }),
    );
    expect(created.tenantId).toBe(tenantA.id);
  });

  it('reusing tenant B’s row id in tenant A neither fails nor touches B', async () => {
    const created = await db.runAs(adminA.auth, (tx) =>
      tx.project.create({ data: { id: projectB.id, tenantId: tenantA.id, ownerId: adminA.id, name: `same-id-${uniqueSuffix()}` } }),
    );
    expect(created.id).toBe(projectB.id);
    const original = await privileged.project.findFirstOrThrow({ where: { tenantId: tenantB.id, id: projectB.id } });
    expect(original.name).toBe('b-secret-project');
  });

  it('a duplicate inside one tenant is a conflict on that tenant’s own row', async () => {
    const name = `dup-${uniqueSuffix()}`;
    await projectOwnedBy(adminA, name);
    await expect(
      db.runAs(adminA.auth, (tx) => tx.project.create({ data: { tenantId: tenantA.id, ownerId: adminA.id, name } })),
    ).rejects.toMatchObject({ code: 'P2002' });
  });
});

describe('transactions', () => {
  it('a rolled-back transaction leaves nothing behind', async () => {
    const name = `rollback-${uniqueSuffix()}`;
    await expect(
      db.runAs(adminA.auth, async (tx) => {
        await tx.project.create({ data: { tenantId: tenantA.id, ownerId: adminA.id, name } });
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await privileged.project.count({ where: { name } })).toBe(0);
  });

  it('a nested run joins the outer transaction, so one failure rolls back both', async () => {
    const outerName = `outer-${uniqueSuffix()}`;
    const innerName = `inner-${uniqueSuffix()}`;
    await expect(
      db.runAs(adminA.auth, async (tx) => {
        await tx.project.create({ data: { tenantId: tenantA.id, ownerId: adminA.id, name: outerName } });
        await db.runAs(adminA.auth, (inner) =>
          inner.project.create({ data: { tenantId: tenantA.id, ownerId: adminA.id, name: innerName } }),
        );
        throw new Error('after inner');
      }),
    ).rejects.toThrow('after inner');
    expect(await privileged.project.count({ where: { name: { in: [outerName, innerName] } } })).toBe(0);
  });

  it('a nested run cannot switch to another identity', async () => {
    await expect(
      db.runAs(adminA.auth, () => db.runAs(adminB.auth, (tx) => tx.project.findMany())),
    ).rejects.toBeInstanceOf(MissingTenantContextError);
  });

  it('settings do not survive into the next use of the same pooled connection', async () => {
    const single = tenantDb(1);
    try {
      const pid = await single.db.runAs(adminA.auth, async (tx) => {
        const rows = await tx.$queryRaw<{ pid: number; tenant: string }[]>`
          SELECT pg_backend_pid() AS pid, current_setting('app.tenant_id', true) AS tenant`;
        expect(rows[0]?.tenant).toBe(tenantA.id);
        return rows[0]?.pid;
      });
      const after = await single.prisma.client.$queryRaw<{ pid: number; tenant: string | null }[]>`
        SELECT pg_backend_pid() AS pid, current_setting('app.tenant_id', true) AS tenant`;
      expect(after[0]?.pid).toBe(pid);
      expect(after[0]?.tenant ?? '').toBe('');
      const leaked = await single.prisma.client.project.findMany();
      expect(leaked).toEqual([]);
    } finally {
      await single.prisma.onModuleDestroy();
    }
  });
});

describe('audit events', () => {
  it('are append-only: grants refuse the application roles, the trigger refuses even a superuser', async () => {
    const event = await db.runAs(adminA.auth, (tx) =>
      tx.auditEvent.create({
        data: { tenantId: tenantA.id, actorId: adminA.id, actorType: 'user', action: 'test.append', outcome: 'success' },
      }),
    );
    await expect(privileged.auditEvent.update({ where: { id: event.id }, data: { outcome: 'forged' } })).rejects.toThrow(
      /permission denied/,
    );
    await expect(privileged.auditEvent.delete({ where: { id: event.id } })).rejects.toThrow(/permission denied/);
    const superuser = await rawClient(databaseUrlAs(stackInfo().adminUrl, stackInfo().database));
    try {
      await expect(superuser.query(`UPDATE audit_events SET outcome = 'forged' WHERE id = $1`, [event.id])).rejects.toThrow(
        /append-only/,
      );
      await expect(superuser.query('DELETE FROM audit_events WHERE id = $1', [event.id])).rejects.toThrow(/append-only/);
      await expect(superuser.query('TRUNCATE audit_events')).rejects.toThrow(/append-only/);
    } finally {
      await superuser.end();
    }
  });

  it('cannot be written for another tenant, and are read only by the tenant’s admins', async () => {
    await expect(
      db.runAs(adminA.auth, (tx) =>
        tx.auditEvent.create({ data: { tenantId: tenantB.id, actorType: 'user', action: 'forge', outcome: 'success' } }),
      ),
    ).rejects.toThrow(/row-level security/);
    const asMember = await db.runAs(memberA.auth, (tx) => tx.auditEvent.findMany());
    expect(asMember).toEqual([]);
    const asAdmin = await db.runAs(adminA.auth, (tx) => tx.auditEvent.findMany());
    expect(asAdmin.every((event) => event.tenantId === tenantA.id)).toBe(true);
  });
});

describe('how the policies read the tenant settings', () => {
  it('every policy reads each setting once per statement (a scalar subquery), never once per row', async () => {
    const superuser = await rawClient(databaseUrlAs(stackInfo().adminUrl, stackInfo().database));
    try {
      const { rows } = await superuser.query<{ policy: string; expression: string }>(
        `SELECT c.relname || '.' || p.polname AS policy,
                coalesce(pg_get_expr(p.polqual, p.polrelid), '') || ' ' || coalesce(pg_get_expr(p.polwithcheck, p.polrelid), '') AS expression
           FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid
          WHERE coalesce(pg_get_expr(p.polqual, p.polrelid), '') || coalesce(pg_get_expr(p.polwithcheck, p.polrelid), '') LIKE '%current_setting%'`,
      );
      expect(rows.length).toBeGreaterThan(15);
      const readPerRow = rows.filter(({ expression }) => {
        const reads = expression.match(/current_setting\(/g)?.length ?? 0;
        const readOnce = expression.match(/\( SELECT \(?NULLIF\(current_setting\(/g)?.length ?? 0;
        return reads !== readOnce;
      });
      expect(readPerRow.map(({ policy }) => policy)).toEqual([]);
    } finally {
      await superuser.end();
    }
  });
});
