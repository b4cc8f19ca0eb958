/**
 * Sections 1 and 2: token verification per core, and how it scales with the
 * number of tenants in the trusted-issuer registry.
 *
 * "API" is the real guard of a real Nest application (createApp + init, no
 * listening socket): AccessGuard.canActivate on a request for
 * `GET /v1/projects` — bearer parsing, the issuer registry and key store, the
 * signature and claim checks, principal resolution (tenant, user, roles, route
 * hint) and the request context, exactly what every request runs.
 *
 * "raw" is the least a verifier can do with node:crypto on the same tokens:
 * split, base64url-decode, JSON.parse, crypto.verify with a cached KeyObject,
 * check alg, exp, iss and client_id.
 */
import { type KeyObject, createPublicKey, randomUUID, verify as cryptoVerify } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { ModuleRef } from '@nestjs/core';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host.js';
import pg from 'pg';
import pino from 'pino';
import { createApp } from '../../apps/api/src/app.factory.js';
import { AccessGuard } from '../../apps/api/src/auth/access.guard.js';
import { AuthModule } from '../../apps/api/src/auth/auth.module.js';
import type { TenantSnapshot } from '../../apps/api/src/auth/issuer-registry.js';
import { TokenVerifier } from '../../apps/api/src/auth/token-verifier.js';
import { TrustedIssuersService } from '../../apps/api/src/auth/trusted-issuers.service.js';
import { loadConfig } from '../../apps/api/src/config/config.schema.js';
import { ProjectsController } from '../../apps/api/src/projects/projects.controller.js';
import { requestContext } from '../../apps/api/src/tenancy/request-context.js';
import { apiEnvironment } from '../../tools/local-stack/stack.js';
import { type BenchWorld, MODELS, type Model } from './bench-world.js';
import { gc, heapUsed, measureRounds, median, round } from './stats.js';

export interface VerificationFigures {
  /** Never-seen tokens: every one needs a signature check. */
  readonly firstSeen: { api: number; raw: number; ratio: number; apiRounds: number[]; rawRounds: number[] };
  /** The same few tokens again and again (a client's token across its requests). */
  readonly seenAgain: { api: number; raw: number; ratio: number; apiRounds: number[]; rawRounds: number[] };
}

export interface ScalePoint {
  readonly syntheticTenants: number;
  readonly registeredTenants: number;
  readonly registeredIssuers: number;
  readonly figures: VerificationFigures;
}

export interface VerificationResults {
  readonly unit: string;
  readonly rounds: number;
  readonly firstSeenTokensPerRound: number;
  /** Passes over those tokens per round, the API's verified-token memory cleared before each. */
  readonly firstSeenPassesPerRound?: number;
  readonly seenAgainVerificationsPerRound: number;
  readonly scale: ScalePoint[];
  readonly flatness: { firstSeen: number; seenAgain: number };
  readonly registryMemory: {
    readonly tenantsAdded: number;
    readonly bytesPerTenant: number;
    readonly retainedAfterRemovalBytes: number;
  };
  readonly databaseReload: DatabaseReload | { readonly error: string };
}

export interface DatabaseReload {
  readonly tenantRows: number;
  readonly bulkInsertMs: number;
  readonly reloadAllMs: number;
  readonly reloadAllRoundsMs: number[];
  readonly registeredTenantsAfterReload: number;
  readonly bytesPerTenant: number;
}

/** The 3 bench tenants alone, then with 10,000 more (the two points; 1,000 in between added time, not insight). */
const SCALES = [0, 10_000];
const ROUNDS = 7;
const FIRST_SEEN_PER_ROUND = 2_000;
/**
 * Each round's never-seen tokens are verified in 5 passes, the API's verified-token memory
 * cleared before each (TokenVerifier.forgetTokens: the tokens are never-seen again): 10,000
 * first-seen verifications a side per round without minting 10,000 tokens (an RSA signature
 * each). With 2,000 a round, single rounds' ratios spread from 0.63 to 1.11.
 */
