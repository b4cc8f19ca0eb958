/**
 * `npm start` as real processes (the compiled `dist/tools/local-stack/start.js`,
 * built by `npm test`): it refuses ports another stack holds without ever
 * talking to that stack, and a signal stops the whole stack, API first.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { type Server, createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startCognitoEmulator } from './cognito.js';
import { findFreePort, isPortOpen } from './ports.js';

const START = join(process.cwd(), 'dist', 'tools', 'local-stack', 'start.js');
const tempDirs: string[] = [];
const servers: Server[] = [];

afterAll(async () => {
  for (const server of servers) await new Promise((resolve) => server.close(resolve));
  for (const dir of tempDirs) await rm(dir, { recursive: true, force: true });
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'gatehouse-start-'));
  tempDirs.push(dir);
  return dir;
}

/** Stands in for another checkout's API or emulator: answers everything, counts HTTP requests. */
async function otherStack(): Promise<{ port: number; requests: () => number }> {
  let requests = 0;
  const server = createServer((_request, response) => {
    requests += 1;
    response.end('{"ok":true}');
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no port');
  return { port: address.port, requests: () => requests };
}

interface StartedStack {
  readonly child: ChildProcess;
  output(): string;
  readonly exit: Promise<number | null>;
}

function runStart(env: Record<string, string>): StartedStack {
  if (!existsSync(START)) throw new Error(`${START} is missing: run the suite with npm test, which builds dist/ first`);
  const base = { ...process.env };
  delete base['DATABASE_URL']; // always the embedded Postgres, in the temp data dir
  const child = spawn(process.execPath, [START], { env: { ...base, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exit = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return { child, output: () => output, exit };
}

describe('npm start', () => {
  it('refuses ports another stack holds, naming them, before starting anything or talking to it', async () => {
    const api = await otherStack();
    const cognito = await otherStack();
    const dataDir = await tempDir();
    const started = runStart({
      GATEHOUSE_DATA_DIR: dataDir,
      PORT: String(api.port),
      COGNITO_PORT: String(cognito.port),
      EMBEDDED_POSTGRES_PORT: String(await findFreePort()),
    });
    expect(await started.exit).toBe(1);
    expect(started.output()).toContain(`API: port ${api.port} is already in use (set PORT to another port)`);
    expect(started.output()).toContain(`Cognito emulator: port ${cognito.port} is already in use (set COGNITO_PORT to another port)`);
    expect(started.output()).not.toMatch(/\n\s+at /);
    expect(api.requests()).toBe(0);
    expect(cognito.requests()).toBe(0);
    expect(existsSync(join(dataDir, 'postgres'))).toBe(false);
  }, 30_000);

  it('never attaches the emulator to a port that something else answers on', async () => {
    const other = await otherStack();
    const failure = await startCognitoEmulator({ dataDir: await tempDir(), port: other.port }).catch((error: Error) => error);
    expect(failure).toBeInstanceOf(Error);
    expect((failure as Error).message).toMatch(/EADDRINUSE/);
    expect(other.requests()).toBe(0);
  });

  it('SIGHUP (a closed terminal) stops the whole stack, the API first', async () => {
    const ports = { api: await findFreePort(), cognito: await findFreePort(), postgres: await findFreePort() };
    const started = runStart({
      GATEHOUSE_DATA_DIR: await tempDir(),
      PORT: String(ports.api),
      COGNITO_PORT: String(ports.cognito),
      EMBEDDED_POSTGRES_PORT: String(ports.postgres),
    });
    try {
      for (let attempt = 0; attempt < 1800 && !started.output().includes('Press Ctrl-C to stop.'); attempt += 1) {
        if (started.child.exitCode !== null) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(started.output()).toContain('Press Ctrl-C to stop.');
      for (const port of Object.values(ports)) expect(await isPortOpen(port)).toBe(true);

      started.child.kill('SIGHUP');
      expect(await started.exit).toBe(0);
      const output = started.output();
      expect(output.indexOf('API stopped')).toBeGreaterThan(output.indexOf('stopping…'));
      expect(output.indexOf('[gatehouse] stopped')).toBeGreaterThan(output.indexOf('API stopped'));
      for (const port of Object.values(ports)) expect(await isPortOpen(port)).toBe(false);
    } finally {
      if (started.child.exitCode === null) started.child.kill('SIGKILL');
    }
  }, 240_000);
});
