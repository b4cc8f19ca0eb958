/**
 * The migration command the Kubernetes Job and the compose `migrate` service
 * run: bootstrap roles and database from the admin URL, then apply migrations
 * as the owner, idempotently, recording Prisma-compatible history.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { dropDatabase } from '../../tools/db/bootstrap.js';
import { localDatabaseUrls } from '../../tools/db/database-urls.js';
import { listMigrations, defaultMigrationsDir } from '../../tools/db/migrate.js';
import { rawClient, stackInfo } from '../support/database.js';
import { uniqueSuffix } from '../support/factories.js';

const run = promisify(execFile);
const CLI = join(process.cwd(), 'dist', 'tools', 'db', 'migrate.js');
const database = `gatehouse_cli_${uniqueSuffix().replace(/[^a-z0-9]/g, '')}`;

afterAll(async () => {
  await dropDatabase(stackInfo().adminUrl, database);
});

describe('node dist/tools/db/migrate.js', () => {
  it('bootstraps a new database, applies every migration, and is a no-op the second time', async () => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run the suite with npm test, which builds dist/ first`);
    const urls = localDatabaseUrls(stackInfo().adminUrl, database);
    const env = {
      PATH: process.env['PATH'] ?? '',
      DATABASE_ADMIN_URL: stackInfo().adminUrl,
      DATABASE_MIGRATION_URL: urls.owner,
      DATABASE_URL: urls.app,
      DATABASE_PRIVILEGED_URL: urls.privileged,
    };
    const expected = listMigrations(defaultMigrationsDir()).map((migration) => migration.name);

    const first = await run(process.execPath, [CLI], { env });
    expect(first.stdout.trim().split('\n')).toEqual(expected.map((name) => `applied  ${name}`));
    const second = await run(process.execPath, [CLI], { env });
    expect(second.stdout.trim().split('\n')).toEqual(expected.map((name) => `present  ${name}`));

    const owner = await rawClient(urls.owner);
    try {
      const history = await owner.query('SELECT migration_name, checksum FROM _prisma_migrations ORDER BY migration_name');
      expect(history.rows.map((row) => row.migration_name)).toEqual(expected);
      expect(history.rows.every((row) => /^[0-9a-f]{64}$/.test(row.checksum))).toBe(true);
    } finally {
      await owner.end();
    }
  });

  it('fails with a readable message when the owner URL is missing', async () => {
    await expect(run(process.execPath, [CLI], { env: { PATH: process.env['PATH'] ?? '' } })).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringContaining('DATABASE_MIGRATION_URL is required'),
    });
  });
});