const FIRST_SEEN_PASSES = 5;
const SEEN_AGAIN_PER_ROUND = 30_000;

/**
 * One token as each side is handed it: the raw verifier gets the token, the API the
 * Authorization header as Node's HTTP parser gives it — one flat string. (A header built
 * with a template literal per call is a rope, and the guard's first look at it would pay
 * for flattening 1-2 KB that no real request makes it pay.)
 */
interface Presented {
  readonly token: string;
  readonly authorization: string;
}

const present = (token: string): Presented => ({ token, authorization: Buffer.from(`Bearer ${token}`, 'latin1').toString('latin1') });

type Verifier = (presented: Presented) => unknown;

/** The guard of the application, as a function of one bearer token. */
async function apiVerifier(app: NestFastifyApplication, expected: Map<string, string>): Promise<Verifier> {
  const guard = await app.select(AuthModule).get(ModuleRef, { strict: true }).create(AccessGuard);
  const handler = ProjectsController.prototype.list as (...args: unknown[]) => unknown;
  const reply = {};
  // As the server runs it: the guard inside the request's context, answering synchronously when it can
  // (a promise only when a key or a user row must be fetched). No async wrapper of the bench's own,
  // whose promises would be counted as the guard's.
  const check = ({ authorization }: Presented): string | undefined | Promise<string | undefined> => {
    const request = { headers: { authorization, host: '127.0.0.1' }, hostname: '127.0.0.1' };
    const store: { requestId: string; auth?: { tenantId: string } } = { requestId: 'bench' };
    const admitted = requestContext.run(store as never, () => guard.canActivate(new ExecutionContextHost([request, reply], ProjectsController, handler)));
    return admitted instanceof Promise ? admitted.then(() => store.auth?.tenantId) : store.auth?.tenantId;
  };
  // Every model's token must come out as its own tenant before anything is timed.
  for (const [token, tenantId] of expected) {
    const resolved = await check(present(token));
    if (resolved !== tenantId) throw new Error(`the API resolved a bench token to ${String(resolved)}, expected ${tenantId}`);
  }
  return check;
}

async function emulatorKeys(world: BenchWorld): Promise<Map<string, KeyObject>> {
  const response = await fetch(`${world.tenants.pool.issuer}/.well-known/jwks.json`);
  const jwks = (await response.json()) as { keys: (Record<string, unknown> & { kid: string })[] };
  return new Map(jwks.keys.map((jwk) => [jwk.kid, createPublicKey({ key: jwk as never, format: 'jwk' })]));
}

/** The node:crypto floor: what any RS256 verifier must do at least. */
export function rawVerifier(keys: Map<string, KeyObject>, clientsByIssuer: Map<string, Set<string>>): (token: string) => unknown {
  return (token: string) => {
    const first = token.indexOf('.');
    const second = token.indexOf('.', first + 1);
    const header = JSON.parse(Buffer.from(token.slice(0, first), 'base64url').toString('utf8')) as { alg?: string; kid?: string };
    const payload = JSON.parse(Buffer.from(token.slice(first + 1, second), 'base64url').toString('utf8')) as Record<string, unknown>;
    if (header.alg !== 'RS256') throw new Error('alg');
    const key = keys.get(header.kid ?? '');
    if (!key) throw new Error('kid');
    const valid = cryptoVerify('sha256', Buffer.from(token.slice(0, second)), key, Buffer.from(token.slice(second + 1), 'base64url'));
    if (!valid) throw new Error('signature');
    if (typeof payload['exp'] !== 'number' || payload['exp'] * 1000 <= Date.now()) throw new Error('exp');
    if (!clientsByIssuer.get(payload['iss'] as string)?.has(payload['client_id'] as string)) throw new Error('iss/client_id');
    return payload;
  };
}

/**
 * Verifications per second of CPU time of this process (user + system): a rate
 * per core that other processes on the machine cannot dilute by taking the CPU.
 */
