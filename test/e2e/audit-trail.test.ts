/**
 * The audit trail end to end: the client address recorded per the
 * trusted-proxy rules, tenant admins reading only their own tenant's events
 * (row-level security) and operators every tenant's, filters, opaque cursor
 * paging that is complete and stable while events keep arriving, NDJSON and
 * CSV exports that parse (and defuse spreadsheet formulas), and the retention
 * purge: only old rows go, one replica at a time, never through a plain DELETE.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditRetention } from '../../apps/api/src/tenants/audit-retention.js';
import { createEmulatorClient } from '../../tools/local-stack/cognito.js';
import { createLocalOperator, signInLocalOperator } from '../../tools/local-stack/seed.js';
import { rawClient, stackInfo } from '../support/database.js';
import { uniqueEmail, uniqueSuffix } from '../support/factories.js';
import { type HttpResponse, type World, buildWorld } from '../support/world.js';

let world: World;
let operatorToken: string;
const adminToken: Record<string, string> = {};
const DAY_MS = 86_400_000;

function expectProblem(response: HttpResponse, status: number, code: string): void {
  expect(response.status, response.text).toBe(status);
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(response.body.code).toBe(code);
}

/** A unique action prefix per test, so filters select exactly that test's rows. */
function prefix(): string {
  return `audit_test_${uniqueSuffix().replace(/[^a-z0-9]/g, '')}`;
}

async function seed(tenantId: string | null, action: string, count: number, extra: Record<string, unknown> = {}) {
  for (let index = 0; index < count; index += 1) {
    await world.privileged.auditEvent.create({
      data: { tenantId, actorType: 'system', action, outcome: index % 2 === 0 ? 'success' : 'failure', target: `thing:${index}`, details: { index }, ...extra },
    });
  }
}

