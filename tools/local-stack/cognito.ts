/**
 * The Cognito emulator for local runs and tests: the `cognito-local` package
 * (5.3.0) run as a child process, plus `ensureSharedPools()`, which creates the
 * deployment's shared pools in it from the tier blueprints, idempotently.
 *
 * What cognito-local does, read from node_modules/cognito-local/lib:
 * - Start: `lib/bin/start.js` (the package's `bin`) → `createDefaultServer()`
 *   (server/defaults.js). Port and host come from `PORT` / `HOST`
 *   (server/config.js:36-37, defaults 9229 / localhost).
 * - Data: `.cognito/config.json` and `.cognito/db/<poolId>.json`,
 *   `.cognito/db/clients.json`, relative to its cwd (server/defaults.js:50-51).
 *   We run it with cwd `<dataDir>/cognito`, so the data persists there.
 * - Issuer: `${TokenConfig.IssuerDomain}/${userPoolId}`
 *   (services/tokenGenerator.js:139), where IssuerDomain defaults to
 *   `http://${HOST}:${PORT}` (server/config.js:50-51) — with HOST=127.0.0.1,
 *   exactly `<endpoint>/<userPoolId>`. Pool ids look like `local_AbCd1234`
 *   (targets/createUserPool.js: `${REGION}_…`, REGION = "local").
 * - JWKS: `GET /:userPoolId/.well-known/jwks.json` (server/server.js:67), one
 *   RS256 key (kid `CognitoLocal`) shipped in the package (lib/keys), for every
 *   pool — so `<issuer>/.well-known/jwks.json` works as for real Cognito. Its
 *   `/.well-known/openid-configuration` hard-codes `http://localhost:9229`
 *   (server/server.js:72-77): do not use it for discovery.
 * - Health: `GET /health` → `{ ok: true }` (server/server.js:79).
 * - Codes: confirmation / reset codes and temporary passwords are only
 *   printed to its log (services/messageDelivery/consoleMessageSender.js), as a
 *   box with `Username:`, `Destination:` and `Code:` lines; `parseCodeDeliveries()`
 *   reads them back. Setting `CODE` in its environment makes every code (and
 *   every generated temporary password) that fixed value (services/otp.js:24).
 * - Usernames: its built-in `UserPoolDefaults.UsernameAttributes` is
 *   `["email"]` (server/config.js:48) and is merged into every new pool even
 *   when the request has none (services/cognitoService.js, lodash merge), which
 *   turns usernames into e-mails. Gatehouse pools use opaque usernames, so
 *   `startCognitoEmulator()` writes `UsernameAttributes: []` to its config.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { appendFileSync, closeSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import {
  CognitoIdentityProviderClient,
  CreateGroupCommand,
  CreateUserPoolClientCommand,
  CreateUserPoolCommand,
  GetUserPoolMfaConfigCommand,
  type GroupType,
  ListGroupsCommand,
  ListUserPoolClientsCommand,
  ListUserPoolsCommand,
  SetUserPoolMfaConfigCommand,
  type UserPoolClientDescription,
  type UserPoolDescriptionType,
} from '@aws-sdk/client-cognito-identity-provider';
import type { AppClientBlueprint, UserPoolBlueprint } from '@gatehouse/tiers';
import {
  toCreateUserPoolClientInput,
  toCreateUserPoolInput,
  toSetUserPoolMfaConfigInput,
} from '../../apps/api/src/identity/cognito/user-pool-requests.js';
import { findFreePort, isPortOpen } from './ports.js';

export interface CognitoEmulator {
  /** e.g. `http://127.0.0.1:9229` — the SDK endpoint, and the issuers' prefix. */
  readonly endpoint: string;
  readonly port: number;
  stop(): Promise<void>;
}

export interface StartCognitoEmulatorOptions {
  /** Local stack data directory; the emulator's data lives in `<dataDir>/cognito/.cognito`. */
  dataDir: string;
  /** undefined → 9229 (the emulator's default), `0` → a free port. */
  port?: number;
  /** Every line of the emulator's output (ANSI colours removed). Also appended to `<dataDir>/cognito/emulator.log`. */
  log?: (line: string) => void;
}

export interface SharedPoolHandle {
  userPoolId: string;
  /** The public client (front ends at Cognito directly). */
  clientId?: string;
  /** The confidential Gatehouse client (the API's own flows). */
  gatehouseClientId?: string;
  issuer: string;
  region: string;
}