async function rateOfVerifier(tokens: readonly Presented[], verify: Verifier): Promise<number> {
  const started = process.cpuUsage();
  for (const token of tokens) await verify(token);
  const used = process.cpuUsage(started);
  return (tokens.length / (used.user + used.system)) * 1e6;
}

const CHUNK = 50;

/**
 * The API and raw verifiers over the same tokens, interleaved in chunks of
 * 100 (alternating which goes first), CPU time summed per side: both see the
 * same machine conditions, so their ratio is steady even when the machine's
 * speed is not.
 */
async function pairedRates(
  tokens: readonly Presented[],
  api: Verifier,
  raw: Verifier,
  passes = { count: 1, before: () => {} },
): Promise<{ api: number; raw: number }> {
  let apiMicros = 0;
  let rawMicros = 0;
  for (let pass = 0; pass < passes.count; pass += 1) {
    passes.before(); // untimed
    const used = await pairedMicros(tokens, api, raw);
    apiMicros += used.api;
    rawMicros += used.raw;
  }
  const verified = tokens.length * passes.count;
  return { api: (verified / apiMicros) * 1e6, raw: (verified / rawMicros) * 1e6 };
}

/** CPU microseconds each side spent on `tokens`, interleaved chunk by chunk. */
async function pairedMicros(tokens: readonly Presented[], api: Verifier, raw: Verifier): Promise<{ api: number; raw: number }> {
  let apiMicros = 0;
  let rawMicros = 0;
  const timed = async (chunk: readonly Presented[], verify: Verifier) => {
    const started = process.cpuUsage();
    for (const token of chunk) await verify(token);
    const used = process.cpuUsage(started);
    return used.user + used.system;
  };
  for (let offset = 0, index = 0; offset < tokens.length; offset += CHUNK, index += 1) {
    const chunk = tokens.slice(offset, offset + CHUNK);
    if (index % 2 === 0) {
      apiMicros += await timed(chunk, api);
      rawMicros += await timed(chunk, raw);
    } else {
      rawMicros += await timed(chunk, raw);
      apiMicros += await timed(chunk, api);
    }
  }
  return { api: apiMicros, raw: rawMicros };
}

function mintBatch(world: BenchWorld, count: number): Presented[] {
  return Array.from({ length: count }, (_, index) => present(world.mint(MODELS[index % MODELS.length] as Model)));
}

/**
 * BENCH_PROFILE_DIR=<dir>: a V8 CPU profile of the guard alone on 2,000 never-seen
 * tokens (after the warm-up), written as guard-first-seen-<tenants>.cpuprofile —
 * how the guard's own overhead was found. Not timed, not part of any figure.
 */
async function profileGuard(world: BenchWorld, api: Verifier, label: string): Promise<void> {
  const directory = process.env['BENCH_PROFILE_DIR'];
  if (!directory) return;
  const tokens = mintBatch(world, FIRST_SEEN_PER_ROUND);
  const session = new Session();
  session.connect();
  try {
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 100 });
    await session.post('Profiler.start');
    for (const token of tokens) await api(token);
    const { profile } = await session.post('Profiler.stop');
    await writeFile(join(directory, `guard-first-seen-${label}.cpuprofile`), JSON.stringify(profile));
  } finally {
    session.disconnect();
  }
}

