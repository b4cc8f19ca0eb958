/**
 * Section 3: the whole request path. `GET /v1/projects?limit=20` with a real
 * emulator access token of each isolation model, loaded with autocannon (10
 * connections, loopback) against three targets, each in its own process
 * (server.ts): the API, the API without the row-level-security transaction
 * wrapper, and a minimal Fastify + node:crypto + pg baseline. All three stay
 * up and their rounds interleave; the median round per model is reported.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import pg from 'pg';
import { type BenchWorld, MODELS, type Model } from './bench-world.js';
import type { ServerMode, ServerSpec } from './server.js';
import { median, round } from './stats.js';

const CONNECTIONS = 10;
const WARMUP_SECONDS = 3;
const ROUND_SECONDS = 3;
const ROUNDS = 3;
const TX_PROBE_REQUESTS = 2_000;
/** A backend reports its counters to pg_stat_database when idle, at the latest ~10 s later. */
const STATS_SETTLE_MS = 11_000;

export interface TargetModelFigures {
  readonly rps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly roundsRps: number[];
  readonly non2xx: number;
  readonly errors: number;
}

export interface TargetFigures {
  readonly mode: ServerMode;
  readonly models: Record<Model, TargetModelFigures>;
  /** Median over models of the median rounds. */
  readonly rps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Committed Postgres transactions per request (pg_stat_database), measured over a fixed number of requests. */
  readonly transactionsPerRequest?: number;
}

export interface FullPathResults {
  readonly connections: number;
  readonly roundSeconds: number;
  readonly rounds: number;
  readonly path: string;
  readonly targets: Record<ServerMode, TargetFigures>;
  readonly ratios: {
    readonly apiVsBaselineRps: number;
    readonly apiNoRlsVsBaselineRps: number;
    readonly apiVsApiNoRlsRps: number;
    readonly perModelApiVsBaselineRps: Record<Model, number>;
  };
}

const PATH = '/v1/projects?limit=20';

interface RunningServer {
  readonly baseUrl: string;
  stop(): Promise<void>;
}