export const DEFAULT_COGNITO_EMULATOR_PORT = 9229;
const HOST = '127.0.0.1';
const READY_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 5_000;

/** The `iss` of tokens the emulator at `endpoint` issues for `userPoolId` (see the module comment). */
export function emulatorIssuer(endpoint: string, userPoolId: string): string {
  return `${endpoint.replace(/\/+$/, '')}/${userPoolId}`;
}

/** Where the emulator serves the JWKS for an issuer (same layout as Cognito). */
export function emulatorJwksUri(issuer: string): string {
  return `${issuer.replace(/\/+$/, '')}/.well-known/jwks.json`;
}

/** An SDK client for the emulator (it ignores signatures, but the SDK needs some credentials). */
export function createEmulatorClient(endpoint: string, region = 'us-east-1'): CognitoIdentityProviderClient {
  return new CognitoIdentityProviderClient({
    endpoint,
    region,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 2,
  });
}

export interface CodeDelivery {
  /** The API call that sent it: `SignUp` (confirmation code), `ForgotPassword` (reset code), `AdminCreateUser` (temporary password), … */
  readonly target?: string;
  readonly username: string;
  readonly destination?: string;
  readonly code: string;
}

/**
 * The codes the emulator "sent", oldest first, from its log text
 * (`<dataDir>/cognito/emulator.log`). Each delivery is one pino line whose
 * message is a box (consoleMessageSender.js), e.g.
 * ```
 * [1795366047140] INFO: edfb649a ForgotPassword ╭──────────────────────────────────╮
 * │                                  │
 * │   Confirmation Code Delivery     │
 * │                                  │
 * │   Username:    u-456             │
 * │   Destination: bob@example.com   │
 * │   Code:        123456            │
 * │                                  │
 * ╰──────────────────────────────────╯
 * ```
 * `<reqId> <Target>` on the first line names the API call.
 */
export function parseCodeDeliveries(logText: string): CodeDelivery[] {
  const deliveries: CodeDelivery[] = [];
  let target: string | undefined;
  let current: { target?: string; username?: string; destination?: string } | undefined;
  // The box puts a long value (a derived username is 68 characters) on the line after its label.
  let pendingLabel: string | undefined;
  for (const rawLine of stripAnsi(logText).split(/\r?\n/)) {
    const header = /^\[\d+\]\s+\w+:\s+\S+\s+(\S+)\s+╭/.exec(rawLine);
    if (header) {
      target = header[1];
      continue;
    }
    const line = rawLine.replace(/[│╭╮╰╯─]/g, ' ').trim();
    if (line === 'Confirmation Code Delivery') {
      current = { target };
      target = undefined;
      continue;
    }
    if (!current) continue;
    const label = /^(Username|Destination|Code):$/.exec(line);
    if (label) {
      pendingLabel = label[1];
      continue;
    }
    const field = pendingLabel && /^\S+$/.test(line) ? [line, pendingLabel, line] : /^(Username|Destination|Code):\s+(\S+)$/.exec(line);
    pendingLabel = undefined;
    if (!field) continue;
    if (field[1] === 'Username') current.username = field[2];
    else if (field[1] === 'Destination') current.destination = field[2];
    else if (field[2] && current.username) {
      deliveries.push({ target: current.target, username: current.username, destination: current.destination, code: field[2] });
      current = undefined;
    }
  }
  return deliveries;
}

const ANSI = /\u001b\[[0-9;?]*[ -/]*[@-~]/g;
function stripAnsi(text: string): string {
  return text.replace(ANSI, '');
}

export async function startCognitoEmulator(options: StartCognitoEmulatorOptions): Promise<CognitoEmulator> {
  const log = options.log ?? (() => undefined);
  const workDir = join(resolve(options.dataDir), 'cognito');
  await mkdir(join(workDir, '.cognito', 'db'), { recursive: true });
  await ensureEmulatorConfig(join(workDir, '.cognito', 'config.json'), log);

  const requested = options.port ?? DEFAULT_COGNITO_EMULATOR_PORT;
  const attempts = requested === 0 ? 3 : 1;
  for (let attempt = 1; ; attempt += 1) {
    const port = requested === 0 ? await findFreePort(HOST) : requested;
    try {
      return await launch(workDir, port, log);
    } catch (error) {
      if (attempt >= attempts || !/EADDRINUSE/.test(String(error))) throw error;
      log(`[cognito] port ${port} was taken, retrying on another free port`);
    }
  }
}

/** Gatehouse pools use opaque usernames: switch off the emulator's e-mail-as-username default. */
async function ensureEmulatorConfig(path: string, log: (line: string) => void): Promise<void> {
  let config: Record<string, unknown> = {};
  try {
    config = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`cannot read ${path}: ${(error as Error).message}`);
  }
  const defaults = (config.UserPoolDefaults ?? {}) as Record<string, unknown>;
  if (Array.isArray(defaults.UsernameAttributes) && defaults.UsernameAttributes.length === 0) return;
  if (defaults.UsernameAttributes !== undefined) {
    log(`[cognito] replacing UserPoolDefaults.UsernameAttributes ${JSON.stringify(defaults.UsernameAttributes)} with [] in ${path}`);
  }
  config.UserPoolDefaults = { ...defaults, UsernameAttributes: [] };
  await writeFile(path, `${JSON.stringify(config, null, 2)}\n`);
}