async function measureFigures(
  world: BenchWorld,
  api: Verifier,
  raw: Verifier,
  warmup: boolean,
  forgetTokens: () => void,
): Promise<VerificationFigures> {
  const apiFirst: number[] = [];
  const rawFirst: number[] = [];
  const apiAgain: number[] = [];
  const rawAgain: number[] = [];
  const known = MODELS.map((model) => present(world.tenants[model].accessToken));
  const again = Array.from({ length: SEEN_AGAIN_PER_ROUND }, (_, index) => known[index % known.length]!);
  if (warmup) {
    const tokens = mintBatch(world, FIRST_SEEN_PER_ROUND);
    await rateOfVerifier(tokens, api);
    await rateOfVerifier(tokens, raw);
    await rateOfVerifier(again, api);
    await rateOfVerifier(again, raw);
  }
  await measureRounds(ROUNDS, async () => {
    const tokens = mintBatch(world, FIRST_SEEN_PER_ROUND);
    // A full collection before each round (untimed): garbage left by the previous round, the other
    // registry size's application or the minting must not be collected inside one side's chunks.
    gc();
    const first = await pairedRates(tokens, api, raw, { count: FIRST_SEEN_PASSES, before: forgetTokens });
    apiFirst.push(first.api);
    rawFirst.push(first.raw);
    // The known tokens back in the cache (two sightings each) before they are measured as seen again.
    for (const token of [...known, ...known]) await api(token);
    const repeat = await pairedRates(again, api, raw);
    apiAgain.push(repeat.api);
    rawAgain.push(repeat.raw);
    return 0;
  });
  const summary = (apiRates: number[], rawRates: number[]) => {
    const apiMedian = median(apiRates);
    const rawMedian = median(rawRates);
    return {
      api: round(apiMedian),
      raw: round(rawMedian),
      // Median of the per-round ratios: each round's two rates were measured side by side.
      ratio: round(median(apiRates.map((rate, index) => rate / rawRates[index]!)), 2),
      apiRounds: apiRates.map((rate) => round(rate)),
      rawRounds: rawRates.map((rate) => round(rate)),
    };
  };
  return { firstSeen: summary(apiFirst, rawFirst), seenAgain: summary(apiAgain, rawAgain) };
}

/** Synthetic tenants in the registry: a third silo (own issuer + client), a third bridge (client in the shared pool), a third pool. */
function syntheticSnapshot(world: BenchWorld, index: number): TenantSnapshot {
  const standard = world.stack.sharedPools['standard']!;
  const kind = (['silo', 'bridge', 'pool'] as const)[index % 3]!;
  const id = randomUUID();
  const siloPool = `us-east-1_Bench${index.toString(36)}`;
  const siloIssuer = `${world.stack.cognitoEndpoint}/${siloPool}`;
  return {
    id,
    slug: `synthetic-${index}`,
    name: `Synthetic tenant ${index}`,
    tier: kind === 'silo' ? 'premium' : kind === 'bridge' ? 'standard' : 'basic',
    model: kind,
    status: 'active',
    region: 'us-east-1',
    userPoolId: kind === 'silo' ? siloPool : kind === 'bridge' ? standard.userPoolId : world.stack.sharedPools['basic']!.userPoolId,
    issuer: kind === 'silo' ? siloIssuer : null,
    hosts: [],
    emailDomains: [],
    mfaPolicy: 'optional',
    appClients:
      kind === 'silo'
        ? [{ clientId: `silo-client-${index}`, issuer: siloIssuer, userPoolId: siloPool }]
        : kind === 'bridge'
          ? [{ clientId: `bridge-client-${index}`, issuer: standard.issuer, userPoolId: standard.userPoolId }]
          : [],
    identityProviders: [],
  };
}

async function startApp(world: BenchWorld): Promise<NestFastifyApplication> {
  const config = loadConfig(apiEnvironment(world.stack, { LOG_LEVEL: 'silent' }));
  const app = await createApp(config, { logger: pino({ level: 'silent' }) });
  await app.init();
  return app;
}

/**
 * Each registry size gets a fresh application (empty caches), so the sizes
 * differ only in the registry: same warm-up, same rounds, same tokens per round.
 */
