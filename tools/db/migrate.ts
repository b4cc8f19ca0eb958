/**
 * Applies `prisma/migrations/<name>/migration.sql` in order, as the owner role,
 * recording each in Prisma's own `_prisma_migrations` table (same columns, same
 * sha256 checksum), so `prisma migrate deploy` and `prisma migrate status`
 * agree with it wherever Prisma's native schema engine is available.
 *
 * Why not `prisma migrate deploy` itself: Prisma 7 downloads its schema engine
 * binary from Prisma's CDN on first use, which neither this project's CI nor
 * an air-gapped cluster can reach. The SQL is hand-written anyway (row-level
 * security lives in reviewed SQL), so applying it needs no engine.
 */
import { createHash, randomUUID } from 'node:crypto';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import pg from 'pg';

/** The lock id Prisma uses, so our migrator and Prisma's never run at once. */
const MIGRATION_LOCK_ID = 72707369;

export interface AppliedMigration {
  readonly name: string;
  readonly applied: boolean;
}

export class MigrationError extends Error {
  override readonly name = 'MigrationError';
}

export function defaultMigrationsDir(): string {
  let directory = fileURLToPath(new URL('.', import.meta.url));
  for (let depth = 0; depth < 6; depth += 1) {
    const candidate = join(directory, 'prisma', 'migrations');
    try {
      if (statSync(candidate).isDirectory()) return candidate;
    } catch {
      // keep walking up
    }
    directory = join(directory, '..');
  }
  throw new MigrationError('could not find prisma/migrations above tools/db');
}

export function listMigrations(migrationsDir: string): { name: string; sql: string; checksum: string }[] {
  return readdirSync(migrationsDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort()
    .map((name) => {
      const sql = readFileSync(join(migrationsDir, name, 'migration.sql'), 'utf8');
      return { name, sql, checksum: createHash('sha256').update(sql).digest('hex') };
    });
}

export async function applyMigrations(ownerUrl: string, migrationsDir = defaultMigrationsDir()): Promise<AppliedMigration[]> {
  const client = new pg.Client({ connectionString: ownerUrl });
  await client.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_ID]);
    await client.query(`
      CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
        "id"                  VARCHAR(36) PRIMARY KEY NOT NULL,
        "checksum"            VARCHAR(64) NOT NULL,
        "finished_at"         TIMESTAMPTZ,
        "migration_name"      VARCHAR(255) NOT NULL,
        "logs"                TEXT,
        "rolled_back_at"      TIMESTAMPTZ,
        "started_at"          TIMESTAMPTZ NOT NULL DEFAULT now(),
        "applied_steps_count" INTEGER NOT NULL DEFAULT 0
      )`);
    const history = await client.query<{ migration_name: string; checksum: string; finished_at: Date | null }>(
      'SELECT migration_name, checksum, finished_at FROM "_prisma_migrations" WHERE rolled_back_at IS NULL',
    );
    const recorded = new Map(history.rows.map((row) => [row.migration_name, row]));
    const results: AppliedMigration[] = [];
    for (const migration of listMigrations(migrationsDir)) {
      const previous = recorded.get(migration.name);
      if (previous) {
        if (previous.finished_at === null) {
          throw new MigrationError(`migration ${migration.name} failed earlier; resolve it before migrating again`);
        }
        if (previous.checksum !== migration.checksum) {
          throw new MigrationError(`migration ${migration.name} was changed after it was applied; add a new migration instead`);
        }
        results.push({ name: migration.name, applied: false });
        continue;
      }
      // One transaction per migration: a failing migration leaves no trace.
      await client.query('BEGIN');
      try {
        await client.query(migration.sql);
        await client.query(
          `INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at, finished_at, applied_steps_count)
           VALUES ($1, $2, $3, now(), now(), 1)`,
          [randomUUID(), migration.checksum, migration.name],
        );
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK');
        throw new MigrationError(`migration ${migration.name} failed: ${(error as Error).message}`);
      }
      results.push({ name: migration.name, applied: true });
    }
    return results;
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_ID]).catch(() => undefined);
    await client.end();
  }
}

/**
 * Command line (the Kubernetes migration Job, the compose `migrate` service):
 *   DATABASE_ADMIN_URL      optional: master user; when set, roles and database are bootstrapped first
 *   DATABASE_MIGRATION_URL  the owner role's URL (runs the migrations)
 *   DATABASE_URL, DATABASE_PRIVILEGED_URL  the API's roles; their passwords are set by the bootstrap
 */
async function main(): Promise<void> {
  const { bootstrapDatabase } = await import('./bootstrap.js');
  const env = process.env;
  const migrationUrl = env['DATABASE_MIGRATION_URL'];
  if (!migrationUrl) throw new MigrationError('DATABASE_MIGRATION_URL is required');
  const adminUrl = env['DATABASE_ADMIN_URL'];
  if (adminUrl) {
    const password = (name: string): string => {
      const value = env[name];
      if (!value) throw new MigrationError(`${name} is required to bootstrap the database roles`);
      return decodeURIComponent(new URL(value).password);
    };
    await bootstrapDatabase({
      adminUrl,
      database: decodeURIComponent(new URL(migrationUrl).pathname.slice(1)),
      passwords: {
        owner: password('DATABASE_MIGRATION_URL'),
        app: password('DATABASE_URL'),
        privileged: password('DATABASE_PRIVILEGED_URL'),
      },
    });
  }
  const results = await applyMigrations(migrationUrl);
  for (const result of results) process.stdout.write(`${result.applied ? 'applied' : 'present'}  ${result.name}\n`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    process.stderr.write(`migrate: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
