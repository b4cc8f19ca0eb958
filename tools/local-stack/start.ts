/**
 * `npm start`: the embedded local stack and the API, in one command.
 *
 * - Postgres: `DATABASE_URL` when set (a server where Gatehouse may create its
 *   roles and database), otherwise an embedded Postgres under `.gatehouse/`.
 * - The Cognito emulator, data under `.gatehouse/cognito`, with the tier pools
 *   and the operators' pool from `config/tiers.json`.
 * - Roles, database and migrations; then the API as a child process.
 * - The example SPA (examples/spa), built with Vite and served on its own
 *   origin (`SPA_PORT`, default 5173), which the API's CORS settings allow.
 *
 * Ports already in use (another checkout's stack, say) are refused before
 * anything starts. SIGINT, SIGTERM and SIGHUP stop the API gracefully first,
 * then the emulator and Postgres — also when they arrive during start-up.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_COGNITO_EMULATOR_PORT } from './cognito.js';
import { type ServedSpa, buildExampleSpa, serveExampleSpa } from './example-spa.js';
import { isPortOpen } from './ports.js';
import { DEFAULT_EMBEDDED_POSTGRES_PORT } from './postgres.js';
import { describeSeed, seedDemo } from './seed.js';
import { type LocalStack, apiEnvironment, startLocalStack } from './stack.js';

const repositoryRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
// GATEHOUSE_DATA_DIR: another folder for the stack's data (the local-stack spec runs whole stacks in temp dirs).
const dataDir = process.env['GATEHOUSE_DATA_DIR'] ?? join(repositoryRoot, '.gatehouse');
const apiMain = join(repositoryRoot, 'dist', 'apps', 'api', 'src', 'main.js');
/** Signals that stop the stack; SIGHUP too, so closing the terminal never leaves it running. */
const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
const DEFAULT_SPA_PORT = 5173;

function log(line: string): void {
  process.stdout.write(`[gatehouse] ${line}\n`);
}

/**
 * Every fixed port the stack would bind, checked before anything starts: a port
 * that answers belongs to something else (often another checkout's stack), and
 * the emulator or API we would start there could not bind it — while our
 * readiness checks and the demo seed would talk to the other stack instead.
 */
async function refuseTakenPorts(ports: readonly { name: string; port: number; variable: string }[]): Promise<void> {
  const taken = [];
  for (const entry of ports) if (entry.port !== 0 && (await isPortOpen(entry.port))) taken.push(entry);
  if (taken.length === 0) return;
  const lines = taken.map((entry) => `  - ${entry.name}: port ${entry.port} is already in use (set ${entry.variable} to another port)`);
  throw new PortsTakenError(`refusing to start: another process (perhaps another checkout's stack) holds these ports:\n${lines.join('\n')}`);
}

class PortsTakenError extends Error {}