async function measureAtScale(world: BenchWorld, syntheticTenants: number, raw: Verifier): Promise<ScalePoint> {
  const app = await startApp(world);
  try {
    const registry = app.get(TrustedIssuersService).registry;
    for (let index = 0; index < syntheticTenants; index += 1) {
      const snapshot = syntheticSnapshot(world, index);
      registry.upsertTenant(snapshot.id, snapshot);
    }
    const expected = new Map(MODELS.map((model) => [world.tenants[model].accessToken, world.tenants[model].id]));
    for (const model of MODELS) expected.set(world.mint(model), world.tenants[model].id);
    const api = await apiVerifier(app, expected);
    const verifier = app.get(TokenVerifier);
    const figures = await measureFigures(world, api, raw, true, () => verifier.forgetTokens());
    await profileGuard(world, api, String(registry.size.tenants));
    return { syntheticTenants, registeredTenants: registry.size.tenants, registeredIssuers: registry.size.issuers, figures };
  } finally {
    await app.close();
  }
}

export async function runVerificationBench(world: BenchWorld, log: (line: string) => void): Promise<VerificationResults> {
  const clientsByIssuer = new Map<string, Set<string>>();
  for (const model of MODELS) {
    const { issuer, clientId } = world.tenants[model];
    clientsByIssuer.set(issuer, (clientsByIssuer.get(issuer) ?? new Set()).add(clientId));
  }
  const rawOfToken = rawVerifier(await emulatorKeys(world), clientsByIssuer);
  for (const model of MODELS) rawOfToken(world.tenants[model].accessToken);
  const raw: Verifier = ({ token }) => rawOfToken(token);

  const scale: ScalePoint[] = [];
  for (const target of SCALES) {
    const point = await measureAtScale(world, target, raw);
    scale.push(point);
    const { figures } = point;
    log(
      `verification @ ${point.registeredTenants} tenants: first-seen API ${figures.firstSeen.api}/s vs raw ${figures.firstSeen.raw}/s (×${figures.firstSeen.ratio}); ` +
        `seen-again API ${figures.seenAgain.api}/s vs raw ${figures.seenAgain.raw}/s (×${figures.seenAgain.ratio})`,
    );
  }
  const first = scale[0]!.figures;
  const last = scale.at(-1)!.figures;
  // API rate at the largest registry over the smallest, each normalised by the raw rate measured beside it
  // (raw verification does not depend on the registry, so this removes drift in the machine's speed).
  const flatness = {
    firstSeen: round(last.firstSeen.ratio / first.firstSeen.ratio, 2),
    seenAgain: round(last.seenAgain.ratio / first.seenAgain.ratio, 2),
  };

  const app = await startApp(world);
  try {
    const issuers = app.get(TrustedIssuersService);
    const registry = issuers.registry;
    // Memory held by the registry per tenant: 10,000 snapshots in, then out again.
    const before = heapUsed();
    const memoryIds = (() => {
      const ids: string[] = [];
      for (let index = 0; index < 10_000; index += 1) {
        const snapshot = syntheticSnapshot(world, 1_000_000 + index);
        registry.upsertTenant(snapshot.id, snapshot);
        ids.push(snapshot.id);
      }
      return ids;
    })();
    const filled = heapUsed();
    for (const id of memoryIds) registry.upsertTenant(id, null);
    memoryIds.length = 0;
    const emptied = heapUsed();
    const registryMemory = {
      tenantsAdded: 10_000,
      bytesPerTenant: round((filled - before) / 10_000),
      retainedAfterRemovalBytes: Math.max(0, emptied - before),
    };
    log(`registry memory: ${registryMemory.bytesPerTenant} bytes per tenant`);

    const databaseReload = await measureDatabaseReload(world, issuers).catch((error: unknown) => ({ error: String(error) }));
    if ('error' in databaseReload) log(`database reload: ${databaseReload.error}`);
    else log(`reloadAll() with ${databaseReload.registeredTenantsAfterReload} tenants from Postgres: ${databaseReload.reloadAllMs} ms`);

    return {
      unit: `verifications per second of CPU time (serial on one event loop, process user+system CPU; API and raw interleaved in chunks of ${CHUNK} tokens)`,
      rounds: ROUNDS,
      firstSeenTokensPerRound: FIRST_SEEN_PER_ROUND,
      firstSeenPassesPerRound: FIRST_SEEN_PASSES,
      seenAgainVerificationsPerRound: SEEN_AGAIN_PER_ROUND,
      scale,
      flatness,
      registryMemory,
      databaseReload,
    };
  } finally {
    await app.close();
  }
}

