/**
 * The tenant settings travel with each statement (TenantContextPool) and never
 * outlive it: not on a reused connection, not under concurrency, not after an
 * error in the middle of a pipeline, and never without a verified context —
 * for reads, Prisma's writes and the tagged INSERT … RETURNING of the project
 * create path alike.
 * Real Postgres as the application role, no mocks.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MissingTenantContextError } from '../../apps/api/src/common/domain-error.js';
import type { PrismaClient } from '../../apps/api/src/database/prisma-client.js';
import type { PrismaService } from '../../apps/api/src/database/prisma.service.js';
import { type TenantDb, sql } from '../../apps/api/src/database/tenant-db.js';
import { SET_SETTINGS_STATEMENT } from '../../apps/api/src/database/tenant-context-pool.js';
import { tenantScope, tenantSettingsFor } from '../../apps/api/src/database/tenant-scope.js';
import { ProjectsService } from '../../apps/api/src/projects/projects.service.js';
import { requestContext } from '../../apps/api/src/tenancy/request-context.js';
import { privilegedClient, rawClient, stackInfo, tenantDb } from '../support/database.js';
import { DATABASE_ROLES } from '../../tools/db/database-urls.js';
import { type TenantFixture, type UserFixture, createTenantRow, createUserRow, uniqueSuffix } from '../support/factories.js';

let privileged: PrismaClient;
let tenantA: TenantFixture;
let tenantB: TenantFixture;
let adminA: UserFixture;
let adminB: UserFixture;
let viewerB: UserFixture;

interface Session {
  readonly pid: number;
  readonly tenant: string;
  readonly user: string;
  readonly role: string;
}

const SESSION = sql`SELECT pg_backend_pid() AS pid,
                           current_setting('app.tenant_id', true) AS tenant,
                           current_setting('app.user_id', true) AS user,
                           current_setting('app.role', true) AS role`;

beforeAll(async () => {
  privileged = privilegedClient();
  tenantA = await createTenantRow(privileged);
  tenantB = await createTenantRow(privileged);
  adminA = await createUserRow(privileged, tenantA, 'admin');
  adminB = await createUserRow(privileged, tenantB, 'admin');
  viewerB = await createUserRow(privileged, tenantB, 'viewer');
  for (const owner of [adminA, adminB]) {
    await privileged.project.create({ data: { tenantId: owner.auth.tenantId, ownerId: owner.id, name: `p-${uniqueSuffix()}` } });
  }
});

afterAll(async () => {
  await privileged.$disconnect();
});

async function withDb<T>(poolSize: number, use: (db: TenantDb, prisma: PrismaService) => Promise<T>): Promise<T> {
  const { db, prisma } = tenantDb(poolSize);
  try {
    return await use(db, prisma);
  } finally {
    await prisma.onModuleDestroy();
  }
}

/** What a statement without any tenant scope sees on the pool's (only) connection; unset and reset both read as ''. */
async function bare(prisma: PrismaService): Promise<Session> {
  const { rows } = await prisma.pool.query<Session>(SESSION.text);
  const row = rows[0]!;
  return { pid: row.pid, tenant: row.tenant ?? '', user: row.user ?? '', role: row.role ?? '' };
}