function emulatorEntryPoint(): string {
  const require = createRequire(import.meta.url);
  const packageJson = require.resolve('cognito-local/package.json');
  const { bin } = require('cognito-local/package.json') as { bin: string | Record<string, string> };
  const relative = typeof bin === 'string' ? bin : (bin['cognito-local'] ?? Object.values(bin)[0]);
  if (!relative) throw new Error('cognito-local/package.json has no bin entry');
  return join(dirname(packageJson), relative);
}

/**
 * Runs the emulator through a tiny `node -e` wrapper that exits when its
 * stdin (a pipe from us) closes, so the emulator dies with us even when we
 * are SIGKILLed. It is detached into its own process group, which `stop()`
 * signals as a whole.
 */
/**
 * Runs cognito-local's server (its `bin/start.js` is argv[1]) with two changes
 * from its own start script:
 * - it exits when our stdin closes, so it never outlives us;
 * - it logs through a plain, synchronous pino destination that prints lines
 *   shaped like its own (`[time] INFO: <reqId> <target> <message>`). Its
 *   pino-pretty pipeline held records back under load (after a dozen or so
 *   records, every other one waited for the next), so a confirmation code
 *   could stay unwritten for as long as the emulator stayed quiet.
 */
const WRAPPER = `
  process.stdin.on('data', () => {});
  for (const event of ['end', 'close', 'error']) process.stdin.on(event, () => process.exit(0));
  const fs = require('node:fs');
  const path = require('node:path');
  const lib = path.join(path.dirname(process.argv[1]), '..');
  const pino = require(require.resolve('pino', { paths: [lib] }));
  const { createDefaultServer } = require(path.join(lib, 'server'));
  const LEVELS = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
  const destination = {
    write(line) {
      let text = line;
      try {
        const record = JSON.parse(line);
        const message = typeof record.msg === 'string' ? record.msg : '';
        const error = record.err ? ' ' + JSON.stringify(record.err) : '';
        text = '[' + record.time + '] ' + (LEVELS[record.level] || record.level) + ': ' + (record.reqId || 'NONE') + ' ' +
          (record.target || 'NONE') + ' ' + message + error + '\\n';
      } catch {}
      fs.writeSync(1, text);
    },
  };
  const logger = pino({ level: process.env.DEBUG ? 'debug' : 'info' }, destination);
  createDefaultServer(logger)
    .then((server) => server.start())
    .then((server) => {
      const address = server.address();
      logger.info('Cognito Local running on http://' + address.address + ':' + address.port);
    })
    .catch((error) => {
      logger.error(error);
      process.exit(1);
    });
`;

