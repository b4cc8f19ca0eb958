/**
 * Boots the real API (in-process, on a loopback port) against the stack from
 * the global setup, for suites that talk HTTP to it.
 */
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import pino from 'pino';
import { createApp } from '../../apps/api/src/app.factory.js';
import { type AppConfig, loadConfig } from '../../apps/api/src/config/config.schema.js';
import { apiEnvironment } from '../../tools/local-stack/stack.js';
import { stackInfo } from './database.js';

export function testConfig(overrides: Record<string, string> = {}): AppConfig {
  return loadConfig(apiEnvironment(stackInfo(), { LOG_LEVEL: 'silent', NODE_ENV: 'test', ...overrides }));
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
