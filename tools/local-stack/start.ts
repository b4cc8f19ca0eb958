/**
 * `npm start`: the embedded local stack and the API, in one command.
 *
 * - Postgres: `DATABASE_URL` when set (a server where Gatehouse may create its
 *   roles and database), otherwise an embedded Postgres under `.gatehouse/`.
 * - The Cognito emulator, data under `.gatehouse/cognito`, with the tier pools
 *   and the operators' pool from `config/tiers.json`.
 * - Roles, database and migrations; then the API as a child process.
 *
 * Ctrl-C (or SIGTERM) stops the API gracefully, then the emulator and Postgres.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeSeed, seedDemo } from './seed.js';
import { apiEnvironment, startLocalStack } from './stack.js';

const repositoryRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const dataDir = join(repositoryRoot, '.gatehouse');
const apiMain = join(repositoryRoot, 'dist', 'apps', 'api', 'src', 'main.js');

function log(line: string): void {
  process.stdout.write(`[gatehouse] ${line}\n`);
}

async function main(): Promise<void> {
  const started = Date.now();
  mkdirSync(dataDir, { recursive: true });
  const port = process.env['PORT'] ?? '3000';
  log(`starting the local stack (data in ${dataDir})`);
  const stack = await startLocalStack({
    databaseUrl: process.env['DATABASE_URL'],
    dataDir,
    database: 'gatehouse',
    deployment: 'gatehouse-local',
    cognitoPort: Number(process.env['COGNITO_PORT'] ?? 9229),
    ...(process.env['EMBEDDED_POSTGRES_PORT'] ? { postgresPort: Number(process.env['EMBEDDED_POSTGRES_PORT']) } : {}),
    log: process.env['GATEHOUSE_VERBOSE'] ? log : () => undefined,
  });

  const api: ChildProcess = spawn(process.execPath, ['--enable-source-maps', apiMain], {
    env: { ...process.env, ...apiEnvironment(stack.info, { PORT: port, HOST: process.env['HOST'] ?? '127.0.0.1' }) },
    stdio: 'inherit',
  });

  let stopping = false;
  const stop = async (exitCode: number) => {
    if (stopping) return;
    stopping = true;
    log('stopping…');
    if (api.exitCode === null && api.signalCode === null) {
      api.kill('SIGTERM');
      await new Promise((resolve) => api.once('exit', resolve));
    }
    await stack.stop();
    log('stopped');
    process.exit(exitCode);
  };
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));
  api.once('exit', (code) => {
    if (!stopping) {
      log(`the API exited (${code ?? 'signal'})`);
      void stop(code ?? 1);
    }
  });

  const base = `http://127.0.0.1:${port}`;
  for (let attempt = 0; attempt < 200; attempt += 1) {
    if (await fetch(`${base}/health/ready`).then((response) => response.ok, () => false)) break;
    if (stopping) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  // Demo tenants and accounts, through the API's own provisioning path (idempotent: reruns reuse them).
  let seeded = '';
  try {
    seeded = `${describeSeed(await seedDemo({ baseUrl: base, stack: stack.info, dataDir, log }), base)}\n`;
  } catch (error) {
    seeded = `  Demo seed failed (the API still runs): ${error instanceof Error ? error.message : String(error)}\n`;
  }
  const pools = Object.entries(stack.info.sharedPools)
    .map(([key, pool]) => `    ${key.padEnd(10)} ${pool.userPoolId}${pool.clientId ? `  client ${pool.clientId}` : ''}`)
    .join('\n');
  process.stdout.write(`
Gatehouse is running (started in ${((Date.now() - started) / 1000).toFixed(1)} s)
  API            ${base}
  OpenAPI UI     ${base}/docs
  OpenAPI JSON   ${base}/openapi.json
  Readiness      ${base}/health/ready
  Cognito (emulator, local mode only) ${stack.info.cognitoEndpoint}
  Confirmation and reset codes appear in ${stack.info.cognitoLogFile}
  Postgres       ${process.env['DATABASE_URL'] ? 'from DATABASE_URL' : 'embedded'}, database "${stack.info.database}"
  Shared pools
${pools}
${seeded}Press Ctrl-C to stop.
`);
}

main().catch((error: unknown) => {
  process.stderr.write(`[gatehouse] failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
