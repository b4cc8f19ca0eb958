/**
 * Entry point: validate configuration (clear message and exit code 78 on bad
 * settings, never a stack trace), build the app, listen, and shut down
 * gracefully on SIGTERM.
 */
import 'reflect-metadata';
import { Logger } from '@nestjs/common';
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

  // Graceful shutdown: stop accepting, let in-flight requests finish (Fastify
  // answers 503 to new ones while closing), run every module's destroy hook
  // (database pools), then exit 0. A stuck shutdown is cut off after the grace period.
  let closing = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (closing) return;
    closing = true;
    new Logger('Shutdown').log(`received ${signal}, shutting down`);
    setTimeout(() => process.exit(1), config.env.SHUTDOWN_GRACE_MS).unref();
    app.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError || error instanceof UnsafeDatabaseRoleError) {
    process.stderr.write(`gatehouse-api: ${error.message}\n`);
    process.exit(EXIT_CONFIG);
  }
  process.stderr.write(`gatehouse-api: failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