describe('settings on a reused connection', () => {
  it('a statement outside any transaction carries the settings and leaves none behind', async () => {
    await withDb(1, async (db, prisma) => {
      const [inside] = await db.queryAs<Session>(adminA.auth, SESSION);
      expect(inside).toMatchObject({ tenant: tenantA.id, user: adminA.id, role: 'admin' });
      const after = await bare(prisma);
      expect(after.pid).toBe(inside!.pid);
      expect(after).toMatchObject({ tenant: '', user: '', role: '' });
      expect(await prisma.client.project.findMany()).toEqual([]);
    });
  });

  it('Prisma reads without a transaction see their own tenant only, and the next user of the connection sees its own', async () => {
    await withDb(1, async (db, prisma) => {
      const ofA = await db.autocommitAs(adminA.auth, (tx) => tx.project.findMany());
      const ofB = await db.autocommitAs(adminB.auth, (tx) => tx.project.findMany());
      expect(ofA.length).toBeGreaterThan(0);
      expect(ofB.length).toBeGreaterThan(0);
      expect(ofA.every((row) => row.tenantId === tenantA.id)).toBe(true);
      expect(ofB.every((row) => row.tenantId === tenantB.id)).toBe(true);
      expect(await prisma.client.project.count()).toBe(0);
    });
  });

  it('a transaction sets the settings once, with BEGIN, and they end with it', async () => {
    await withDb(1, async (db, prisma) => {
      const seen = await db.runAs(adminA.auth, async (tx) => {
        const first = await tx.$queryRawUnsafe<Session[]>(SESSION.text);
        const second = await db.queryAs<Session>(adminA.auth, SESSION); // joins the transaction
        return [first[0]!, second[0]!];
      });
      expect(seen[0]).toMatchObject({ tenant: tenantA.id, role: 'admin' });
      expect(seen[1]).toEqual(seen[0]);
      expect(await bare(prisma)).toMatchObject({ pid: seen[0]!.pid, tenant: '', user: '', role: '' });
    });
  });

  it('a single-statement write without a transaction is checked by the policies under its own settings', async () => {
    await withDb(1, async (db) => {
      const name = `autocommit-${uniqueSuffix()}`;
      const created = await db.autocommitAs(adminA.auth, (tx) =>
        tx.project.create({ data: { tenantId: tenantA.id, ownerId: adminA.id, name } }),
      );
      expect(created.tenantId).toBe(tenantA.id);
      await expect(
        db.autocommitAs(viewerB.auth, (tx) => tx.project.create({ data: { tenantId: tenantB.id, ownerId: viewerB.id, name } })),
      ).rejects.toThrow();
      await expect(
        db.autocommitAs(adminB.auth, (tx) => tx.project.create({ data: { tenantId: tenantA.id, ownerId: adminA.id, name: `${name}-x` } })),
      ).rejects.toThrow();
    });
  });
});

describe('prepared statements', () => {
  it('the settings statement and each sql template are parsed once per connection, then only bound', async () => {
    await withDb(1, async (db) => {
      const prepared = sql`SELECT name, statement, (generic_plans + custom_plans)::int AS runs FROM pg_prepared_statements ORDER BY name`;
      for (let index = 0; index < 3; index += 1) await db.queryAs<Session>(index % 2 ? adminA.auth : adminB.auth, SESSION);
      const rows = await db.queryAs<{ name: string; statement: string; runs: number }>(adminA.auth, prepared);
      const byName = new Map(rows.map((row) => [row.name, row]));
      // Four scoped statements so far (three SESSION reads, this one): one settings statement ran before each.
      expect(SET_SETTINGS_STATEMENT).toBe('gatehouse_tenant_settings'); // the name the README gives
      expect(byName.get(SET_SETTINGS_STATEMENT)).toMatchObject({ runs: 4 });
      expect(byName.get(SET_SETTINGS_STATEMENT)!.statement).toContain("set_config('app.tenant_id'");
      expect(byName.get(SESSION.name!)).toMatchObject({ statement: SESSION.text, runs: 3 });
      expect(rows.filter((row) => row.name.startsWith('gatehouse_'))).toHaveLength(3);
    });
  });
});

describe('prepared statements across a migration', () => {
  it('a column whose type changed under a prepared statement is read afresh, not refused', async () => {
    const table = `plan_probe_${uniqueSuffix().replace(/\W/g, '_')}`;
    const owner = await rawClient(stackInfo().databaseUrls.owner);
    try {
      await owner.query(`CREATE TABLE ${table} (v integer)`);
      await owner.query(`INSERT INTO ${table} VALUES (7)`);
      await owner.query(`GRANT SELECT ON ${table} TO ${DATABASE_ROLES.app}`);
      const probe = { name: `gatehouse_test_${table}`, text: `SELECT v FROM ${table}`, values: [] };
      await withDb(1, async (db) => {
        expect(await db.queryAs(adminA.auth, probe)).toEqual([{ v: 7 }]);
        // A rolling deploy's migration: the statement prepared on the pool's connection now has another result type.
        await owner.query(`ALTER TABLE ${table} ALTER COLUMN v TYPE text`);
        expect(await db.queryAs(adminA.auth, probe)).toEqual([{ v: '7' }]);
      });
    } finally {
      await owner.query(`DROP TABLE IF EXISTS ${table}`);
      await owner.end();
    }
  });
});

