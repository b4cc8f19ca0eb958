/**
 * Entry point: validate configuration (clear message and exit code 78 on bad
 * settings, never a stack trace), build the app, listen, and shut down
 * gracefully on SIGTERM and SIGINT.
 */
import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createApp } from './app.factory.js';
import { loadConfigFromProcess } from './config/config.module.js';
import { ConfigError } from './config/config.schema.js';
import { UnsafeDatabaseRoleError } from './database/role-check.js';

/** sysexits(3) EX_CONFIG: the configuration is wrong, restarting will not help. */
const EXIT_CONFIG = 78;

async function main(): Promise<void> {
  const config = loadConfigFromProcess();
  const app = await createApp(config);
  await app.listen({ host: config.env.HOST, port: config.env.PORT });

  const shutdown = gracefulShutdown(app, config.env.SHUTDOWN_GRACE_MS);
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => void shutdown(signal));
}

/**
 * Graceful shutdown, in the order that loses nothing: stop accepting connections and let
 * the requests already received finish (up to the grace period), THEN run the modules'
 * destroy and shutdown hooks (provisioning runs settle, database pools disconnect), then
 * exit 0. Nest's own `app.close()` destroys the modules before it stops the HTTP server,
 * which fails in-flight requests ("Transaction not found") and resets connections.
 */
function gracefulShutdown(app: NestFastifyApplication, graceMs: number): (signal: NodeJS.Signals) => Promise<void> {
  let closing = false;
  return async (signal) => {
    if (closing) return;
    closing = true;
    const logger = new Logger('Shutdown');
    logger.log(`received ${signal}: draining in-flight requests (up to ${graceMs} ms)`);
    // Last resort if a hook hangs: the drain has its grace period, the hooks a few seconds more.
    setTimeout(() => process.exit(1), graceMs + 5_000).unref();
    const fastify = app.getHttpAdapter().getInstance();
    const drained = await Promise.race([
      fastify.close().then(() => true),
      new Promise<false>((resolve) => setTimeout(() => resolve(false), graceMs).unref()),
    ]);
    if (!drained) {
      logger.warn(`requests still running after ${graceMs} ms; closing their connections`);
      app.getHttpServer().closeAllConnections();
    }
    try {
      await app.close();
      process.exit(0);
    } catch (error) {
      logger.error(`shutdown failed: ${error instanceof Error ? error.message : String(error)}`);
      process.exit(1);
    }
  };
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError || error instanceof UnsafeDatabaseRoleError) {
    process.stderr.write(`gatehouse-api: ${error.message}\n`);
    process.exit(EXIT_CONFIG);
  }
  process.stderr.write(`gatehouse-api: failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