function startServer(spec: ServerSpec): Promise<RunningServer> {
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
      if (!match) return;
      clearTimeout(timer);
      resolve({
        baseUrl: `http://127.0.0.1:${match[1]}`,
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

function load(url: string, token: string, options: { duration?: number; amount?: number }): Promise<autocannon.Result> {
  return autocannon({
    url,
    connections: CONNECTIONS,
    ...(options.amount ? { amount: options.amount } : { duration: options.duration ?? ROUND_SECONDS }),
    headers: { authorization: `Bearer ${token}` },
  });
}

async function assertServes(baseUrl: string, token: string, mode: ServerMode): Promise<void> {
  const response = await fetch(`${baseUrl}${PATH}`, { headers: { authorization: `Bearer ${token}` } });
  const body = (await response.json()) as { items?: unknown[] };
  if (response.status !== 200 || body.items?.length !== 20) {
    throw new Error(`${mode}: GET ${PATH} answered ${response.status} with ${JSON.stringify(body).slice(0, 200)}`);
  }
}

async function committedTransactions(admin: pg.Client, database: string): Promise<number> {
  const { rows } = await admin.query<{ n: string }>('SELECT xact_commit + xact_rollback AS n FROM pg_stat_database WHERE datname = $1', [database]);
  return Number(rows[0]?.n ?? 0);
}

async function transactionsPerRequest(world: BenchWorld, baseUrl: string, token: string): Promise<number> {
  const admin = new pg.Client({ connectionString: world.adminDatabaseUrl });
  await admin.connect();
  try {
    const settle = () => new Promise((resolve) => setTimeout(resolve, STATS_SETTLE_MS));
    await settle();
    const before = await committedTransactions(admin, world.stack.database);
    const result = await load(`${baseUrl}${PATH}`, token, { amount: TX_PROBE_REQUESTS });
    await settle();
    const after = await committedTransactions(admin, world.stack.database);
    // Our own two reads of pg_stat_database are transactions too.
    return round((after - before - 1) / result['2xx'], 2);
  } finally {
    await admin.end();
  }
}

function summarise(mode: ServerMode, results: Record<Model, autocannon.Result[]>): TargetFigures {
  const models = Object.fromEntries(
    MODELS.map((model) => {
      const rounds = results[model];
      const rps = rounds.map((result) => result.requests.average);
      const middle = [...rounds].sort((a, b) => a.requests.average - b.requests.average)[Math.floor(rounds.length / 2)]!;
      return [
        model,
        {
          rps: round(median(rps)),
          p50Ms: middle.latency.p50,
          p99Ms: middle.latency.p99,
          roundsRps: rps.map((value) => round(value)),
          non2xx: rounds.reduce((sum, result) => sum + result.non2xx, 0),
          errors: rounds.reduce((sum, result) => sum + result.errors, 0),
        } satisfies TargetModelFigures,
      ];
    }),
  ) as Record<Model, TargetModelFigures>;
  for (const model of MODELS) {
    if (models[model].non2xx > 0 || models[model].errors > 0) {
      throw new Error(`${mode}/${model}: ${models[model].non2xx} non-2xx responses, ${models[model].errors} errors`);
    }
  }
  return {
    mode,
    models,
    rps: round(median(MODELS.map((model) => models[model].rps))),
    p50Ms: median(MODELS.map((model) => models[model].p50Ms)),
    p99Ms: median(MODELS.map((model) => models[model].p99Ms)),
  };
}

export async function runFullPathBench(world: BenchWorld, log: (line: string) => void): Promise<FullPathResults> {
  const clients: Record<string, string[]> = {};
  for (const model of MODELS) {
    const { issuer, clientId } = world.tenants[model];
    (clients[issuer] ??= []).push(clientId);
  }
  const tenantBySubject = Object.fromEntries(MODELS.map((model) => [world.tenants[model].sub, world.tenants[model].id]));
  const base = { stack: world.stack, adminDatabaseUrl: world.adminDatabaseUrl, clients, tenantBySubject };
  const modes = ['baseline', 'api', 'api-no-rls'] as const;
  // All three targets stay up; rounds interleave them (round r: pool on each target, bridge on each, silo on each),
  // so background load on the machine falls on every target alike and the ratios stay fair.
  const servers = {} as Record<ServerMode, RunningServer>;
  const targets = {} as Record<ServerMode, TargetFigures>;
  try {
    for (const mode of modes) servers[mode] = await startServer({ mode, ...base });
    for (const mode of modes) {
      for (const model of MODELS) await assertServes(servers[mode].baseUrl, world.tenants[model].accessToken, mode);
      for (const model of MODELS) {
        await load(`${servers[mode].baseUrl}${PATH}`, world.tenants[model].accessToken, { duration: WARMUP_SECONDS / MODELS.length });
      }
    }
    const results = Object.fromEntries(
      modes.map((mode) => [mode, Object.fromEntries(MODELS.map((model) => [model, [] as autocannon.Result[]]))]),
    ) as Record<ServerMode, Record<Model, autocannon.Result[]>>;
    for (let index = 0; index < ROUNDS; index += 1) {
      for (const model of MODELS) {
        // Rotate the order of targets each round so none is always first after a pause.
        for (let offset = 0; offset < modes.length; offset += 1) {
          const mode = modes[(index + offset) % modes.length]!;
          results[mode][model].push(await load(`${servers[mode].baseUrl}${PATH}`, world.tenants[model].accessToken, { duration: ROUND_SECONDS }));
        }
      }
    }
    for (const mode of modes) {
      const figures = summarise(mode, results[mode]);
      targets[mode] =
        mode === 'api'
          ? { ...figures, transactionsPerRequest: await transactionsPerRequest(world, servers[mode].baseUrl, world.tenants.pool.accessToken) }
          : figures;
      log(
        `full path ${mode}: ${figures.rps} req/s, p50 ${figures.p50Ms} ms, p99 ${figures.p99Ms} ms ` +
          `(${MODELS.map((model) => `${model} ${figures.models[model].rps}`).join(', ')})` +
          (targets[mode].transactionsPerRequest !== undefined ? `, ${targets[mode].transactionsPerRequest} transactions/request` : ''),
      );
    }
  } finally {
    for (const server of Object.values(servers)) await server.stop();
  }
  return {
    connections: CONNECTIONS,
    roundSeconds: ROUND_SECONDS,
    rounds: ROUNDS,
    path: PATH,
    targets,
    ratios: {
      apiVsBaselineRps: round(targets.api.rps / targets.baseline.rps, 2),
      apiNoRlsVsBaselineRps: round(targets['api-no-rls'].rps / targets.baseline.rps, 2),
      apiVsApiNoRlsRps: round(targets.api.rps / targets['api-no-rls'].rps, 2),
      perModelApiVsBaselineRps: Object.fromEntries(
        MODELS.map((model) => [model, round(targets.api.models[model].rps / targets.baseline.models[model].rps, 2)]),
      ) as Record<Model, number>,
    },
  };
}
