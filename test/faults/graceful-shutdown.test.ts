/**
 * Fault: SIGTERM under load (what Kubernetes sends). A real API replica serves
 * a steady load loop while three writes are held in flight by a row lock the
 * test owns; then it gets SIGTERM. It must stop accepting connections, finish
 * the held writes once the lock goes (the database still connected), answer no
 * 5xx at all, and exit 0.
 */
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { PrismaClient } from '../../apps/api/src/database/prisma-client.js';
import { type ApiReplica, startApiReplica } from '../support/app.js';
import { databaseUrlAs, privilegedClient, stackInfo } from '../support/database.js';
import { type FixtureIdpTenant, createFixtureIdpTenant } from '../support/fixture-idp-tenant.js';
import { type HttpResponse, call } from '../support/world.js';

let privileged: PrismaClient;
let tenant: FixtureIdpTenant;
let replica: ApiReplica | undefined;

beforeAll(async () => {
  privileged = privilegedClient();
  tenant = await createFixtureIdpTenant(privileged);
  replica = await startApiReplica({ SHUTDOWN_GRACE_MS: '20000' });
});

afterAll(async () => {
  if (replica && !replica.process.exited()) await replica.stop();
  await tenant?.idp.stop();
  await privileged?.$disconnect();
});

async function until(condition: () => Promise<boolean>, what: string): Promise<void> {
  for (let attempt = 0; attempt < 300; attempt += 1) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

it('SIGTERM under load: stops accepting, finishes in-flight requests, no 5xx, exits 0', async () => {
  const api = replica!.baseUrl;
  const token = tenant.token();
  const created = await call(api, '/v1/projects', { method: 'POST', token, body: { name: 'held' } });
  expect(created.status, created.text).toBe(201);
  const projectId: string = created.body.id;

  // Load: four clients in a loop until the process is gone.
  const outcomes: { status?: number; error?: string }[] = [];
  let loading = true;
  const load = Array.from({ length: 4 }, async () => {
    while (loading) {
      await call(api, '/v1/projects?limit=5', { token }).then(
        (response) => outcomes.push({ status: response.status }),
        (error: NodeJS.ErrnoException) => outcomes.push({ error: error.code ?? error.message }),
      );
    }
  });
  await until(async () => outcomes.filter((outcome) => outcome.status === 200).length >= 8, 'the load to run');

  // Three writes held in flight by a row lock on the project.
  const testDatabase = databaseUrlAs(stackInfo().adminUrl, stackInfo().database);
  const lock = new pg.Client({ connectionString: testDatabase });
  const observer = new pg.Client({ connectionString: testDatabase });
  await lock.connect();
  await observer.connect();
  let held: Promise<HttpResponse>[] = [];
  try {
    await lock.query('BEGIN');
    await lock.query('SELECT 1 FROM projects WHERE id = $1 FOR UPDATE', [projectId]);
    held = [1, 2, 3].map((n) => call(api, `/v1/projects/${projectId}`, { method: 'PATCH', token, body: { name: `renamed ${n}` } }));
    await until(async () => {
      // From another connection: inside the lock's transaction, pg_stat_activity would be a frozen snapshot.
      const { rows } = await observer.query<{ waiting: number }>(
        `SELECT count(*)::int AS waiting FROM pg_stat_activity
          WHERE wait_event_type = 'Lock' AND application_name = 'gatehouse-api' AND datname = current_database()`,
      );
      return (rows[0]?.waiting ?? 0) >= 3;
    }, 'three writes waiting on the lock');

    replica!.process.kill('SIGTERM');
    // Stops accepting: new connections are refused while the held writes are still running.
    await until(
      () => fetch(`${api}/health/live`).then(() => false, (error: { cause?: { code?: string } }) => error.cause?.code === 'ECONNREFUSED'),
      'new connections to be refused',
    );
    expect(replica!.process.exited()).toBe(false);
  } finally {
    await lock.query('COMMIT').catch(() => undefined);
    await lock.end();
    await observer.end();
  }

  const writes = await Promise.all(held);
  for (const write of writes) expect(write.status, write.text).toBe(200);
  const { code } = await replica!.process.exit;
  loading = false;
  await Promise.all(load);
  expect(code).toBe(0);

  expect(outcomes.filter((outcome) => (outcome.status ?? 0) >= 500)).toEqual([]);
  expect(outcomes.filter((outcome) => outcome.status === 200).length).toBeGreaterThanOrEqual(8);
  expect(replica!.process.stdout() + replica!.process.stderr()).not.toMatch(/Transaction not found|internal_error|\n\s+at /);
  // Fastify's deprecation of its top-level disableRequestLogging option (FSTDEP023) is not triggered.
  expect(replica!.process.stderr()).not.toMatch(/FSTDEP/);
}, 90_000);