/** Every item of a listing, following nextCursor. */
async function allPages(path: string, token: string, between?: () => Promise<void>): Promise<{ ids: string[]; pages: number }> {
  const ids: string[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const response = await world.call(`${path}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, { token });
    expect(response.status, response.text).toBe(200);
    ids.push(...response.body.items.map((item: { id: string }) => item.id));
    cursor = response.body.nextCursor;
    pages += 1;
    await between?.();
  } while (cursor);
  return { ids, pages };
}

beforeAll(async () => {
  // The API trusts loopback as a proxy, so a test can act as the load balancer and name the client.
  world = await buildWorld({ TRUSTED_PROXY_CIDRS: '127.0.0.1/32,::1/128', AUDIT_RETENTION_DAYS: '365' });
  for (const key of ['poolA', 'poolB'] as const) adminToken[world.tenants[key].id] = (await world.tokens(world.users[key].admin)).accessToken;
  const cognito = createEmulatorClient(world.stack.cognitoEndpoint, world.stack.region);
  const operators = world.stack.sharedPools['operators']!;
  const pool = { userPoolId: operators.userPoolId, clientId: operators.clientId! };
  const operator = await createLocalOperator(cognito, pool, { email: uniqueEmail('ops.test'), password: `Operator-${randomUUID()}` });
  operatorToken = (await signInLocalOperator(cognito, pool, operator)).accessToken;
  cognito.destroy();
}, 180_000);

afterAll(async () => {
  await world?.close();
});

describe('who and from where', () => {
  it('records the client address from X-Forwarded-For only through a trusted proxy', async () => {
    const tenant = world.tenants.poolA;
    const changed = await world.call('/v1/sign-up-policy', {
      method: 'PATCH',
      token: adminToken[tenant.id],
      headers: { 'x-forwarded-for': '198.51.100.23, 203.0.113.77' },
      body: { signUpDefaultRole: 'viewer' },
    });
    expect(changed.status, changed.text).toBe(200);
    const audit = await world.call('/v1/audit-events?action=tenant.sign_up_policy.change&limit=1', { token: adminToken[tenant.id] });
    // The right-most hop that is not a trusted proxy: the address the load balancer saw.
    expect(audit.body.items[0]).toMatchObject({ actorType: 'user', actorId: world.users.poolA.admin.userId, clientIp: '203.0.113.77' });
  });
});

describe('reading the audit log', () => {
  it("a tenant admin reads only their own tenant's events; members, viewers and strangers are refused", async () => {
    const action = prefix();
    await seed(world.tenants.poolA.id, `${action}.a`, 3);
    await seed(world.tenants.poolB.id, `${action}.b`, 2);
    await seed(null, `${action}.platform`, 1);
    const asA = await world.call(`/v1/audit-events?action=${action}.*`, { token: adminToken[world.tenants.poolA.id] });
    expect(asA.body.items.map((item: { action: string }) => item.action)).toEqual([`${action}.a`, `${action}.a`, `${action}.a`]);
    const exportA = await world.call(`/v1/audit-events/export?action=${action}.*`, { token: adminToken[world.tenants.poolA.id] });
    expect(exportA.text.trim().split('\n').map((line) => (JSON.parse(line) as { tenantId: string }).tenantId)).toEqual(Array(3).fill(world.tenants.poolA.id));
    // A tenant filter is not even accepted from a tenant admin.
    expectProblem(await world.call(`/v1/audit-events?tenantId=${world.tenants.poolB.id}`, { token: adminToken[world.tenants.poolA.id] }), 400, 'validation_failed');

    for (const role of ['member', 'viewer'] as const) {
      const token = (await world.tokens(world.users.poolA[role])).accessToken;
      expectProblem(await world.call('/v1/audit-events', { token }), 403, 'insufficient_role');
      expectProblem(await world.call('/v1/audit-events/export?format=csv', { token }), 403, 'insufficient_role');
    }
    expect((await world.call('/v1/audit-events/export')).status).toBe(401);
    expectProblem(await world.call('/v1/admin/audit-events/export', { token: adminToken[world.tenants.poolA.id] }), 403, 'insufficient_role');

    const asOperator = await world.call(`/v1/admin/audit-events?action=${action}.*`, { token: operatorToken });
    expect(asOperator.body.items).toHaveLength(6);
    const onlyB = await world.call(`/v1/admin/audit-events?action=${action}.*&tenantId=${world.tenants.poolB.id}&outcome=failure`, { token: operatorToken });
    expect(onlyB.body.items).toHaveLength(1);
    expect(onlyB.body.items[0]).toMatchObject({ tenantId: world.tenants.poolB.id, outcome: 'failure', target: 'thing:1' });
    const byTarget = await world.call(`/v1/admin/audit-events?action=${action}.*&target=thing:0`, { token: operatorToken });
    expect(byTarget.body.items).toHaveLength(3);
  });

  it('pages completely and stably while new events arrive, and refuses cursors it did not make', async () => {
    const action = prefix();
    const tenant = world.tenants.poolB;
    await seed(tenant.id, action, 11);
    const expected = (await world.privileged.auditEvent.findMany({ where: { action }, orderBy: { id: 'desc' } })).map((row) => row.id.toString());
    // Events written while paging are newer than the first page: they must not appear, and nothing may repeat or go missing.
    const { ids, pages } = await allPages(`/v1/audit-events?action=${action}&limit=4`, adminToken[tenant.id]!, () => seed(tenant.id, action, 1));
    expect(ids).toEqual(expected);
    expect(pages).toBe(3);

    for (const garbage of ['12', 'a1.', 'a1.%21%21', 'x'.repeat(41), 'a1.LTE']) {
      expectProblem(await world.call(`/v1/audit-events?cursor=${garbage}`, { token: adminToken[tenant.id] }), 400, 'validation_failed');
      expectProblem(await world.call(`/v1/admin/audit-events?cursor=${garbage}`, { token: operatorToken }), 400, 'validation_failed');
    }
  });
});

describe('exporting the audit log', () => {
  it('streams NDJSON and CSV that parse, with every matching event and formula cells defused', async () => {
    const action = prefix();
    const tenant = world.tenants.poolA;
    await seed(tenant.id, action, 3);
    await seed(tenant.id, action, 1, { target: '=HYPERLINK("http://evil.test","x")', details: { note: '+cmd, "quoted"' } });

    const ndjson = await world.call(`/v1/admin/audit-events/export?format=ndjson&action=${action}&tenantId=${tenant.id}`, { token: operatorToken });
    expect(ndjson.status).toBe(200);
    expect(ndjson.headers['content-type']).toMatch(/^application\/x-ndjson/);
    const events = ndjson.text.trim().split('\n').map((line) => JSON.parse(line) as { id: string; target: string });
    expect(events).toHaveLength(4);
    expect(events[0]!.target).toBe('=HYPERLINK("http://evil.test","x")');

    const csv = await world.call(`/v1/audit-events/export?format=csv&action=${action}`, { token: adminToken[tenant.id] });
    expect(csv.status).toBe(200);
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    expect(csv.headers['content-disposition']).toMatch(/attachment; filename="audit-events\.csv"/);
    const rows = parseCsv(csv.text);
    expect(rows[0]).toEqual(['id', 'createdAt', 'tenantId', 'actorType', 'actorId', 'action', 'target', 'outcome', 'clientIp', 'requestId', 'details']);
    expect(rows.slice(1).map((row) => row[0])).toEqual(events.map((event) => event.id));
    expect(rows[1]![6]).toBe(`'=HYPERLINK("http://evil.test","x")`);
    expect(JSON.parse(rows[1]![10]!)).toEqual({ note: '+cmd, "quoted"' });
    expectProblem(await world.call('/v1/audit-events/export?format=xlsx', { token: adminToken[tenant.id] }), 400, 'validation_failed');
  });
});

