/**
 * Entry point: validate configuration (clear message and exit code 78 on bad
 * settings, never a stack trace), build the app, listen, and shut down
 * gracefully on SIGTERM.
 */
import 'reflect-metadata';
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
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError || error instanceof UnsafeDatabaseRoleError) {
    process.stderr.write(`gatehouse-api: ${error.message}\n`);
    process.exit(EXIT_CONFIG);
  }
  process.stderr.write(`gatehouse-api: failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