async function launch(workDir: string, port: number, log: (line: string) => void): Promise<CognitoEmulator> {
  const endpoint = `http://${HOST}:${port}`;
  // Something already answers there (another stack's emulator?): ours could not bind, and the
  // readiness check below would be answered by the other one. Never attach to it.
  if (await isPortOpen(port, HOST)) throw new Error(`EADDRINUSE: ${endpoint} is already in use by another process`);
  const logPath = join(workDir, 'emulator.log');
  // The emulator writes straight into the log file. Through a pipe, its async
  // logger held records back until the next one arrived, so a confirmation code
  // could sit unwritten until some later request: a regular file never blocks.
  const logFd = openSync(logPath, 'a');
  const emit = (line: string) => {
    appendFileSync(logPath, `${line}\n`);
    log(line);
  };

  const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port), HOST };
  delete env.NODE_OPTIONS; // the test runner's loaders have no business in the emulator
  delete env.DEBUG;
  let child: ChildProcess;
  try {
    child = spawn(process.execPath, ['-e', WRAPPER, emulatorEntryPoint()], {
      cwd: workDir,
      env,
      stdio: ['pipe', logFd, logFd],
      detached: true,
    });
  } finally {
    closeSync(logFd); // the child holds its own copy
  }
  const exited = new Promise<void>((resolveExit) => child.once('exit', () => resolveExit()));
  const tail = tailLines(logPath, log);

  const killGroup = (signal: NodeJS.Signals) => {
    if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
    try {
      process.kill(-child.pid, signal);
    } catch {
      child.kill(signal);
    }
  };
  const onParentExit = () => killGroup('SIGKILL');
  process.once('exit', onParentExit);

  const started = Date.now();
  try {
    await waitUntilReady(endpoint, child);
  } catch (error) {
    process.removeListener('exit', onParentExit);
    killGroup('SIGKILL');
    await exited;
    tail.stop();
    const recent = stripAnsi(readFileSync(logPath, 'utf8')).split(/\r?\n/).slice(-40);
    throw new Error(`cognito-local did not start on ${endpoint}: ${(error as Error).message}\n${recent.join('\n')}`, {
      cause: error,
    });
  }
  emit(`[cognito] ready on ${endpoint} in ${Date.now() - started} ms (PID ${child.pid}, data in ${join(workDir, '.cognito')})`);

  let stopping: Promise<void> | undefined;
  return {
    endpoint,
    port,
    stop() {
      stopping ??= (async () => {
        process.removeListener('exit', onParentExit);
        killGroup('SIGTERM');
        const timer = setTimeout(() => killGroup('SIGKILL'), STOP_TIMEOUT_MS);
        await exited;
        clearTimeout(timer);
        // The group may hold nothing else, but make sure of it.
        killGroup('SIGKILL');
        tail.stop();
      })();
      return stopping;
    },
  };
}

/** Follows the log file and hands each new line (colours removed) to `log`. */
function tailLines(path: string, log: (line: string) => void): { stop(): void } {
  let offset = statSync(path).size;
  let partial = '';
  const timer = setInterval(() => {
    let size: number;
    try {
      size = statSync(path).size;
    } catch {
      return;
    }
    if (size <= offset) return;
    const fd = openSync(path, 'r');
    try {
      const chunk = Buffer.alloc(size - offset);
      readSync(fd, chunk, 0, chunk.length, offset);
      offset = size;
      const lines = (partial + chunk.toString('utf8')).split(/\r?\n/);
      partial = lines.pop() ?? '';
      for (const line of lines) log(stripAnsi(line));
    } finally {
      closeSync(fd);
    }
  }, 200);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}

