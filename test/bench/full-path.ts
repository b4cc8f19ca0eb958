/**
 * Section 3: the whole request path, loaded with autocannon (10 connections,
 * loopback) against two targets, each in its own process (server.ts): the API
 * and a minimal Fastify + node:crypto + pg baseline that queries by tenant
 * without row-level security. Both stay up and their rounds interleave, so
 * background load falls on both alike; the ratios are what counts.
 *
 * - read: `GET /v1/projects?limit=20` with a real emulator access token of
 *   each isolation model (pool, bridge, silo) in turn, and mixed: every
 *   connection cycles through the three models' tokens request by request;
 * - write: `POST /v1/projects` (a unique name per request), the models' tokens
 *   taking turns round by round;
 * - at two scales at once: the 3 bench tenants' database, and a clone of it
 *   grown to 10,000 tenants and 100,000 project rows — four targets (API and
 *   baseline on each), every round visiting all four, so the scale comparison
 *   is taken side by side under the same background load.
 *
 * Ratios are paired: each round's API load is divided by the baseline's load of
 * the same kind in the same round (seconds apart), and the median of those
 * per-round ratios is the figure. On a shared 2-core machine the absolute rates
 * swing by 2× from one round to the next; a ratio of two medians taken minutes
 * apart carried that swing into the result, a per-round ratio does not.
 *
 * CPU per request is measured too, for each target and load: the target
 * process's and all Postgres processes' CPU time (from /proc) over the
 * requests it served — the cost that decides throughput once the machine is
 * full, and much steadier than a rate.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import pg from 'pg';
import { DATABASE_ROLES, localDatabaseUrls } from '../../tools/db/database-urls.js';
import { dropDatabase } from '../../tools/db/bootstrap.js';
import { type BenchWorld, MODELS, type Model, adminUrlFor } from './bench-world.js';
import type { ServerMode, ServerSpec } from './server.js';
import { median, round } from './stats.js';

const CONNECTIONS = 10;
const WARMUP_SECONDS = 3;
const ROUND_SECONDS = 2;
const ROUNDS = 5;
const TX_PROBE_REQUESTS = 1_000;
/** A backend reports its counters to pg_stat_database when idle, at the latest ~10 s later. */
const STATS_SETTLE_MS = 11_000;
const SCALE_TENANTS = 10_000;
const SCALE_PROJECTS = 100_000;
const MODES: readonly ServerMode[] = ['baseline', 'api'];

export interface LoadFigures {
  readonly rps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly roundsRps: number[];
  /** CPU time per request served (median of the rounds), µs: the target's process, and Postgres (all its processes). */
  readonly cpuMicrosPerRequest: { readonly server: number; readonly postgres: number };
}

export interface TargetFigures {
  readonly mode: ServerMode;
  readonly read: LoadFigures & { readonly models: Record<Model, LoadFigures> };
  /** Pool, bridge and silo tokens interleaved on every connection. */
  readonly mixedRead: LoadFigures;
  readonly write: LoadFigures;
}

export interface PhaseResults {
  readonly tenants: number;
  readonly projectRows: number;
  readonly targets: Record<ServerMode, TargetFigures>;
  /** Paired per-round ratios (API round / baseline round, same kind of load, same round), medians. */
  readonly ratios: {
    readonly readRps: number;
    readonly readP99: number;
    readonly mixedReadRps: number;
    readonly mixedReadP99: number;
    readonly writeRps: number;
    readonly writeP99: number;
    readonly perModelReadRps: Record<Model, number>;
  };
  /** Committed (or rolled back) Postgres transactions per API request, over a fixed number of requests. */
  readonly apiTransactionsPerRequest?: { readonly read: number; readonly write: number };
}

export interface FullPathResults {
  readonly connections: number;
  readonly roundSeconds: number;
  readonly rounds: number;
  readonly readPath: string;
  readonly writePath: string;
  /** Both data sets' targets ran side by side, their rounds interleaved. */
  readonly interleaved: boolean;
  readonly phases: PhaseResults[];
  /** API/baseline read req/s at 10,000 tenants over the same at 3 tenants. */
  readonly flatness: number;
}

const READ_PATH = '/v1/projects?limit=20';
const WRITE_PATH = '/v1/projects';

export interface RunningServer {
  readonly baseUrl: string;
  /** The server process (the soak reads its RSS). */
  readonly pid: number;
  stop(): Promise<void>;
}