describe('settings under concurrency', () => {
  it('interleaved requests of two tenants on a small pool each see only their own settings and rows', async () => {
    await withDb(2, async (db, prisma) => {
      const principals = [adminA, adminB, viewerB];
      const work = Array.from({ length: 150 }, (_, index) => {
        const who = principals[index % principals.length]!;
        if (index % 3 === 0) return db.queryAs<Session>(who.auth, SESSION).then((rows) => ({ who, session: rows[0]! }));
        if (index % 3 === 1) {
          return db
            .autocommitAs(who.auth, (tx) => tx.project.findMany({ select: { tenantId: true } }))
            .then((rows) => ({ who, tenants: rows.map((row) => row.tenantId) }));
        }
        return db
          .runAs(who.auth, (tx) => tx.$queryRawUnsafe<Session[]>(SESSION.text))
          .then((rows) => ({ who, session: rows[0]! }));
      });
      for (const result of await Promise.all(work)) {
        if ('session' in result) {
          expect(result.session).toMatchObject({ tenant: result.who.auth.tenantId, user: result.who.id, role: result.who.auth.roles[0] });
        } else {
          expect(result.tenants.length).toBeGreaterThan(0);
          expect(new Set(result.tenants)).toEqual(new Set([result.who.auth.tenantId]));
        }
      }
      expect(await bare(prisma)).toMatchObject({ tenant: '', user: '', role: '' });
    });
  });

  it('findUnique calls of two tenants in the same tick are not batched under one tenant’s settings', async () => {
    await withDb(2, async (db) => {
      const ofA = await privileged.project.findFirstOrThrow({ where: { tenantId: tenantA.id } });
      const ofB = await privileged.project.findFirstOrThrow({ where: { tenantId: tenantB.id } });
      const byKey = (owner: UserFixture, id: string) =>
        db.autocommitAs(owner.auth, (tx) => tx.project.findUnique({ where: { tenantId_id: { tenantId: owner.auth.tenantId, id } } }));
      const [mineA, mineB, crossA, crossB] = await Promise.all([
        byKey(adminA, ofA.id),
        byKey(adminB, ofB.id),
        db.autocommitAs(adminA.auth, (tx) => tx.project.findUnique({ where: { tenantId_id: { tenantId: tenantB.id, id: ofB.id } } })),
        db.autocommitAs(adminB.auth, (tx) => tx.project.findUnique({ where: { tenantId_id: { tenantId: tenantA.id, id: ofA.id } } })),
      ]);
      expect(mineA?.id).toBe(ofA.id);
      expect(mineB?.id).toBe(ofB.id);
      expect(crossA).toBeNull();
      expect(crossB).toBeNull();
    });
  });
});