async function waitUntilReady(endpoint: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let exitedEarly: string | undefined;
  child.once('exit', (code, signal) => {
    exitedEarly = `the emulator exited (code ${code ?? 'null'}, signal ${signal ?? 'null'})`;
  });
  for (;;) {
    if (exitedEarly) throw new Error(exitedEarly);
    try {
      const response = await fetch(`${endpoint}/health`, { signal: AbortSignal.timeout(1_000) });
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`no answer from ${endpoint}/health within ${READY_TIMEOUT_MS} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}


// --- shared pools ---------------------------------------------------------------

/**
 * Makes sure every blueprint's pool exists in the Cognito at `options.endpoint`
 * (the emulator), with its groups and, when `sharedClients`, its two app
 * clients (public and Gatehouse), all from the same SDK mapping the API uses
 * for silo pools (user-pool-requests.ts).
 * Idempotent: pools are found by name and clients by name; only what is
 * missing is created, so running it on every start returns the same ids. A
 * pool whose MFA setting differs from the blueprint (e.g. a run interrupted
 * between CreateUserPool and SetUserPoolMfaConfig) is corrected.
 *
 * Issuers are the emulator's (`<endpoint>/<userPoolId>`), not AWS's.
 * Not safe against two processes running it at the same moment.
 */
export async function ensureSharedPools(
  client: CognitoIdentityProviderClient,
  blueprints: readonly UserPoolBlueprint[],
  options: { region: string; endpoint: string },
): Promise<Record<string, SharedPoolHandle>> {
  const existingPools = await listAllPools(client);
  const handles: Record<string, SharedPoolHandle> = {};
  for (const blueprint of blueprints) {
    const matches = existingPools.filter((pool) => pool.Name === blueprint.poolName);
    if (matches.length > 1) {
      throw new Error(`${matches.length} user pools are named "${blueprint.poolName}" (${matches.map((p) => p.Id).join(', ')}); expected one`);
    }
    let userPoolId = matches[0]?.Id;
    if (!userPoolId) {
      const created = await client.send(new CreateUserPoolCommand(toCreateUserPoolInput(blueprint)));
      userPoolId = created.UserPool?.Id;
      if (!userPoolId) throw new Error(`CreateUserPool for "${blueprint.poolName}" returned no pool id`);
    }
    await ensureMfa(client, blueprint, userPoolId);
    await ensureGroups(client, userPoolId, blueprint.groups);
    const clientId = blueprint.sharedClients ? await ensureClient(client, blueprint, blueprint.clients.public, userPoolId) : undefined;
    const gatehouseClientId = blueprint.sharedClients
      ? await ensureClient(client, blueprint, blueprint.clients.gatehouse, userPoolId)
      : undefined;
    handles[blueprint.key] = {
      userPoolId,
      ...(clientId ? { clientId } : {}),
      ...(gatehouseClientId ? { gatehouseClientId } : {}),
      issuer: emulatorIssuer(options.endpoint, userPoolId),
      region: options.region,
    };
  }
  return handles;
}

async function listAllPools(client: CognitoIdentityProviderClient): Promise<UserPoolDescriptionType[]> {
  const pools: UserPoolDescriptionType[] = [];
  let nextToken: string | undefined;
  do {
    const page = await client.send(new ListUserPoolsCommand({ MaxResults: 60, NextToken: nextToken }));
    pools.push(...(page.UserPools ?? []));
    nextToken = page.NextToken;
  } while (nextToken);
  return pools;
}

async function ensureMfa(client: CognitoIdentityProviderClient, blueprint: UserPoolBlueprint, userPoolId: string): Promise<void> {
  const wanted = toSetUserPoolMfaConfigInput(blueprint, userPoolId);
  const current = await client.send(new GetUserPoolMfaConfigCommand({ UserPoolId: userPoolId }));
  const currentMode = current.MfaConfiguration ?? 'OFF';
  const currentTotp = current.SoftwareTokenMfaConfiguration?.Enabled ?? false;
  if (currentMode === wanted.MfaConfiguration && currentTotp === wanted.SoftwareTokenMfaConfiguration?.Enabled) return;
  await client.send(new SetUserPoolMfaConfigCommand(wanted));
}

async function ensureGroups(client: CognitoIdentityProviderClient, userPoolId: string, groups: readonly string[]): Promise<void> {
  const existing: GroupType[] = [];
  let nextToken: string | undefined;
  do {
    const page = await client.send(new ListGroupsCommand({ UserPoolId: userPoolId, Limit: 60, NextToken: nextToken }));
    existing.push(...(page.Groups ?? []));
    nextToken = page.NextToken;
  } while (nextToken);
  const names = new Set(existing.map((group) => group.GroupName));
  for (const groupName of groups) {
    if (names.has(groupName)) continue;
    try {
      // cognito-local's CreateGroup silently overwrites an existing group, so we list first;
      // real Cognito answers GroupExistsException to a concurrent creator.
      await client.send(new CreateGroupCommand({ UserPoolId: userPoolId, GroupName: groupName, Description: `Gatehouse role "${groupName}"` }));
    } catch (error) {
      if ((error as { name?: string }).name !== 'GroupExistsException') throw error;
    }
  }
}

async function ensureClient(
  client: CognitoIdentityProviderClient,
  blueprint: UserPoolBlueprint,
  appClient: AppClientBlueprint,
  userPoolId: string,
): Promise<string> {
  const clients: UserPoolClientDescription[] = [];
  let nextToken: string | undefined;
  do {
    const page = await client.send(new ListUserPoolClientsCommand({ UserPoolId: userPoolId, MaxResults: 60, NextToken: nextToken }));
    clients.push(...(page.UserPoolClients ?? []));
    nextToken = page.NextToken;
  } while (nextToken);
  const matches = clients.filter((c) => c.ClientName === appClient.name);
  if (matches.length > 1) {
    throw new Error(`${matches.length} app clients are named "${appClient.name}" in ${userPoolId}; expected one`);
  }
  const found = matches[0]?.ClientId;
  if (found) return found;
  const created = await client.send(new CreateUserPoolClientCommand(toCreateUserPoolClientInput(blueprint, appClient, userPoolId)));
  const clientId = created.UserPoolClient?.ClientId;
  if (!clientId) throw new Error(`CreateUserPoolClient for "${appClient.name}" returned no client id`);
  return clientId;
}