const DB_TENANTS = 10_000;

/**
 * 10,000 tenant rows (a third silo with their own issuer and client, a third
 * bridge with a client in the shared pool, a third pool) inserted in one
 * statement per table, then `reloadAll()` timed. Triggers are off for the bulk
 * insert (session_replication_role = replica, superuser only) so the running
 * application is not woken 10,000 times; the rows are removed the same way.
 */
async function measureDatabaseReload(world: BenchWorld, issuers: TrustedIssuersService): Promise<DatabaseReload> {
  const admin = new pg.Client({ connectionString: world.adminDatabaseUrl });
  await admin.connect();
  const standard = world.stack.sharedPools['standard']!;
  const basic = world.stack.sharedPools['basic']!;
  try {
    const insertStarted = performance.now();
    await admin.query('BEGIN');
    await admin.query('SET LOCAL session_replication_role = replica');
    await admin.query(
      `INSERT INTO tenants (id, slug, name, tier, isolation_model, status, region, user_pool_id, issuer)
       SELECT gen_random_uuid(), 'dbsynthetic-' || n, 'Synthetic tenant ' || n,
              (ARRAY['premium', 'standard', 'basic'])[n % 3 + 1],
              (ARRAY['silo', 'bridge', 'pool'])[n % 3 + 1]::isolation_model,
              'active', 'us-east-1',
              CASE n % 3 WHEN 0 THEN 'us-east-1_Db' || n WHEN 1 THEN $2 ELSE $3 END,
              CASE n % 3 WHEN 0 THEN $1 || '/us-east-1_Db' || n ELSE NULL END
       FROM generate_series(1, $4::int) AS n`,
      [world.stack.cognitoEndpoint, standard.userPoolId, basic.userPoolId, DB_TENANTS],
    );
    await admin.query(
      `INSERT INTO tenant_app_clients (id, tenant_id, client_id, user_pool_id, issuer)
       SELECT gen_random_uuid(), id, 'db-client-' || slug,
              user_pool_id, CASE isolation_model WHEN 'silo' THEN issuer ELSE $1 END
       FROM tenants WHERE slug LIKE 'dbsynthetic-%' AND isolation_model IN ('silo', 'bridge')`,
      [standard.issuer],
    );
    await admin.query('COMMIT');
    const bulkInsertMs = performance.now() - insertStarted;

    const before = heapUsed();
    const rounds: number[] = [];
    for (let index = 0; index < 3; index += 1) {
      const started = performance.now();
      await issuers.reloadAll();
      rounds.push(performance.now() - started);
    }
    const after = heapUsed();
    const registeredTenantsAfterReload = issuers.registry.size.tenants;

    await admin.query('BEGIN');
    await admin.query('SET LOCAL session_replication_role = replica');
    await admin.query(`DELETE FROM tenant_app_clients WHERE tenant_id IN (SELECT id FROM tenants WHERE slug LIKE 'dbsynthetic-%')`);
    await admin.query(`DELETE FROM tenants WHERE slug LIKE 'dbsynthetic-%'`);
    await admin.query('COMMIT');
    await issuers.reloadAll();
    return {
      tenantRows: DB_TENANTS,
      bulkInsertMs: round(bulkInsertMs),
      reloadAllMs: round(median(rounds)),
      reloadAllRoundsMs: rounds.map((value) => round(value)),
      registeredTenantsAfterReload,
      bytesPerTenant: round((after - before) / DB_TENANTS),
    };
  } catch (error) {
    await admin.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    await admin.end();
  }
}