async function main(): Promise<void> {
  const started = Date.now();
  mkdirSync(dataDir, { recursive: true });
  const port = process.env['PORT'] ?? '3000';
  const cognitoPort = Number(process.env['COGNITO_PORT'] ?? DEFAULT_COGNITO_EMULATOR_PORT);
  const postgresPort = process.env['EMBEDDED_POSTGRES_PORT'] ? Number(process.env['EMBEDDED_POSTGRES_PORT']) : DEFAULT_EMBEDDED_POSTGRES_PORT;
  const spaPort = Number(process.env['SPA_PORT'] ?? DEFAULT_SPA_PORT);
  await refuseTakenPorts([
    { name: 'API', port: Number(port), variable: 'PORT' },
    { name: 'example SPA', port: spaPort, variable: 'SPA_PORT' },
    { name: 'Cognito emulator', port: cognitoPort, variable: 'COGNITO_PORT' },
    ...(process.env['DATABASE_URL'] ? [] : [{ name: 'embedded Postgres', port: postgresPort, variable: 'EMBEDDED_POSTGRES_PORT' }]),
  ]);

  // Signals are handled from the first moment: a stop during start-up waits for the stack to be up, then stops it.
  const running: { api?: ChildProcess; stack?: Promise<LocalStack>; spa?: ServedSpa } = {};
  let stopping = false;
  const stop = async (exitCode: number) => {
    if (stopping) return;
    stopping = true;
    log('stopping…');
    const current = running.api;
    if (current && current.exitCode === null && current.signalCode === null) {
      current.kill('SIGTERM');
      await new Promise((resolve) => current.once('exit', resolve));
    }
    if (current) log('API stopped');
    await running.spa?.close();
    await (await running.stack?.catch(() => undefined))?.stop();
    log('stopped');
    process.exit(exitCode);
  };
  for (const signal of STOP_SIGNALS) process.on(signal, () => void stop(0));

  log(`starting the local stack (data in ${dataDir})`);
  running.stack = startLocalStack({
    databaseUrl: process.env['DATABASE_URL'],
    dataDir,
    database: 'gatehouse',
    deployment: 'gatehouse-local',
    cognitoPort,
    postgresPort,
    log: process.env['GATEHOUSE_VERBOSE'] ? log : () => undefined,
  });

  const stack = await running.stack;
  // A signal during start-up: stop() is waiting for the stack and stops it.
  if (stopping) return;

  const base = `http://127.0.0.1:${port}`;
  // The SPA's server binds first, so its origin (SPA_PORT=0 picks a free port) is known to the API's CORS settings.
  const spaDir = join(dataDir, 'spa');
  running.spa = await serveExampleSpa({ distDir: spaDir, apiBaseUrl: base, port: spaPort });
  const spaOrigins = [running.spa.origin, running.spa.origin.replace('127.0.0.1', 'localhost')];
  const api = spawn(process.execPath, ['--enable-source-maps', apiMain], {
    env: {
      ...process.env,
      ...apiEnvironment(stack.info, {
        PORT: port,
        HOST: process.env['HOST'] ?? '127.0.0.1',
        CORS_ALLOWED_ORIGINS: [...spaOrigins, ...(process.env['CORS_ALLOWED_ORIGINS'] ?? '').split(',')].filter(Boolean).join(','),
      }),
    },
    stdio: 'inherit',
  });
  running.api = api;
  api.once('exit', (code) => {
    if (!stopping) {
      log(`the API exited (${code ?? 'signal'})`);
      void stop(code ?? 1);
    }
  });

  for (let attempt = 0; attempt < 200; attempt += 1) {
    if (stopping) return;
    if (await fetch(`${base}/health/ready`).then((response) => response.ok, () => false)) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  if (stopping) return;
  // Demo tenants and accounts, through the API's own provisioning path (idempotent: reruns reuse them).
  let seeded = '';
  try {
    seeded = `${describeSeed(await seedDemo({ baseUrl: base, stack: stack.info, dataDir, log }), base)}\n`;
  } catch (error) {
    seeded = `  Demo seed failed (the API still runs): ${error instanceof Error ? error.message : String(error)}\n`;
  }
  let spaLine = `  Example SPA    ${running.spa.origin}`;
  try {
    await buildExampleSpa(spaDir);
  } catch (error) {
    spaLine = `  Example SPA    build failed (the API still runs): ${error instanceof Error ? error.message : String(error)}`;
  }
  const pools = Object.entries(stack.info.sharedPools)
    .map(([key, pool]) => `    ${key.padEnd(10)} ${pool.userPoolId}${pool.clientId ? `  client ${pool.clientId}` : ''}`)
    .join('\n');
  process.stdout.write(`
Gatehouse is running (started in ${((Date.now() - started) / 1000).toFixed(1)} s)
  API            ${base}
  OpenAPI UI     ${base}/docs
  OpenAPI JSON   ${base}/openapi.json
${spaLine}
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
  process.stderr.write(`[gatehouse] ${error instanceof PortsTakenError ? '' : 'failed to start: '}${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
