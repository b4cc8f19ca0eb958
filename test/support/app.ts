/**
 * Boots the real API (in-process, on a loopback port) against the stack from
 * the global setup, for suites that talk HTTP to it.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import pino from 'pino';
import { createApp } from '../../apps/api/src/app.factory.js';
import { type AppConfig, loadConfig } from '../../apps/api/src/config/config.schema.js';
import { findFreePort } from '../../tools/local-stack/ports.js';
import { type LocalStackInfo, apiEnvironment } from '../../tools/local-stack/stack.js';
import { stackInfo } from './database.js';

/**
 * Every test API counts its rate limits apart (the counters' store is shared by the whole run) unless told otherwise.
 * `info`: another Cognito emulator than the run's (a suite that needs one of its own, same database).
 */
export function testConfig(overrides: Record<string, string> = {}, info: LocalStackInfo = stackInfo()): AppConfig {
  return loadConfig(
    apiEnvironment(info, {
      LOG_LEVEL: 'silent',
      NODE_ENV: 'test',
      RATE_LIMIT_NAMESPACE: `test-${randomUUID()}`,
      // A loaded test machine can take longer than production's 250 ms; the outage tests set their own.
      RATE_LIMIT_STORE_TIMEOUT_MS: '5000',
      // Suites that test webhook delivery start their own worker (test/e2e/webhooks.test.ts); the others send nothing.
      WEBHOOK_DELIVERY_ENABLED: 'false',
      ...overrides,
    }),
  );
}

export interface RunningApi {
  readonly app: NestFastifyApplication;
  readonly baseUrl: string;
  close(): Promise<void>;
}

export async function startApi(config: AppConfig = testConfig()): Promise<RunningApi> {
  const app = await createApp(config, { logger: pino({ level: process.env['GATEHOUSE_TEST_LOG_LEVEL'] ?? 'silent' }) });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.getHttpServer().address();
  if (!address || typeof address === 'string') throw new Error('the API did not bind a TCP port');
  return { app, baseUrl: `http://127.0.0.1:${address.port}`, close: () => app.close() };
}

export const API_MAIN = join(process.cwd(), 'dist', 'apps', 'api', 'src', 'main.js');
/** The test-only replica that crashes mid-provisioning (test/support/crashing-replica.ts). */
export const CRASHING_REPLICA = join(process.cwd(), 'dist', 'test', 'support', 'crashing-replica.js');

export interface ApiProcess {
  readonly exit: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
  readonly pid: number;
  /** Everything written to stderr so far. */
  stderr(): string;
  /** Everything written to stdout (the JSON log) so far. */
  stdout(): string;
  exited(): boolean;
  kill(signal: NodeJS.Signals): void;
}

/**
 * Runs the compiled API (`dist/`, built by `npm test`) as its own process, as a
 * deployment does: one API per process, with its own caches and its own
 * Postgres change listener — what a second replica really is.
 */
export function spawnApi(env: Record<string, string>, script = API_MAIN, args: readonly string[] = []): ApiProcess {
  if (!existsSync(script)) throw new Error(`${script} is missing: run the suite with npm test, which builds dist/ first`);
  const child = spawn(process.execPath, [script, ...args], {
    // No webhook worker unless asked for (as in testConfig): a replica of another suite must not deliver this suite's webhooks.
    env: { PATH: process.env['PATH'] ?? '', WEBHOOK_DELIVERY_ENABLED: 'false', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  let stdout = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) => {
    // 'close' (not 'exit'): stderr has been read to its end.
    child.on('close', (code, signal) => resolve({ code, signal, stderr }));
  });
  let exited = false;
  void exit.then(() => {
    exited = true;
  });
  return { exit, kill: (signal) => child.kill(signal), pid: child.pid ?? -1, stderr: () => stderr, stdout: () => stdout, exited: () => exited };
}

/** Another API replica on the test stack, in its own process, ready to serve. */
export interface ApiReplica {
  readonly baseUrl: string;
  readonly process: ApiProcess;
  stop(): Promise<void>;
}

/** Another API replica on the test stack (or on `info`'s database), in its own process, ready to serve. */
export async function startApiReplica(overrides: Record<string, string> = {}, info: LocalStackInfo = stackInfo()): Promise<ApiReplica> {
  const port = await findFreePort();
  const replica = spawnApi(apiEnvironment(info, { HOST: '127.0.0.1', PORT: String(port), LOG_LEVEL: 'warn', ...overrides }));
  const baseUrl = `http://127.0.0.1:${port}`;
  // Up to 60 s: a cold Nest boot on a loaded 2-core machine can take well over 20 s.
  for (let attempt = 0; attempt < 600; attempt += 1) {
    if (replica.exited()) break;
    if (await fetch(`${baseUrl}/health/ready`).then((response) => response.ok, () => false)) {
      return {
        baseUrl,
        process: replica,
        async stop() {
          replica.kill('SIGTERM');
          await replica.exit;
        },
      };
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  replica.kill('SIGKILL');
  const ended = await replica.exit;
  throw new Error(`the API replica did not become ready: ${ended.stderr}\n${replica.stdout().slice(-4000)}`);
}
