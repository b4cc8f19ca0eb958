/**
 * Real processes: embedded Postgres (as root when the tests run as root) and
 * the cognito-local emulator, each on a free port in a temporary directory.
 * Everything started here is stopped in afterAll, and the directories removed.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { type JsonWebKey, createPublicKey, verify } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AdminCreateUserCommand,
  AdminSetUserPasswordCommand,
  type CognitoIdentityProviderClient,
  ForgotPasswordCommand,
  InitiateAuthCommand,
  ListGroupsCommand,
  ListUserPoolClientsCommand,
  ListUserPoolsCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { loadTierConfigurationFile, sharedPoolBlueprints } from '@gatehouse/tiers';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CognitoEmulator,
  createEmulatorClient,
  emulatorIssuer,
  emulatorJwksUri,
  ensureSharedPools,
  parseCodeDeliveries,
  startCognitoEmulator,
} from './cognito.js';
import { isPortOpen } from './ports.js';
import { type PostgresServer, startPostgres } from './postgres.js';

const timings: Record<string, number> = {};
const started: { stop(): Promise<void> }[] = [];
const tempDirs: string[] = [];
const children: ChildProcess[] = [];

async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `gatehouse-${prefix}-`));
  tempDirs.push(dir);
  return dir;
}

async function timed<T extends { stop(): Promise<void> }>(label: string, start: () => Promise<T>): Promise<T> {
  const t0 = performance.now();
  const value = await start();
  timings[label] = Math.round(performance.now() - t0);
  started.push(value);
  return value;
}

async function query<R extends pg.QueryResultRow>(url: string, sql: string): Promise<R[]> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3_000 });
  await client.connect();
  try {
    return (await client.query<R>(sql)).rows;
  } finally {
    await client.end();
  }
}

function portOf(url: string): number {
  return Number(new URL(url).port);
}

async function postmasterPid(dataDir: string): Promise<number> {
  const lock = await readFile(join(dataDir, 'postgres', 'postmaster.pid'), 'utf8');
  return Number.parseInt(lock.split('\n')[0] ?? '', 10);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A zombie still answers kill(0).
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  await Promise.allSettled(started.map((s) => s.stop()));
  await Promise.all(tempDirs.map((dir) => rm(dir, { recursive: true, force: true })));
  console.info(`[local-stack timings, ms] ${JSON.stringify(timings)}`);
}, 30_000);

// These specs start real Postgres and emulator processes: on a loaded 2-core machine a start can take
// well over Vitest's 5 s default, so each test gets a generous upper bound (not a performance assertion).
describe('embedded Postgres', { timeout: 60_000 }, () => {
  it('starts (as root when run as root) on a free port, answers a query, and stops', async () => {
    const dataDir = await tempDir('pg');
    const server = await timed('postgres cold start (initdb + start)', () => startPostgres({ dataDir, port: 0 }));

    expect(server.embedded).toBe(true);
    expect(server.adminUrl).toMatch(/^postgres:\/\/postgres:[^@]+@127\.0\.0\.1:\d+\/postgres$/);
    expect(portOf(server.adminUrl)).not.toBe(5433);
    const [row] = await query<{ one: number; user: string }>(server.adminUrl, 'SELECT 1 AS one, current_user AS user');
    expect(row).toEqual({ one: 1, user: 'postgres' });

    const pid = await postmasterPid(dataDir);
    if (process.getuid?.() === 0) {
      // Postgres refuses root: the server must run as the unprivileged `postgres` OS user.
      const status = await readFile(`/proc/${pid}/status`, 'utf8');
      const uid = Number(/^Uid:\s+(\d+)/m.exec(status)?.[1]);
      expect(uid).not.toBe(0);
    }

    const t0 = performance.now();
    await server.stop();
    timings['postgres stop'] = Math.round(performance.now() - t0);
    expect(isAlive(pid)).toBe(false);
    expect(await isPortOpen(portOf(server.adminUrl))).toBe(false);
    expect(existsSync(join(dataDir, 'postgres', 'postmaster.pid'))).toBe(false);
  });

  it('keeps its data across a restart on the same data directory', async () => {
    const dataDir = await tempDir('pg');
    const first = await startPostgres({ dataDir, port: 0 });
    await query(first.adminUrl, "CREATE TABLE survivor (id int PRIMARY KEY, note text); INSERT INTO survivor VALUES (1, 'still here')");
    await first.stop();

    const second = await timed('postgres warm start', () => startPostgres({ dataDir, port: 0 }));
    expect(await query(second.adminUrl, 'SELECT id, note FROM survivor')).toEqual([{ id: 1, note: 'still here' }]);
    await second.stop();
  });

  it('recovers from the stale postmaster.pid of a SIGKILLed server', async () => {
    const dataDir = await tempDir('pg');
    const first = await startPostgres({ dataDir, port: 0 });
    await query(first.adminUrl, 'CREATE TABLE before_crash (id int)');
    const pid = await postmasterPid(dataDir);

    process.kill(pid, 'SIGKILL');
    await waitFor(() => !isAlive(pid));
    expect(existsSync(join(dataDir, 'postgres', 'postmaster.pid'))).toBe(true);
    await first.stop(); // must not hang on a dead server

    const logs: string[] = [];
    const second = await timed('postgres start after SIGKILL', () => startPostgres({ dataDir, port: 0, log: (l) => logs.push(l) }));
    expect(logs.some((l) => l.includes('removed a stale postmaster.pid'))).toBe(true);
    expect(await query(second.adminUrl, "SELECT to_regclass('before_crash') IS NOT NULL AS present")).toEqual([{ present: true }]);
    await second.stop();
  });

  it('removes a lock whose PID is a live non-Postgres process, and never the lock of a live server', async () => {
    const dataDir = await tempDir('pg');
    const server = await startPostgres({ dataDir, port: 0 });
    const lockFile = join(dataDir, 'postgres', 'postmaster.pid');
    const liveLock = await readFile(lockFile, 'utf8');

    await expect(startPostgres({ dataDir, port: 0 })).rejects.toThrow(/already running on .*kill -INT \d+/);
    expect(await readFile(lockFile, 'utf8')).toBe(liveLock);
    expect(await query(server.adminUrl, 'SELECT 1 AS ok')).toEqual([{ ok: 1 }]);
    await server.stop();

    // A PID reused by an unrelated (root-owned) process: Postgres itself would refuse to start.
    const sleeper = spawn('sleep', ['60'], { stdio: 'ignore' });
    children.push(sleeper);
    await writeFile(lockFile, `${sleeper.pid}\n${join(dataDir, 'postgres')}\n1700000000\n5433\n\n127.0.0.1\n  5433001         0\nready   \n`);
    const restarted = await startPostgres({ dataDir, port: 0 });
    expect(await query(restarted.adminUrl, 'SELECT 1 AS ok')).toEqual([{ ok: 1 }]);
    await restarted.stop();
    sleeper.kill('SIGKILL');
  });

  it('uses a given databaseUrl without starting anything, and names host and port when it cannot connect', async () => {
    const machineUrl = 'postgres://postgres@127.0.0.1:5432/postgres';
    let url = machineUrl;
    try {
      await query(machineUrl, 'SELECT 1');
    } catch {
      // No usable Postgres on this machine: bring our own and pass its URL instead.
      const own = await startPostgres({ dataDir: await tempDir('pg'), port: 0 });
      started.push(own);
      url = own.adminUrl;
    }

    const dataDir = await tempDir('pg-external');
    const server: PostgresServer = await startPostgres({ databaseUrl: url, dataDir, port: 0 });
    expect(server.embedded).toBe(false);
    expect(server.adminUrl).toBe(url);
    expect(await readdir(dataDir)).toEqual([]);
    await server.stop();
    expect(await query(url, 'SELECT 1 AS ok')).toEqual([{ ok: 1 }]); // stop() left it alone

    const closedPort = (await import('./ports.js')).findFreePort();
    const badUrl = `postgres://someone:s3cret-pw@127.0.0.1:${await closedPort}/app`;
    const failure = await startPostgres({ databaseUrl: badUrl, dataDir }).catch((error: Error) => error);
    expect(failure).toBeInstanceOf(Error);
    expect((failure as Error).message).toContain(`127.0.0.1:${new URL(badUrl).port}`);
    expect((failure as Error).message).not.toContain('s3cret-pw');
  });
});

describe('Cognito emulator', { timeout: 60_000 }, () => {
  let dataDir: string;
  let emulator: CognitoEmulator;
  let client: CognitoIdentityProviderClient;
  const region = 'us-east-1';
  const blueprints = sharedPoolBlueprints(loadTierConfigurationFile(), { deployment: 'gatehouse-spec', deletionProtection: false });

  beforeAll(async () => {
    dataDir = await tempDir('cognito');
    emulator = await timed('cognito emulator start', () => startCognitoEmulator({ dataDir, port: 0 }));
    client = createEmulatorClient(emulator.endpoint, region);
  }, 30_000);

  afterAll(() => client?.destroy());

  it('answers on 127.0.0.1 and logs to <dataDir>/cognito/emulator.log', async () => {
    expect(emulator.endpoint).toBe(`http://127.0.0.1:${emulator.port}`);
    const health = await fetch(`${emulator.endpoint}/health`);
    expect(await health.json()).toEqual({ ok: true });
    const log = await readFile(join(dataDir, 'cognito', 'emulator.log'), 'utf8');
    expect(log).toContain(`Cognito Local running on http://127.0.0.1:${emulator.port}`);
  });

  it('ensureSharedPools creates each pool, client and group exactly once and returns the same ids', async () => {
    const t0 = performance.now();
    const first = await ensureSharedPools(client, blueprints, { region, endpoint: emulator.endpoint });
    timings['ensureSharedPools (create)'] = Math.round(performance.now() - t0);
    const groupsAfterFirst = await listGroups(client, first);

    const t1 = performance.now();
    const second = await ensureSharedPools(client, blueprints, { region, endpoint: emulator.endpoint });
    timings['ensureSharedPools (no-op)'] = Math.round(performance.now() - t1);
    expect(second).toEqual(first);

    const pools = (await client.send(new ListUserPoolsCommand({ MaxResults: 60 }))).UserPools ?? [];
    for (const blueprint of blueprints) {
      const handle = first[blueprint.key];
      expect(handle, blueprint.key).toBeDefined();
      expect(pools.filter((p) => p.Name === blueprint.poolName).map((p) => p.Id)).toEqual([handle?.userPoolId]);
      expect(handle?.issuer).toBe(emulatorIssuer(emulator.endpoint, handle?.userPoolId ?? ''));
      expect(handle?.region).toBe(region);

      const clients = (await client.send(new ListUserPoolClientsCommand({ UserPoolId: handle?.userPoolId, MaxResults: 60 }))).UserPoolClients ?? [];
      if (blueprint.sharedClients) {
        expect(clients.map((c) => [c.ClientName, c.ClientId]).sort()).toEqual(
          [
            [blueprint.clients.public.name, handle?.clientId],
            [blueprint.clients.gatehouse.name, handle?.gatehouseClientId],
          ].sort(),
        );
      } else {
        expect(clients).toEqual([]);
        expect(handle?.clientId).toBeUndefined();
      }
    }
    // cognito-local's CreateGroup overwrites silently, so "exactly once" shows as unchanged creation dates.
    const groupsAfterSecond = await listGroups(client, first);
    expect(groupsAfterSecond).toEqual(groupsAfterFirst);
    for (const blueprint of blueprints) {
      expect(groupsAfterSecond[blueprint.key]?.map((g) => g.name).sort()).toEqual([...blueprint.groups].sort());
    }
  });

  it('issues tokens whose iss is the handle issuer, verifiable with the JWKS at emulatorJwksUri', async () => {
    const pools = await ensureSharedPools(client, blueprints, { region, endpoint: emulator.endpoint });
    const basic = Object.values(pools).find((h) => h.clientId && h !== pools.operators);
    if (!basic?.clientId) throw new Error('no pool-model tier with a shared client in config/tiers.json');
    await client.send(
      new AdminCreateUserCommand({
        UserPoolId: basic.userPoolId,
        Username: 'opaque-user-1',
        MessageAction: 'SUPPRESS',
        UserAttributes: [
          { Name: 'email', Value: 'ada@example.com' },
          { Name: 'custom:tenantId', Value: 'tenant-1' },
        ],
      }),
    );
    await client.send(
      new AdminSetUserPasswordCommand({ UserPoolId: basic.userPoolId, Username: 'opaque-user-1', Password: 'Correct-Horse-9', Permanent: true }),
    );
    const auth = await client.send(
      new InitiateAuthCommand({
        ClientId: basic.clientId,
        AuthFlow: 'USER_PASSWORD_AUTH',
        AuthParameters: { USERNAME: 'opaque-user-1', PASSWORD: 'Correct-Horse-9' },
      }),
    );
    const token = auth.AuthenticationResult?.AccessToken ?? '';
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
    expect(claims).toMatchObject({ iss: basic.issuer, token_use: 'access', client_id: basic.clientId, username: 'opaque-user-1' });

    const jwks = (await (await fetch(emulatorJwksUri(basic.issuer))).json()) as { keys: (JsonWebKey & { kid: string })[] };
    const { kid } = JSON.parse(Buffer.from(header, 'base64url').toString()) as { kid: string };
    const jwk = jwks.keys.find((k) => k.kid === kid);
    expect(jwk).toBeDefined();
    const valid = verify('RSA-SHA256', Buffer.from(`${header}.${payload}`), createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' }), Buffer.from(signature, 'base64url'));
    expect(valid).toBe(true);

    // Reset codes only exist in the emulator's log.
    await client.send(new ForgotPasswordCommand({ ClientId: basic.clientId, Username: 'opaque-user-1' }));
    await waitFor(async () =>
      parseCodeDeliveries(await readFile(join(dataDir, 'cognito', 'emulator.log'), 'utf8')).some((d) => d.username === 'opaque-user-1'),
    );
    const deliveries = parseCodeDeliveries(await readFile(join(dataDir, 'cognito', 'emulator.log'), 'utf8'));
    expect(deliveries.at(-1)).toMatchObject({ target: 'ForgotPassword', username: 'opaque-user-1', destination: 'ada@example.com' });
    expect(deliveries.at(-1)?.code).toMatch(/^\d{6}$/);
  });

  it('keeps its pools across a restart and kills its process group on stop', async () => {
    const before = await ensureSharedPools(client, blueprints, { region, endpoint: emulator.endpoint });
    const pidLine = /ready on .* \(PID (\d+),/.exec(await readFile(join(dataDir, 'cognito', 'emulator.log'), 'utf8'));
    const pid = Number(pidLine?.[1]);
    expect(pid).toBeGreaterThan(0);

    await emulator.stop();
    expect(isAlive(pid)).toBe(false);
    expect(await isPortOpen(emulator.port)).toBe(false);

    emulator = await timed('cognito emulator restart', () => startCognitoEmulator({ dataDir, port: 0 }));
    client.destroy();
    client = createEmulatorClient(emulator.endpoint, region);
    const after = await ensureSharedPools(client, blueprints, { region, endpoint: emulator.endpoint });
    for (const key of Object.keys(before)) {
      expect(after[key]?.userPoolId).toBe(before[key]?.userPoolId);
      expect(after[key]?.clientId).toBe(before[key]?.clientId);
    }
    expect((await client.send(new ListUserPoolsCommand({ MaxResults: 60 }))).UserPools).toHaveLength(blueprints.length);
  });
});

async function listGroups(
  client: CognitoIdentityProviderClient,
  handles: Record<string, { userPoolId: string }>,
): Promise<Record<string, { name?: string; created?: number }[]>> {
  const result: Record<string, { name?: string; created?: number }[]> = {};
  for (const [key, handle] of Object.entries(handles)) {
    const groups = (await client.send(new ListGroupsCommand({ UserPoolId: handle.userPoolId, Limit: 60 }))).Groups ?? [];
    result[key] = groups
      .map((g) => ({ name: g.GroupName, created: g.CreationDate?.getTime() }))
      .sort((a, b) => String(a.name).localeCompare(String(b.name)));
  }
  return result;
}