describe('settings after an error mid-pipeline', () => {
  it('a statement that fails after its settings were applied leaves nothing on the connection', async () => {
    await withDb(1, async (db, prisma) => {
      await expect(db.queryAs(adminA.auth, sql`SELECT 1 / ${0}::int`)).rejects.toThrow(/division by zero/);
      await expect(db.queryAs(adminA.auth, { text: 'SELEC broken', values: [] })).rejects.toThrow(/syntax/);
      await expect(db.queryAs(adminA.auth, sql`SELECT ${'not-a-uuid'}::uuid`)).rejects.toThrow(/uuid/);
      expect(await bare(prisma)).toMatchObject({ tenant: '', user: '', role: '' });
      const [next] = await db.queryAs<Session>(adminB.auth, SESSION);
      expect(next).toMatchObject({ tenant: tenantB.id, user: adminB.id, role: 'admin' });
    });
  });

  it('a named statement that fails to parse right after the settings statement was prepared is not taken for prepared', async () => {
    // A checked-out connection (as in a transaction: an error does not end it), whose first scoped
    // statement parses the settings statement and then the caller's, in one pipeline.
    await withDb(1, async (_db, prisma) => {
      const client = await prisma.pool.connect();
      try {
        const scoped = <T>(auth: UserFixture['auth'], work: () => Promise<T>) => tenantScope.run(tenantSettingsFor(auth), work);
        const broken = { name: `broken_${uniqueSuffix().replace(/\W/g, '_')}`, text: 'SELEC broken' };
        await expect(scoped(adminA.auth, () => client.query(broken))).rejects.toThrow(/syntax/);
        // Parsed again (and refused again), not bound as if Postgres had it.
        await expect(scoped(adminA.auth, () => client.query(broken))).rejects.toThrow(/syntax/);
        const { rows } = await scoped(adminB.auth, () => client.query<Session>({ name: SESSION.name!, text: SESSION.text }));
        expect(rows[0]).toMatchObject({ tenant: tenantB.id, user: adminB.id, role: 'admin' });
      } finally {
        client.release();
      }
    });
  });

  it('a transaction that fails mid-way rolls back and leaves nothing on the connection', async () => {
    await withDb(1, async (db, prisma) => {
      const name = `aborted-${uniqueSuffix()}`;
      await expect(
        db.runAs(adminA.auth, async (tx) => {
          await tx.project.create({ data: { tenantId: tenantA.id, ownerId: adminA.id, name } });
          await tx.$queryRawUnsafe('SELECT 1 / 0');
        }),
      ).rejects.toThrow();
      expect(await privileged.project.count({ where: { name } })).toBe(0);
      expect(await bare(prisma)).toMatchObject({ tenant: '', user: '', role: '' });
      const [next] = await db.queryAs<Session>(adminB.auth, SESSION);
      expect(next).toMatchObject({ tenant: tenantB.id });
    });
  });
});

describe('without a context', () => {
  it('every TenantDb entry point refuses, and the bare pool sees no tenant rows', async () => {
    await withDb(1, async (db, prisma) => {
      await expect(db.run((tx) => tx.project.findMany())).rejects.toBeInstanceOf(MissingTenantContextError);
      await expect(db.autocommit((tx) => tx.project.findMany())).rejects.toBeInstanceOf(MissingTenantContextError);
      await expect(db.query(SESSION)).rejects.toBeInstanceOf(MissingTenantContextError);
      const malformed = { ...adminA.auth, tenantId: "x', true); SELECT 1; --" };
      await expect(db.queryAs(malformed, SESSION)).rejects.toBeInstanceOf(MissingTenantContextError);
      await expect(db.autocommitAs({ ...adminA.auth, roles: [] }, (tx) => tx.project.findMany())).rejects.toBeInstanceOf(
        MissingTenantContextError,
      );
      expect(await prisma.client.project.findMany()).toEqual([]);
      expect((await prisma.pool.query('SELECT count(*)::int AS n FROM projects')).rows[0]).toEqual({ n: 0 });
    });
  });

  it('a transaction refuses a statement for another tenant on its connection', async () => {
    await withDb(1, async (db) => {
      await expect(
        db.runAs(adminA.auth, () => db.queryAs(adminB.auth, SESSION)),
      ).rejects.toBeInstanceOf(MissingTenantContextError);
    });
  });
});

describe('single-statement writes under load', () => {
  it('concurrent creates without a transaction on a small pool all complete', async () => {
    await withDb(2, async (db) => {
      const names = Array.from({ length: 30 }, () => `load-${uniqueSuffix()}`);
      const created = await Promise.all(
        names.map((name) => db.autocommitAs(adminA.auth, (tx) => tx.project.create({ data: { tenantId: tenantA.id, ownerId: adminA.id, name }, select: { id: true } }))),
      );
      expect(created).toHaveLength(30);
    });
  }, 20_000);
});

