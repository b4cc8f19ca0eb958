/**
 * What a synchronous hook adds to sign-in: `POST /v1/auth/sign-in` through the
 * real API (in this process) against the Cognito emulator, for the pool
 * tenant's user, with and without a pre-authentication hook on a loopback
 * HTTP server that answers `allow` at once. The two conditions take turns
 * round by round (the hook row is switched on and off in Postgres, which the
 * API reads at every sign-in), so drift in the machine's load hits both alike.
 * The figure is the added milliseconds (median with − median without) and the
 * ratio of the medians; the hook call alone (signing, connect, answer,
 * validation) is measured too.
 */
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import pino from 'pino';
import { createApp } from '../../apps/api/src/app.factory.js';
import { loadConfig } from '../../apps/api/src/config/config.schema.js';
import { HookCaller } from '../../apps/api/src/events/hooks/hook-caller.js';
import { generateWebhookSecret } from '../../apps/api/src/events/standard-webhooks.js';
import { apiEnvironment } from '../../tools/local-stack/stack.js';
import { answerJson, startHookServer } from '../support/hook-server.js';
import type { BenchWorld } from './bench-world.js';
import { median, round } from './stats.js';

const PASSWORD = 'Correct-Horse-42-battery';
const ROUNDS = 6;
const SIGN_INS_PER_ROUND = 10;

export interface HookBenchResults {
  readonly rounds: number;
  readonly signInsPerCondition: number;
  readonly withoutHookMedianMs: number;
  readonly withHookMedianMs: number;
  readonly addedMs: number;
  /** median with / median without. */
  readonly ratio: number;
  /** One hook call on its own (sign, connect, answer, parse), median. */
  readonly hookCallMedianMs: number;
}

export async function runHookBench(world: BenchWorld, log: (line: string) => void): Promise<HookBenchResults> {
  const tenant = world.tenants.pool;
  const email = `admin@${tenant.slug}.bench.test`;
  const hooks = await startHookServer();
  hooks.on('/pre-auth', answerJson({ decision: 'allow' }));
  const config = loadConfig(
    apiEnvironment(world.stack, {
      LOG_LEVEL: 'silent',
      HOST: '127.0.0.1',
      PORT: '0',
      // Every sign-in comes from one address for one user: the limits would measure themselves.
      RATE_LIMIT_PER_ADDRESS_PER_MINUTE: '1000000',
      SIGN_IN_ATTEMPTS_PER_ADDRESS_PER_MINUTE: '100000',
      RATE_LIMIT_PER_TENANT: '1000000',
    }),
  );
  const app = await createApp(config, { logger: pino({ level: 'silent' }) });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const baseUrl = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
  const admin = new pg.Client({ connectionString: world.adminDatabaseUrl });
  await admin.connect();
  try {
    const secret = generateWebhookSecret();
    await admin.query(
      `INSERT INTO synchronous_hooks (tenant_id, kind, url, timeout_ms, failure_mode, secret, enabled)
       VALUES ($1, 'pre_authentication', $2, 2000, 'closed', $3, false)`,
      [tenant.id, `${hooks.baseUrl}/pre-auth`, secret],
    );
    const setHook = (enabled: boolean) => admin.query(`UPDATE synchronous_hooks SET enabled = $1 WHERE tenant_id = $2`, [enabled, tenant.id]);
    const signIn = async (): Promise<number> => {
      const started = performance.now();
      const response = await fetch(`${baseUrl}/v1/auth/sign-in`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ tenant: tenant.slug, email, password: PASSWORD }),
      });
      const elapsed = performance.now() - started;
      if (response.status !== 200) throw new Error(`sign-in answered ${response.status}: ${await response.text()}`);
      await response.arrayBuffer();
      return elapsed;
    };
    const without: number[] = [];
    const withHook: number[] = [];
    // Warm-up: both paths once (JIT, connections, the emulator's caches).
    await setHook(true);
    for (let index = 0; index < 3; index += 1) await signIn();
    await setHook(false);
    for (let index = 0; index < 3; index += 1) await signIn();
    for (let roundIndex = 0; roundIndex < ROUNDS; roundIndex += 1) {
      // Alternate which condition goes first, so neither always follows the other.
      for (const enabled of roundIndex % 2 === 0 ? [false, true] : [true, false]) {
        await setHook(enabled);
        for (let index = 0; index < SIGN_INS_PER_ROUND; index += 1) (enabled ? withHook : without).push(await signIn());
      }
    }
    const hookCalls = hooks.calls.length;
    if (hookCalls < ROUNDS * SIGN_INS_PER_ROUND) throw new Error(`the hook was called ${hookCalls} times, fewer than the measured sign-ins`);

    const caller = new HookCaller({ allowPrivateAddresses: true });
    const callTimes: number[] = [];
    for (let index = 0; index < 50; index += 1) {
      const started = performance.now();
      const result = await caller.call({ url: `${hooks.baseUrl}/pre-auth`, secret, timeoutMs: 2000 }, { type: 'pre_authentication' });
      if (!result.ok) throw new Error(`direct hook call failed: ${result.reason}`);
      callTimes.push(performance.now() - started);
    }

    const withoutMedian = median(without);
    const withMedian = median(withHook);
    const results: HookBenchResults = {
      rounds: ROUNDS,
      signInsPerCondition: without.length,
      withoutHookMedianMs: round(withoutMedian, 1),
      withHookMedianMs: round(withMedian, 1),
      addedMs: round(withMedian - withoutMedian, 1),
      ratio: round(withMedian / withoutMedian, 2),
      hookCallMedianMs: round(median(callTimes), 2),
    };
    log(`hooks: sign-in ${results.withoutHookMedianMs} ms without, ${results.withHookMedianMs} ms with a pre-authentication hook (+${results.addedMs} ms, ×${results.ratio}); hook call alone ${results.hookCallMedianMs} ms`);
    return results;
  } finally {
    await admin.query(`DELETE FROM synchronous_hooks WHERE tenant_id = $1`, [tenant.id]).catch(() => undefined);
    await admin.end();
    await app.close();
    await hooks.stop();
  }
}

export function renderHookBench(results: HookBenchResults | { readonly error: string } | undefined): string[] {
  if (!results) return [];
  if ('error' in results) return ['', `## 6. Synchronous hooks: failed (${results.error})`];
  return [
    '',
    '## 6. Synchronous hooks: latency added to sign-in',
    '',
    `\`POST /v1/auth/sign-in\` (pool tenant, Cognito emulator), ${results.signInsPerCondition} sign-ins per condition over ${results.rounds} interleaved rounds; the pre-authentication hook is a loopback HTTP server answering \`allow\` at once (signed call, new connection per call, strict answer check).`,
    '',
    '| sign-in | median ms |',
    '|---|---|',
    `| without a hook | ${results.withoutHookMedianMs} |`,
    `| with a pre-authentication hook | ${results.withHookMedianMs} |`,
    `| added by the hook | ${results.addedMs} (ratio ${results.ratio}) |`,
    `| the hook call alone | ${results.hookCallMedianMs} |`,
  ];
}
