/**
 * `npm run bench -- --only=soak`: the API (its own process, as `npm start` runs
 * it) under a steady mixed load for 60 s at 70 % of the throughput measured
 * just before with the same mix, reporting errors, p50/p99 and the API's
 * resident memory for every 10 s window. A leak shows as RSS that keeps
 * growing window after window; a slow degradation as p99 that creeps up.
 *
 * The mix, cycled by every connection: project lists with each isolation
 * model's token, a list with a token never seen before (full signature
 * verification, no cache hit), `GET /v1/me`, and a project write.
 */
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import autocannon from 'autocannon';
import type { BenchWorld } from './bench-world.js';
import { startServer } from './full-path.js';
import { round } from './stats.js';

const CONNECTIONS = 10;
const WARMUP_SECONDS = 3;
const CALIBRATION_SECONDS = 5;
const SOAK_SECONDS = 60;
const WINDOW_SECONDS = 10;
const LOAD_FRACTION = 0.7;

export interface SoakWindow {
  readonly fromSecond: number;
  readonly requests: number;
  readonly rps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly errors: number;
  readonly non2xx: number;
  readonly rssMiB: number;
}

export interface SoakResults {
  readonly connections: number;
  readonly measuredMaxRps: number;
  readonly targetRps: number;
  readonly seconds: number;
  readonly mix: readonly string[];
  readonly windows: readonly SoakWindow[];
  readonly totalErrors: number;
  readonly totalNon2xx: number;
  readonly rssStartMiB: number;
  readonly rssEndMiB: number;
  readonly rssGrowthMiB: number;
}

/** Resident set size of a process in MiB (Linux /proc). */
async function rssMiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kib = Number(/^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1] ?? Number.NaN);
  return round(kib / 1024, 1);
}

function mixedRequests(world: BenchWorld): { mix: string[]; requests: autocannon.Request[] } {
  // No content type on GETs: Fastify refuses an empty body declared as JSON (400).
  const auth = (token: string) => ({ authorization: `Bearer ${token}` });
  const requests: autocannon.Request[] = [
    { method: 'GET', path: '/v1/projects?limit=20', headers: auth(world.tenants.pool.accessToken) },
    { method: 'GET', path: '/v1/projects?limit=20', headers: auth(world.tenants.bridge.accessToken) },
    { method: 'GET', path: '/v1/projects?limit=20', headers: auth(world.tenants.silo.accessToken) },
    {
      method: 'GET',
      path: '/v1/projects?limit=20',
      // A token this API has never seen: the verifier's cache cannot answer it.
      setupRequest: (request) => ({ ...request, headers: auth(world.mint('bridge')) }),
    },
    { method: 'GET', path: '/v1/me', headers: auth(world.tenants.silo.accessToken) },
    {
      method: 'POST',
      path: '/v1/projects',
      // Unique names: project names are unique per tenant, and autocannon may build a request more than once.
      setupRequest: (request) => {
        const headers = { ...auth(world.tenants.pool.accessToken), 'content-type': 'application/json' };
        return { ...request, headers, body: JSON.stringify({ name: `soak ${randomUUID()}` }) };
      },
    },
  ];
  const mix = ['GET /v1/projects (pool)', 'GET /v1/projects (bridge)', 'GET /v1/projects (silo)', 'GET /v1/projects (new token)', 'GET /v1/me', 'POST /v1/projects'];
  return { mix, requests };
}

function load(baseUrl: string, requests: autocannon.Request[], seconds: number, overallRate?: number): Promise<autocannon.Result> {
  return autocannon({ url: baseUrl, connections: CONNECTIONS, duration: seconds, requests, ...(overallRate ? { overallRate } : {}) });
}

export async function runSoakBench(world: BenchWorld, log: (line: string) => void): Promise<SoakResults> {
  const api = await startServer({ mode: 'api', stack: world.stack, adminDatabaseUrl: world.adminDatabaseUrl, clients: {}, tenantBySubject: {}, userBySubject: {} });
  try {
    const { mix, requests } = mixedRequests(world);
    await load(api.baseUrl, requests, WARMUP_SECONDS);
    const calibration = await load(api.baseUrl, requests, CALIBRATION_SECONDS);
    if (calibration.errors > 0 || calibration.non2xx > 0) {
      throw new Error(`calibration: ${calibration.non2xx} non-2xx responses, ${calibration.errors} errors`);
    }
    const measuredMaxRps = round(calibration.requests.average);
    const targetRps = Math.max(1, Math.round(measuredMaxRps * LOAD_FRACTION));
    log(`soak: max ${measuredMaxRps} req/s with the mix, soaking at ${targetRps} req/s for ${SOAK_SECONDS} s`);

    const rssStartMiB = await rssMiB(api.pid);
    const windows: SoakWindow[] = [];
    for (let from = 0; from < SOAK_SECONDS; from += WINDOW_SECONDS) {
      const result = await load(api.baseUrl, requests, WINDOW_SECONDS, targetRps);
      const window: SoakWindow = {
        fromSecond: from,
        requests: result.requests.total,
        rps: round(result.requests.average),
        p50Ms: result.latency.p50,
        p99Ms: result.latency.p99,
        errors: result.errors,
        non2xx: result.non2xx,
        rssMiB: await rssMiB(api.pid),
      };
      windows.push(window);
      log(`soak ${from}-${from + WINDOW_SECONDS} s: ${window.rps} req/s, p50 ${window.p50Ms} ms, p99 ${window.p99Ms} ms, ${window.errors} errors, ${window.non2xx} non-2xx, RSS ${window.rssMiB} MiB`);
    }
    const rssEndMiB = windows.at(-1)?.rssMiB ?? rssStartMiB;
    return {
      connections: CONNECTIONS,
      measuredMaxRps,
      targetRps,
      seconds: SOAK_SECONDS,
      mix,
      windows,
      totalErrors: windows.reduce((sum, window) => sum + window.errors, 0),
      totalNon2xx: windows.reduce((sum, window) => sum + window.non2xx, 0),
      rssStartMiB,
      rssEndMiB,
      rssGrowthMiB: round(rssEndMiB - rssStartMiB, 1),
    };
  } finally {
    await api.stop();
  }
}

export function renderSoak(soak: SoakResults | { readonly error: string } | undefined): string[] {
  if (!soak) return [];
  const lines = ['## Soak', ''];
  if ('error' in soak) return [...lines, soak.error, ''];
  lines.push(
    `${soak.seconds} s at ${soak.targetRps} req/s (70 % of the ${soak.measuredMaxRps} req/s measured with the same mix), ${soak.connections} connections. Mix: ${soak.mix.join(', ')}.`,
    '',
    '| seconds | req/s | p50 ms | p99 ms | errors | non-2xx | API RSS MiB |',
    '|---|---|---|---|---|---|---|',
    ...soak.windows.map((w) => `| ${w.fromSecond}–${w.fromSecond + 10} | ${w.rps} | ${w.p50Ms} | ${w.p99Ms} | ${w.errors} | ${w.non2xx} | ${w.rssMiB} |`),
    '',
    `Errors ${soak.totalErrors}, non-2xx ${soak.totalNon2xx}; RSS ${soak.rssStartMiB} → ${soak.rssEndMiB} MiB (${soak.rssGrowthMiB >= 0 ? '+' : ''}${soak.rssGrowthMiB} MiB).`,
    '',
  );
  return lines;
}