describe('retention', () => {
  it('purges only events older than the retention, in batches, never while another replica holds the purge', async () => {
    const action = prefix();
    const tenant = world.tenants.poolA;
    const now = Date.now();
    await seed(tenant.id, `${action}.old`, 3, { createdAt: new Date(now - 400 * DAY_MS) });
    await seed(tenant.id, `${action}.recent`, 2, { createdAt: new Date(now - 300 * DAY_MS) });
    await seed(tenant.id, `${action}.today`, 1);
    const count = (suffix: string) => world.privileged.auditEvent.count({ where: { action: `${action}.${suffix}` } });

    // Another replica is purging (holds the lock): this one does nothing.
    const other = await rawClient(stackInfo().databaseUrls.privileged);
    try {
      await other.query('BEGIN');
      await other.query('SELECT pg_advisory_xact_lock($1)', [0x6761_7564_6974]);
      expect(await world.api.app.get(AuditRetention).purge()).toEqual({ removed: 0, ran: false });
      await other.query('ROLLBACK');
    } finally {
      await other.end();
    }
    expect(await count('old')).toBe(3);

    const run = await world.api.app.get(AuditRetention).purge();
    expect(run.ran).toBe(true);
    expect(run.removed).toBeGreaterThanOrEqual(3);
    expect(await count('old')).toBe(0);
    expect(await count('recent')).toBe(2);
    expect(await count('today')).toBe(1);
  });

  it('leaves no other way to remove audit events: no DELETE for the API roles, and the purge refuses anything younger than a day', async () => {
    const privileged = await rawClient(stackInfo().databaseUrls.privileged);
    try {
      await expect(privileged.query(`DELETE FROM audit_events WHERE created_at < now() - interval '400 days'`)).rejects.toThrow(/permission denied/);
      await expect(privileged.query(`SELECT purge_audit_events(now(), 10)`)).rejects.toThrow(/younger than one day/);
    } finally {
      await privileged.end();
    }
    const app = await rawClient();
    try {
      await expect(app.query(`SELECT purge_audit_events(now() - interval '400 days', 10)`)).rejects.toThrow(/permission denied/);
    } finally {
      await app.end();
    }
  });
});

/** RFC 4180 reader (quotes, doubled quotes, CRLF), written here so the test does not trust the writer's code. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let index = 0; index < text.length; index += 1) {
    const char = text[index]!;
    if (quoted) {
      if (char === '"' && text[index + 1] === '"') {
        cell += '"';
        index += 1;
      } else if (char === '"') quoted = false;
      else cell += char;
    } else if (char === '"') quoted = true;
    else if (char === ',') {
      row.push(cell);
      cell = '';
    } else if (char === '\r' && text[index + 1] === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      index += 1;
    } else cell += char;
  }
  if (cell !== '' || row.length > 0) rows.push([...row, cell]);
  return rows;
}
