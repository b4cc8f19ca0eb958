/**
 * Section 4: tenant provisioning against the Cognito emulator, through the
 * operators' API a person uses: a platform operator (operators' pool,
 * password + TOTP) POSTs /v1/admin/tenants and the tenant is provisioned by
 * the persisted state machine; we poll GET /v1/admin/tenants/{id} until it is
 * `active`. Reported: time per tenant for each model (tenants created one
 * after another) and the throughput of 50 tenants created at once.
 *
 * The provisioning service is built separately. This section runs only when
 * the build contains it; otherwise it records that it is not available. It
 * never invents figures.
 */
import { existsSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { createApp } from '../../apps/api/src/app.factory.js';
import { loadConfig } from '../../apps/api/src/config/config.schema.js';
import { createEmulatorClient } from '../../tools/local-stack/cognito.js';
import { apiEnvironment } from '../../tools/local-stack/stack.js';
import type { BenchWorld, Model } from './bench-world.js';
import { median, round } from './stats.js';

export interface ProvisioningModelFigures {
  readonly tier: string;
  readonly tenants: number;
  /** POST → `active`, median and each. */
  readonly medianMs: number;
  readonly eachMs: number[];
}

export type ProvisioningResults =
  | { readonly available: false; readonly note: string }
  | {
      readonly available: true;
      readonly note: string;
      readonly pollIntervalMs: number;
      readonly perModel: Record<Model, ProvisioningModelFigures>;
      readonly concurrent: {
        readonly tenants: number;
        readonly tiers: string;
        readonly wallMs: number;
        readonly tenantsPerSecond: number;
        readonly medianMs: number;
        readonly p99Ms: number;
        readonly failed: number;
        /** Of those: ended `failed`, or still not active after the timeout. */
        readonly failedStatus: number;
        readonly timedOut: number;
        readonly timeoutMs: number;
        /** 503s (database saturated, Retry-After) answered to the 50 clients, each retried after the time asked. */
        readonly retried503: number;
      };
    };

/** Where the build puts the provisioning service (the issue named tenants/provisioning.service.js; it landed one folder down). */
export const PROVISIONING_MODULES = ['../../apps/api/src/tenants/provisioning/provisioning.service.js', '../../apps/api/src/tenants/provisioning.service.js'].map(
  (path) => fileURLToPath(new URL(path, import.meta.url)),
);
const TENANTS_CONTROLLER = fileURLToPath(new URL('../../apps/api/src/tenants/tenants.controller.js', import.meta.url));

const SEQUENTIAL_PER_MODEL = 3;
const CONCURRENT = 50;
const POLL_MS = 20;
const TIMEOUT_MS = 60_000;
const TIERS: Record<Model, string> = { pool: 'basic', bridge: 'standard', silo: 'premium' };

interface ApiResponse<Body> {
  readonly status: number;
  readonly retryAfterSeconds: number;
  readonly body: Body & Record<string, unknown>;
}

interface Api {
  post(path: string, body: unknown): Promise<ApiResponse<{ id?: string; status?: string }>>;
  get(path: string): Promise<ApiResponse<{ status?: string }>>;
}

/**
 * One tenant, POST → `active`. A 503 (the API saying the database is saturated, with
 * Retry-After) is retried as a client would, after the time it asks for, and counted.
 */
async function provisionOne(api: Api, tier: string): Promise<{ ms: number; ok: boolean; outcome: 'active' | 'failed' | 'timeout'; retries: number }> {
  const slug = `bench-${tier}-${randomUUID().slice(0, 8)}`;
  const started = performance.now();
  let retries = 0;
  const wait = (seconds: number) => new Promise((resolve) => setTimeout(resolve, Math.max(POLL_MS, seconds * 1000)));
  let created = await api.post('/v1/admin/tenants', { name: `Bench ${slug}`, slug, tier, firstAdminEmail: `admin@${slug}.bench.test` });
  while (created.status === 503 && performance.now() - started < TIMEOUT_MS) {
    retries += 1;
    await wait(created.retryAfterSeconds);
    created = await api.post('/v1/admin/tenants', { name: `Bench ${slug}`, slug, tier, firstAdminEmail: `admin@${slug}.bench.test` });
  }
  if (created.status !== 202 || !created.body.id) throw new Error(`POST /v1/admin/tenants answered ${created.status}: ${JSON.stringify(created.body).slice(0, 300)}`);
  for (;;) {
    const tenant = await api.get(`/v1/admin/tenants/${created.body.id}`);
    if (tenant.status === 503) retries += 1;
    if (tenant.body.status === 'active') return { ms: performance.now() - started, ok: true, outcome: 'active', retries };
    if (tenant.body.status === 'failed') return { ms: performance.now() - started, ok: false, outcome: 'failed', retries };
    if (performance.now() - started > TIMEOUT_MS) return { ms: performance.now() - started, ok: false, outcome: 'timeout', retries };
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

export async function runProvisioningBench(world: BenchWorld, log: (line: string) => void): Promise<ProvisioningResults> {
  if (!PROVISIONING_MODULES.some((path) => existsSync(path)) || !existsSync(TENANTS_CONTROLLER)) {
    const note = 'provisioning: not available in this build';
    log(note);
    return { available: false, note };
  }
  // Imported only when present, so the benchmarks still run on a build without it.
  const { createLocalOperator, signInLocalOperator } = await import('../../tools/local-stack/seed.js');
  const app = await createApp(loadConfig(apiEnvironment(world.stack, { LOG_LEVEL: 'silent' })), { logger: pino({ level: 'silent' }) });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const cognito = createEmulatorClient(world.stack.cognitoEndpoint, world.stack.region);
  try {
    const address = app.getHttpServer().address();
    if (!address || typeof address === 'string') throw new Error('no TCP port');
    const baseUrl = `http://127.0.0.1:${address.port}`;
    const operatorsPool = world.stack.sharedPools['operators']!;
    const pool = { userPoolId: operatorsPool.userPoolId, clientId: operatorsPool.clientId! };
    const operator = await createLocalOperator(cognito, pool, { email: `ops-${randomUUID().slice(0, 8)}@bench.test`, password: `Operator-${randomUUID()}` });
    const { accessToken } = await signInLocalOperator(cognito, pool, operator);
    const headers = { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' };
    const api: Api = {
      async post(path, body) {
        const response = await fetch(`${baseUrl}${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
        return { status: response.status, retryAfterSeconds: Number(response.headers.get('retry-after') ?? 1) || 1, body: (await response.json()) as never };
      },
      async get(path) {
        const response = await fetch(`${baseUrl}${path}`, { headers });
        return { status: response.status, retryAfterSeconds: Number(response.headers.get('retry-after') ?? 1) || 1, body: (await response.json()) as never };
      },
    };

    const perModel = {} as Record<Model, ProvisioningModelFigures>;
    for (const model of ['pool', 'bridge', 'silo'] as const) {
      const each: number[] = [];
      for (let index = 0; index < SEQUENTIAL_PER_MODEL; index += 1) {
        const result = await provisionOne(api, TIERS[model]);
        if (!result.ok) throw new Error(`provisioning a ${TIERS[model]} tenant did not reach active in ${round(result.ms)} ms`);
        each.push(round(result.ms));
      }
      perModel[model] = { tier: TIERS[model], tenants: SEQUENTIAL_PER_MODEL, medianMs: round(median(each)), eachMs: each };
      log(`provisioning ${model} (${TIERS[model]}): median ${perModel[model].medianMs} ms per tenant (${each.join(', ')} ms)`);
    }

    const tiers = Array.from({ length: CONCURRENT }, (_, index) => Object.values(TIERS)[index % 3]!);
    const started = performance.now();
    const results = await Promise.all(tiers.map((tier) => provisionOne(api, tier)));
    const wallMs = performance.now() - started;
    const times = results.map((result) => result.ms).sort((a, b) => a - b);
    const concurrent = {
      tenants: CONCURRENT,
      tiers: 'basic, standard and premium in turn',
      wallMs: round(wallMs),
      tenantsPerSecond: round((results.filter((result) => result.ok).length / wallMs) * 1000, 1),
      medianMs: round(median(times)),
      p99Ms: round(times[Math.min(times.length - 1, Math.ceil(times.length * 0.99) - 1)]!),
      failed: results.filter((result) => !result.ok).length,
      failedStatus: results.filter((result) => result.outcome === 'failed').length,
      timedOut: results.filter((result) => result.outcome === 'timeout').length,
      timeoutMs: TIMEOUT_MS,
      retried503: results.reduce((sum, result) => sum + result.retries, 0),
    };
    log(
      `provisioning ${CONCURRENT} at once: ${concurrent.wallMs} ms, ${concurrent.tenantsPerSecond} tenants/s, ${concurrent.failed} failed (${concurrent.failedStatus} status failed, ${concurrent.timedOut} not active after ${TIMEOUT_MS / 1000} s), ${concurrent.retried503} 503s retried`,
    );
    return {
      available: true,
      note: `through POST /v1/admin/tenants as a platform operator, polled every ${POLL_MS} ms until active`,
      pollIntervalMs: POLL_MS,
      perModel,
      concurrent,
    };
  } finally {
    cognito.destroy();
    await app.close();
  }
}