/** Starts a bench server (the API or the baseline) in its own process; resolves when it prints READY. */
export function startServer(spec: ServerSpec): Promise<RunningServer> {
  const entry = fileURLToPath(new URL('./server.js', import.meta.url));
  // BENCH_PROFILE_DIR=<dir> writes a V8 CPU profile of each target (for finding hot spots, not for figures).
  const profile = process.env['BENCH_PROFILE_DIR'] ? ['--cpu-prof', `--cpu-prof-dir=${process.env['BENCH_PROFILE_DIR']}`] : [];
  const child: ChildProcess = spawn(process.execPath, [...profile, entry], {
    env: { ...process.env, BENCH_SERVER: JSON.stringify(spec) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${spec.mode} server did not start in 60 s`));
    }, 60_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${spec.mode} server exited with ${String(code)} before it was ready`));
    });
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const match = /^READY (\d+)$/.exec(line);
      if (!match || child.pid === undefined) return;
      clearTimeout(timer);
      resolve({
        baseUrl: `http://127.0.0.1:${match[1]}`,
        pid: child.pid,
        async stop() {
          child.kill('SIGTERM');
          const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
          await exited;
          clearTimeout(killer);
        },
      });
    });
  });
}

type Load = { kind: 'read' } | { kind: 'write' } | { kind: 'mixed-read'; readonly tokens: readonly string[] };

function load(baseUrl: string, token: string, what: Load, options: { duration?: number; amount?: number }): Promise<autocannon.Result> {
  if (what.kind === 'mixed-read') {
    // autocannon sends a connection's requests in this order, round and round: each request another model's token.
    return autocannon({
      url: `${baseUrl}${READ_PATH}`,
      connections: CONNECTIONS,
      ...(options.amount ? { amount: options.amount } : { duration: options.duration ?? ROUND_SECONDS }),
      requests: what.tokens.map((mixed) => ({ method: 'GET', path: READ_PATH, headers: { authorization: `Bearer ${mixed}` } })),
    });
  }
  return autocannon({
    url: `${baseUrl}${what.kind === 'read' ? READ_PATH : WRITE_PATH}`,
    connections: CONNECTIONS,
    ...(options.amount ? { amount: options.amount } : { duration: options.duration ?? ROUND_SECONDS }),
    headers: { authorization: `Bearer ${token}`, ...(what.kind === 'write' ? { 'content-type': 'application/json' } : {}) },
    // A new name per request (autocannon's idReplacement breaks Content-Length, so the body is built per request).
    ...(what.kind === 'write'
      ? {
          requests: [
            {
              method: 'POST',
              setupRequest: (request: Record<string, unknown>) => ({
                ...request,
                body: JSON.stringify({ name: `bench ${randomUUID()}`, description: 'written by the benchmark' }),
              }),
            },
          ],
        }
      : {}),
  });
}

/** Clock ticks of CPU (user + system) a process has used; 0 when it is gone. */
function processTicks(pid: number | string): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return 0;
  }
}

/** CPU ticks of every Postgres process on this machine (the benchmark's databases are the only busy ones). */
function postgresTicks(): number {
  let total = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === 'postgres') total += processTicks(entry);
    } catch {
      // the process ended meanwhile
    }
  }
  return total;
}

/** Linux reports CPU time in clock ticks of 10 ms (USER_HZ = 100). */
const MICROS_PER_TICK = 10_000;

interface MeasuredLoad {
  readonly result: autocannon.Result;
  readonly serverMicrosPerRequest: number;
  readonly postgresMicrosPerRequest: number;
}

async function measuredLoad(server: RunningServer, token: string, what: Load): Promise<MeasuredLoad> {
  const serverBefore = processTicks(server.pid);
  const postgresBefore = postgresTicks();
  const result = await load(server.baseUrl, token, what, {});
  const served = Math.max(result.requests.total, 1);
  return {
    result,
    serverMicrosPerRequest: ((processTicks(server.pid) - serverBefore) * MICROS_PER_TICK) / served,
    postgresMicrosPerRequest: ((postgresTicks() - postgresBefore) * MICROS_PER_TICK) / served,
  };
}

