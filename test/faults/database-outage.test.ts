/**
 * Faults on a Postgres of its own (embedded, on its own port, stopped and
 * restarted by the test), with a real API replica process on it:
 *
 * - Postgres down: requests answer 503 `database_unavailable` with Retry-After,
 *   and the API logs one concise line per request, never a stack trace.
 * - The registry's full reload after the lost LISTEN connection fails (here:
 *   the application role may open only one connection, and the reconnected
 *   listener holds it): the process keeps running and serving from the last
 *   registry it loaded, retries with backoff, and recovers on its own.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { bootstrapDatabase } from '../../tools/db/bootstrap.js';
import { DATABASE_ROLES, LOCAL_ROLE_PASSWORDS, localDatabaseUrls } from '../../tools/db/database-urls.js';
import { applyMigrations } from '../../tools/db/migrate.js';
import { type PostgresServer, startPostgres } from '../../tools/local-stack/postgres.js';
import type { LocalStackInfo } from '../../tools/local-stack/stack.js';
import { createPrismaClient } from '../../apps/api/src/database/prisma-client.js';
import { type ApiReplica, startApiReplica } from '../support/app.js';
import { stackInfo } from '../support/database.js';
import { type FixtureIdpTenant, createFixtureIdpTenant } from '../support/fixture-idp-tenant.js';
import { call } from '../support/world.js';

const DATABASE = 'gatehouse_outage';

let dataDir: string;
let postgres: PostgresServer | undefined;
let port: number;
let info: LocalStackInfo;
let tenant: FixtureIdpTenant;
let replica: ApiReplica | undefined;

async function superuser<T>(query: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: info.adminUrl });
  await client.connect();
  try {
    return await query(client);
  } finally {
    await client.end();
  }
}

const token = () => tenant.token();

async function until(condition: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let attempt = 0; attempt < 400; attempt += 1) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

// The JSON log (stdout) and anything else the process printed (stderr).
const logOf = () => replica!.process.stdout() + replica!.process.stderr();

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'gatehouse-outage-'));
  postgres = await startPostgres({ dataDir, port: 0 });
  port = Number(new URL(postgres.adminUrl).port);
  await bootstrapDatabase({ adminUrl: postgres.adminUrl, database: DATABASE, passwords: LOCAL_ROLE_PASSWORDS });
  const databaseUrls = localDatabaseUrls(postgres.adminUrl, DATABASE);
  await applyMigrations(databaseUrls.owner);
  // The emulator of the shared test stack; the database is this test's own.
  info = { ...stackInfo(), adminUrl: postgres.adminUrl, database: DATABASE, databaseUrls };

  // A tenant that trusts an issuer whose keys this test makes: tokens without Cognito.
  const privileged = createPrismaClient(databaseUrls.privileged, 1, 'gatehouse-test-outage');
  try {
    tenant = await createFixtureIdpTenant(privileged);
  } finally {
    await privileged.$disconnect();
  }
  replica = await startApiReplica({ LOG_LEVEL: 'info' }, info);
}, 180_000);

afterAll(async () => {
  await replica?.stop();
  await tenant?.idp.stop();
  await postgres?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

it('Postgres down: 503 database_unavailable with Retry-After and one line per request; a failed registry reload is retried, the process survives and recovers', async () => {
  const api = replica!.baseUrl;
  const warm = await call(api, '/v1/projects', { token: token() });
  expect(warm.status, warm.text).toBe(200);

  // From now on the application role gets one connection: after the restart, the listener takes it.
  await superuser((client) => client.query(`ALTER ROLE ${DATABASE_ROLES.app} CONNECTION LIMIT 1`));
  await postgres!.stop();
  postgres = undefined;

  const outage = [];
  for (let index = 0; index < 3; index += 1) outage.push(await call(api, '/v1/projects', { token: token() }));
  for (const response of outage) {
    expect(response.status, response.text).toBe(503);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.body.code).toBe('database_unavailable');
    expect(Number(response.headers['retry-after'])).toBeGreaterThan(0);
  }
  // The log is written asynchronously: wait for the three lines, then check there is exactly one per request.
  const noticed = () => logOf().split('\n').filter((line) => line.includes('database unavailable'));
  await until(() => noticed().length >= 3, 'the outage log lines');
  expect(noticed()).toHaveLength(3);
  for (const line of noticed()) expect(JSON.parse(line)).toMatchObject({ level: 40, context: 'Problem' });
  expect(logOf()).not.toMatch(/\n\s+at /);

  // Restart on the same port: the listener reconnects, and the full reload fails (no connection left).
  postgres = await startPostgres({ dataDir, port });
  await until(() => logOf().includes('trusted issuers reload failed'), 'a failed registry reload');
  expect(replica!.process.exited()).toBe(false);
  expect((await call(api, '/health/live')).status).toBe(200);

  // Connections allowed again: the retried reload succeeds and requests are served.
  await superuser((client) => client.query(`ALTER ROLE ${DATABASE_ROLES.app} CONNECTION LIMIT -1`));
  await until(() => logOf().includes('trusted issuers reloaded after'), 'the registry reload to succeed');
  await until(async () => (await call(api, '/v1/projects', { token: token() })).status === 200, 'requests to succeed again');
  expect(replica!.process.exited()).toBe(false);
  expect(logOf()).not.toMatch(/unhandled|\n\s+at /i);
}, 120_000);