describe('tagged writes: the project create path (INSERT … RETURNING with the settings in the same round trip)', () => {
  const createAs = (db: TenantDb, who: UserFixture, input: { name: string; description?: string }) =>
    requestContext.run({ requestId: `spec-${uniqueSuffix()}`, auth: who.auth }, () => new ProjectsService(db).create(input));

  it('writes into the caller’s tenant as the caller, and leaves nothing on the connection', async () => {
    await withDb(1, async (db, prisma) => {
      const name = `tagged-${uniqueSuffix()}`;
      const created = await createAs(db, adminA, { name, description: 'd' });
      expect(created).toMatchObject({ name, description: 'd', ownerId: adminA.id });
      const stored = await privileged.project.findFirstOrThrow({ where: { id: created.id } });
      expect(stored.tenantId).toBe(tenantA.id);
      // Timestamps come back as the ISO text the response carries, equal to what Prisma reads.
      expect(created.createdAt).toBe(stored.createdAt.toISOString());
      expect(created.updatedAt).toBe(stored.updatedAt.toISOString());
      expect(await bare(prisma)).toMatchObject({ tenant: '', user: '', role: '' });
    });
  });

  it('WITH CHECK still decides: a viewer is refused (403), and so is a row claimed for another tenant', async () => {
    await withDb(1, async (db, prisma) => {
      const name = `refused-${uniqueSuffix()}`;
      await expect(createAs(db, viewerB, { name })).rejects.toMatchObject({ status: 403, code: 'forbidden_by_policy' });
      // The same statement with another tenant's id in the row: the policy, not the service, refuses it.
      await expect(
        db.queryAs(adminB.auth, sql`INSERT INTO projects (tenant_id, owner_id, name) VALUES (${tenantA.id}::uuid, ${adminA.id}::uuid, ${name}) RETURNING id`),
      ).rejects.toThrow(/row-level security/);
      expect(await privileged.project.count({ where: { name } })).toBe(0);
      // The failed statements ran after their settings: nothing of either is left behind.
      expect(await bare(prisma)).toMatchObject({ tenant: '', user: '', role: '' });
      const [next] = await db.queryAs<Session>(adminA.auth, SESSION);
      expect(next).toMatchObject({ tenant: tenantA.id, user: adminA.id, role: 'admin' });
    });
  });

  it('a duplicate name is 409 and the connection is clean for the next request', async () => {
    await withDb(1, async (db, prisma) => {
      const name = `dup-${uniqueSuffix()}`;
      await createAs(db, adminA, { name });
      await expect(createAs(db, adminA, { name })).rejects.toMatchObject({ status: 409 });
      expect(await bare(prisma)).toMatchObject({ tenant: '', user: '', role: '' });
    });
  });

  it('concurrent creates of two tenants on a 2-connection pool each land in their own tenant', async () => {
    await withDb(2, async (db, prisma) => {
      const writers = [adminA, adminB];
      const created = await Promise.all(
        Array.from({ length: 40 }, (_, index) => {
          const who = writers[index % writers.length]!;
          return createAs(db, who, { name: `mixed-${uniqueSuffix()}` }).then((row) => ({ who, row }));
        }),
      );
      const stored = await privileged.project.findMany({ where: { id: { in: created.map(({ row }) => row.id) } }, select: { id: true, tenantId: true } });
      const tenantOf = new Map(stored.map((row) => [row.id, row.tenantId]));
      for (const { who, row } of created) expect(tenantOf.get(row.id)).toBe(who.auth.tenantId);
      expect(await bare(prisma)).toMatchObject({ tenant: '', user: '', role: '' });
    });
  }, 20_000);

  it('inside a run, the joined insert returns its timestamps in the same ISO form as outside one', async () => {
    await withDb(1, async (db) => {
      const name = `joined-iso-${uniqueSuffix()}`;
      const created = await requestContext.run({ requestId: 'spec-joined-iso', auth: adminA.auth }, () =>
        db.run(async () => new ProjectsService(db).create({ name })),
      );
      const stored = await privileged.project.findFirstOrThrow({ where: { id: created.id } });
      expect(created.createdAt).toBe(stored.createdAt.toISOString());
    });
  });

  it('inside a run, the insert joins the transaction and rolls back with it', async () => {
    await withDb(1, async (db) => {
      const name = `joined-${uniqueSuffix()}`;
      await expect(
        requestContext.run({ requestId: 'spec-joined', auth: adminA.auth }, () =>
          db.run(async (tx) => {
            await new ProjectsService(db).create({ name });
            await tx.$queryRawUnsafe('SELECT 1 / 0');
          }),
        ),
      ).rejects.toThrow();
      expect(await privileged.project.count({ where: { name } })).toBe(0);
    });
  });

  it('without a context the service refuses before any statement', async () => {
    await withDb(1, async (db) => {
      await expect(new ProjectsService(db).create({ name: `none-${uniqueSuffix()}` })).rejects.toBeInstanceOf(MissingTenantContextError);
    });
  });
});