async function assertServes(baseUrl: string, token: string, mode: ServerMode): Promise<void> {
  const response = await fetch(`${baseUrl}${READ_PATH}`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(15_000) });
  const body = (await response.json()) as { items?: unknown[] };
  if (response.status !== 200 || body.items?.length !== 20) {
    throw new Error(`${mode}: GET ${READ_PATH} answered ${response.status} with ${JSON.stringify(body).slice(0, 200)}`);
  }
  const created = await fetch(`${baseUrl}${WRITE_PATH}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: `probe ${Math.random()}` }),
    signal: AbortSignal.timeout(15_000),
  });
  if (created.status !== 201) throw new Error(`${mode}: POST ${WRITE_PATH} answered ${created.status}: ${(await created.text()).slice(0, 200)}`);
}

async function committedTransactions(admin: pg.Client, database: string): Promise<number> {
  const { rows } = await admin.query<{ n: string }>('SELECT xact_commit + xact_rollback AS n FROM pg_stat_database WHERE datname = $1', [database]);
  return Number(rows[0]?.n ?? 0);
}

async function transactionsPerRequest(dataSet: DataSet, baseUrl: string, token: string, what: Load): Promise<number> {
  const admin = new pg.Client({ connectionString: dataSet.adminDatabaseUrl });
  await admin.connect();
  try {
    const settle = () => new Promise((resolve) => setTimeout(resolve, STATS_SETTLE_MS));
    await settle();
    const before = await committedTransactions(admin, dataSet.stack.database);
    const result = await load(baseUrl, token, what, { amount: TX_PROBE_REQUESTS });
    await settle();
    const after = await committedTransactions(admin, dataSet.stack.database);
    // Our own two reads of pg_stat_database are transactions too.
    return round((after - before - 1) / result['2xx'], 2);
  } finally {
    await admin.end();
  }
}

function figures(loads: MeasuredLoad[], label: string): LoadFigures {
  const results = loads.map((measured) => measured.result);
  for (const result of results) {
    if (result.non2xx > 0 || result.errors > 0) throw new Error(`${label}: ${result.non2xx} non-2xx responses, ${result.errors} errors`);
  }
  const rps = results.map((result) => result.requests.average);
  const middle = [...results].sort((a, b) => a.requests.average - b.requests.average)[Math.floor(results.length / 2)]!;
  return {
    rps: round(median(rps)),
    p50Ms: middle.latency.p50,
    p99Ms: middle.latency.p99,
    roundsRps: rps.map((value) => round(value)),
    cpuMicrosPerRequest: {
      server: round(median(loads.map((measured) => measured.serverMicrosPerRequest))),
      postgres: round(median(loads.map((measured) => measured.postgresMicrosPerRequest))),
    },
  };
}

/** Median of the per-round ratios of two targets' loads of one kind (round i of one over round i of the other). */
function pairedRatio(api: readonly MeasuredLoad[], baseline: readonly MeasuredLoad[], measure: (result: autocannon.Result) => number): number {
  return round(median(api.map((measured, index) => measure(measured.result) / Math.max(measure(baseline[index]!.result), 1e-9))), 2);
}

const requestRate = (result: autocannon.Result) => result.requests.average;
/** p99 latency, at least 1 ms (autocannon reports whole milliseconds; 0 would make a ratio meaningless). */
const p99Latency = (result: autocannon.Result) => Math.max(result.latency.p99, 1);

function summarise(
  mode: ServerMode,
  reads: Record<Model, MeasuredLoad[]>,
  mixedReads: MeasuredLoad[],
  writes: MeasuredLoad[],
): TargetFigures {
  const models = Object.fromEntries(MODELS.map((model) => [model, figures(reads[model], `${mode}/read/${model}`)])) as Record<Model, LoadFigures>;
  return {
    mode,
    read: {
      models,
      rps: round(median(MODELS.map((model) => models[model].rps))),
      p50Ms: median(MODELS.map((model) => models[model].p50Ms)),
      p99Ms: median(MODELS.map((model) => models[model].p99Ms)),
      roundsRps: MODELS.flatMap((model) => models[model].roundsRps),
      cpuMicrosPerRequest: {
        server: median(MODELS.map((model) => models[model].cpuMicrosPerRequest.server)),
        postgres: median(MODELS.map((model) => models[model].cpuMicrosPerRequest.postgres)),
      },
    },
    mixedRead: figures(mixedReads, `${mode}/mixed-read`),
    write: figures(writes, `${mode}/write`),
  };
}

/** One data set the targets serve: the bench world's database, or its 10,000-tenant clone. */
interface DataSet {
  readonly label: 'small' | 'scale';
  readonly stack: BenchWorld['stack'];
  readonly adminDatabaseUrl: string;
}

interface Target {
  readonly dataSet: DataSet;
  readonly mode: ServerMode;
  readonly server: RunningServer;
}

async function tableCounts(adminDatabaseUrl: string): Promise<{ tenants: number; projects: number }> {
  const admin = new pg.Client({ connectionString: adminDatabaseUrl });
  await admin.connect();
  try {
    const { rows } = await admin.query<{ tenants: number; projects: number }>(
      'SELECT (SELECT count(*)::int FROM tenants) AS tenants, (SELECT count(*)::int FROM projects) AS projects',
    );
    return rows[0]!;
  } finally {
    await admin.end();
  }
}

/**
 * Both data sets at once: the API and the baseline on the 3-tenant database and on
 * its 10,000-tenant clone, four processes, every round visiting all four in turn
 * (the order rotating). Background load on this shared machine then falls on all four
 * alike, so "10,000 vs 3 tenants" compares figures taken side by side, not minutes apart.
 */
async function runInterleaved(world: BenchWorld, dataSets: readonly DataSet[], log: (line: string) => void): Promise<PhaseResults[]> {
  const clients: Record<string, string[]> = {};
  for (const model of MODELS) {
    const { issuer, clientId } = world.tenants[model];
    (clients[issuer] ??= []).push(clientId);
  }
  const tenantBySubject = Object.fromEntries(MODELS.map((model) => [world.tenants[model].sub, world.tenants[model].id]));
  const userBySubject = Object.fromEntries(MODELS.map((model) => [world.tenants[model].sub, world.tenants[model].userId]));
  const counts = new Map<DataSet, { tenants: number; projects: number }>();
  for (const dataSet of dataSets) counts.set(dataSet, await tableCounts(dataSet.adminDatabaseUrl));
  const targets: Target[] = [];
  try {
    for (const dataSet of dataSets) {
      for (const mode of MODES) {
        const server = await startServer({ mode, stack: dataSet.stack, adminDatabaseUrl: dataSet.adminDatabaseUrl, clients, tenantBySubject, userBySubject });
        targets.push({ dataSet, mode, server });
      }
    }
    log(`targets up: ${dataSets.map((dataSet) => `${counts.get(dataSet)!.tenants} tenants / ${counts.get(dataSet)!.projects} projects`).join(' and ')}, API and baseline on each`);
    for (const { server, mode } of targets) {
      for (const model of MODELS) await assertServes(server.baseUrl, world.tenants[model].accessToken, mode);
      for (const model of MODELS) await load(server.baseUrl, world.tenants[model].accessToken, { kind: 'read' }, { duration: WARMUP_SECONDS / MODELS.length });
      await load(server.baseUrl, world.tenants.pool.accessToken, { kind: 'write' }, { duration: 1 });
    }
    const reads = new Map(targets.map((target) => [target, Object.fromEntries(MODELS.map((model) => [model, [] as MeasuredLoad[]])) as Record<Model, MeasuredLoad[]>]));
    const mixedReads = new Map(targets.map((target) => [target, [] as MeasuredLoad[]]));
    const writes = new Map(targets.map((target) => [target, [] as MeasuredLoad[]]));
    const mixed: Load = { kind: 'mixed-read', tokens: MODELS.map((model) => world.tenants[model].accessToken) };
    for (let index = 0; index < ROUNDS; index += 1) {
      // Rotate the order of targets each round so none is always first after a pause.
      const order = targets.map((_, offset) => targets[(index + offset) % targets.length]!);
      for (const model of MODELS) {
        for (const target of order) reads.get(target)![model].push(await measuredLoad(target.server, world.tenants[model].accessToken, { kind: 'read' }));
      }
      for (const target of order) mixedReads.get(target)!.push(await measuredLoad(target.server, '', mixed));
      const writer = world.tenants[MODELS[index % MODELS.length]!].accessToken;
      for (const target of order) writes.get(target)!.push(await measuredLoad(target.server, writer, { kind: 'write' }));
    }
    const phases: PhaseResults[] = [];
    for (const dataSet of dataSets) {
      const targetOf = (mode: ServerMode) => targets.find((candidate) => candidate.dataSet === dataSet && candidate.mode === mode)!;
      const figuresOf = (mode: ServerMode) => summarise(mode, reads.get(targetOf(mode))!, mixedReads.get(targetOf(mode))!, writes.get(targetOf(mode))!);
      const api = figuresOf('api');
      const baseline = figuresOf('baseline');
      const apiReads = reads.get(targetOf('api'))!;
      const baselineReads = reads.get(targetOf('baseline'))!;
      const allApiReads = MODELS.flatMap((model) => apiReads[model]);
      const allBaselineReads = MODELS.flatMap((model) => baselineReads[model]);
      const apiMixed = mixedReads.get(targetOf('api'))!;
      const baselineMixed = mixedReads.get(targetOf('baseline'))!;
      const apiWrites = writes.get(targetOf('api'))!;
      const baselineWrites = writes.get(targetOf('baseline'))!;
      const probeTarget = dataSet.label === 'small' ? targets.find((target) => target.dataSet === dataSet && target.mode === 'api') : undefined;
      // Transactions per request: on the 3-tenant database only (pg_stat_database counts per database; nothing else writes there meanwhile).
      const apiTransactionsPerRequest = probeTarget
        ? {
            read: await transactionsPerRequest(dataSet, probeTarget.server.baseUrl, world.tenants.pool.accessToken, { kind: 'read' }),
            write: await transactionsPerRequest(dataSet, probeTarget.server.baseUrl, world.tenants.pool.accessToken, { kind: 'write' }),
          }
        : undefined;
      const { tenants, projects } = counts.get(dataSet)!;
      const phase: PhaseResults = {
        tenants,
        projectRows: projects,
        targets: { api, baseline },
        ratios: {
          readRps: pairedRatio(allApiReads, allBaselineReads, requestRate),
          readP99: pairedRatio(allApiReads, allBaselineReads, p99Latency),
          mixedReadRps: pairedRatio(apiMixed, baselineMixed, requestRate),
          mixedReadP99: pairedRatio(apiMixed, baselineMixed, p99Latency),
          writeRps: pairedRatio(apiWrites, baselineWrites, requestRate),
          writeP99: pairedRatio(apiWrites, baselineWrites, p99Latency),
          perModelReadRps: Object.fromEntries(MODELS.map((model) => [model, pairedRatio(apiReads[model], baselineReads[model], requestRate)])) as Record<Model, number>,
        },
        ...(apiTransactionsPerRequest ? { apiTransactionsPerRequest } : {}),
      };
      log(
        `full path @ ${phase.tenants} tenants, ${phase.projectRows} projects: read API ${api.read.rps} req/s (p99 ${api.read.p99Ms} ms) vs baseline ${baseline.read.rps} (p99 ${baseline.read.p99Ms} ms) ×${phase.ratios.readRps}; ` +
          `mixed read API ${api.mixedRead.rps} vs baseline ${baseline.mixedRead.rps} ×${phase.ratios.mixedReadRps}; ` +
          `write API ${api.write.rps} vs baseline ${baseline.write.rps} ×${phase.ratios.writeRps}` +
          (apiTransactionsPerRequest ? `; transactions/request read ${apiTransactionsPerRequest.read}, write ${apiTransactionsPerRequest.write}` : ''),
      );
      phases.push(phase);
    }
    return phases;
  } finally {
    for (const { server } of targets) await server.stop();
  }
}

/**
 * Tenants up to 10,000 (a third each silo, bridge, pool; each with one user)
 * and 100,000 project rows spread over them, in a few set-based statements.
 * Triggers are off for the bulk insert (session_replication_role = replica,
 * superuser only): the targets are down, and restart with the new registry.
 */
async function growTo(dataSet: DataSet): Promise<void> {
  const admin = new pg.Client({ connectionString: dataSet.adminDatabaseUrl });
  await admin.connect();
  const standard = dataSet.stack.sharedPools['standard']!;
  const basic = dataSet.stack.sharedPools['basic']!;
  try {
    const existing = await admin.query<{ n: number }>('SELECT count(*)::int AS n FROM tenants');
    const add = SCALE_TENANTS - existing.rows[0]!.n;
    await admin.query('BEGIN');
    await admin.query('SET LOCAL session_replication_role = replica');
    await admin.query(
      `INSERT INTO tenants (id, slug, name, tier, isolation_model, status, region, user_pool_id, issuer)
       SELECT gen_random_uuid(), 'scale-' || n, 'Scale tenant ' || n,
              (ARRAY['premium', 'standard', 'basic'])[n % 3 + 1],
              (ARRAY['silo', 'bridge', 'pool'])[n % 3 + 1]::isolation_model,
              'active', 'us-east-1',
              CASE n % 3 WHEN 0 THEN 'us-east-1_Scale' || n WHEN 1 THEN $2 ELSE $3 END,
              CASE n % 3 WHEN 0 THEN $1 || '/us-east-1_Scale' || n ELSE NULL END
       FROM generate_series(1, $4::int) AS n`,
      [dataSet.stack.cognitoEndpoint, standard.userPoolId, basic.userPoolId, add],
    );
    await admin.query(
      `INSERT INTO tenant_app_clients (id, tenant_id, client_id, user_pool_id, issuer)
       SELECT gen_random_uuid(), id, 'scale-client-' || slug, user_pool_id, CASE isolation_model WHEN 'silo' THEN issuer ELSE $1 END
       FROM tenants WHERE slug LIKE 'scale-%' AND isolation_model IN ('silo', 'bridge')`,
      [standard.issuer],
    );
    await admin.query(
      `INSERT INTO users (id, tenant_id, email, username, issuer, sub, status, role, email_verified)
       SELECT gen_random_uuid(), t.id, 'owner@' || t.slug || '.bench.test', 'owner-' || t.slug,
              COALESCE(t.issuer, $1), gen_random_uuid()::text, 'active', 'admin', true
       FROM tenants t WHERE t.slug LIKE 'scale-%'`,
      [basic.issuer],
    );
    const existingProjects = await admin.query<{ n: number }>('SELECT count(*)::int AS n FROM projects');
    await admin.query(
      `INSERT INTO projects (id, tenant_id, owner_id, name, description, created_at, updated_at)
       SELECT gen_random_uuid(), u.tenant_id, u.id, 'Scale project ' || g, 'Benchmark project ' || g,
              now() - make_interval(secs => g), now() - make_interval(secs => g)
       FROM (SELECT id, tenant_id, row_number() OVER (ORDER BY id) AS r FROM users WHERE email LIKE 'owner@scale-%') u
       JOIN generate_series(1, $1::int) AS g ON g % $2::int = u.r - 1`,
      [SCALE_PROJECTS - existingProjects.rows[0]!.n, add],
    );
    await admin.query('COMMIT');
    await admin.query('ANALYZE tenants, tenant_app_clients, users, projects');
  } catch (error) {
    await admin.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    await admin.end();
  }
}

/**
 * A copy of the bench database (CREATE DATABASE … TEMPLATE), with the same roles'
 * access, to grow to 10,000 tenants while the original keeps its 3. Retries while a
 * connection to the original is still closing (a template must have none).
 */
async function cloneDatabase(world: BenchWorld): Promise<DataSet & { drop(): Promise<void> }> {
  const database = `${world.stack.database}_scale`;
  const admin = new pg.Client({ connectionString: world.stack.adminUrl });
  await admin.connect();
  try {
    for (let attempt = 1; ; attempt += 1) {
      try {
        await admin.query(`CREATE DATABASE "${database}" TEMPLATE "${world.stack.database}" OWNER "${DATABASE_ROLES.owner}"`);
        break;
      } catch (error) {
        if (attempt >= 20 || !/being accessed by other users/.test(String((error as Error).message))) throw error;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
    await admin.query(`GRANT CONNECT ON DATABASE "${database}" TO "${DATABASE_ROLES.app}", "${DATABASE_ROLES.privileged}"`);
  } finally {
    await admin.end();
  }
  const stack = { ...world.stack, database, databaseUrls: localDatabaseUrls(world.stack.adminUrl, database) };
  return { label: 'scale', stack, adminDatabaseUrl: adminUrlFor(stack), drop: () => dropDatabase(world.stack.adminUrl, database) };
}

export async function runFullPathBench(world: BenchWorld, log: (line: string) => void): Promise<FullPathResults> {
  const small: DataSet = { label: 'small', stack: world.stack, adminDatabaseUrl: world.adminDatabaseUrl };
  const started = Date.now();
  const scale = await cloneDatabase(world);
  try {
    await growTo(scale);
    log(`cloned the bench database and grew the clone to ${SCALE_TENANTS} tenants and ${SCALE_PROJECTS} projects in ${Math.round((Date.now() - started) / 1000)} s`);
    const [smallPhase, scalePhase] = (await runInterleaved(world, [small, scale], log)) as [PhaseResults, PhaseResults];
    return {
      connections: CONNECTIONS,
      roundSeconds: ROUND_SECONDS,
      rounds: ROUNDS,
      readPath: READ_PATH,
      writePath: WRITE_PATH,
      interleaved: true,
      phases: [smallPhase, scalePhase],
      flatness: round(scalePhase.ratios.readRps / smallPhase.ratios.readRps, 2),
    };
  } finally {
    await scale.drop();
  }
}
