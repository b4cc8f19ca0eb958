/**
 * Real HTTP servers (node:http, 127.0.0.1, a port chosen by the kernel) for
 * token-verification tests:
 *
 * - `startJwksServer()`: a fake issuer whose JWKS lives at
 *   `<issuer>/.well-known/jwks.json` (Cognito's layout). Keys can be added and
 *   rotated out; an outage (`setDown`) is real — the connection is reset, or
 *   answered 503 — and latency can be added. Every request is logged by path.
 * - `startCanaryServer()`: counts every request it gets. Point `jku`/`x5u`
 *   headers or an unknown issuer at it, then assert `hits() === 0`: proof that
 *   Gatehouse never fetched an attacker-supplied URL.
 */
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { PublicJwk, TestKey } from './jwt.js';

export type OutageMode = 'reset' | '503';

export interface JwksServer {
  /** `http://127.0.0.1:<port><path>` */
  readonly issuer: string;
  /** `<issuer>/.well-known/jwks.json` */
  readonly jwksUri: string;
  /** Serves the key's public JWK (a `TestKey` or a JWK with a `kid`); replaces a key with the same kid. */
  addKey(key: TestKey | PublicJwk): void;
  removeKey(kid: string): void;
  /** The JWKS as currently served. */
  keys(): PublicJwk[];
  /** Requests received for the JWKS path so far, including those refused by an outage. */
  requests(): number;
  resetRequests(): void;
  /** Every request received, in order, as `<path><query>` (JWKS and anything else). */
  requestLog(): string[];
  /** While down, JWKS requests fail: the socket is destroyed (`reset`, default) or answered 503. */
  setDown(down: boolean, mode?: OutageMode): void;
  /** Added before every answer (0 = none). */
  setDelay(ms: number): void;
  stop(): Promise<void>;
}

export interface JwksServerOptions {
  /** The issuer's path on the server, e.g. `/us-east-1_Fake` (default: none). */
  readonly path?: string;
  readonly keys?: readonly (TestKey | PublicJwk)[];
}

export async function startJwksServer(options: JwksServerOptions = {}): Promise<JwksServer> {
  const path = normalisePath(options.path ?? '');
  const jwksPath = `${path}/.well-known/jwks.json`;
  const keys = new Map<string, PublicJwk>();
  const log: string[] = [];
  let jwksRequests = 0;
  let down: OutageMode | undefined;
  let delayMs = 0;

  const addKey = (key: TestKey | PublicJwk) => {
    const jwk = isTestKey(key) ? key.jwk : key;
    keys.set(jwk.kid, jwk);
  };
  for (const key of options.keys ?? []) addKey(key);

  const http = await listen(async (req, res) => {
    const url = req.url ?? '/';
    log.push(url);
    const pathname = url.split('?')[0];
    const isJwks = pathname === jwksPath && (req.method === 'GET' || req.method === 'HEAD');
    if (isJwks) jwksRequests += 1;
    if (delayMs > 0) await sleep(delayMs);
    if (isJwks && down === 'reset') {
      req.socket.destroy();
      return;
    }
    if (isJwks && down === '503') {
      sendJson(res, 503, { message: 'Service Unavailable' }, { 'Retry-After': '1' });
      return;
    }
    if (isJwks) {
      sendJson(res, 200, { keys: [...keys.values()] }, { 'Cache-Control': 'max-age=300' });
      return;
    }
    sendJson(res, 404, { message: 'not found' });
  });

  const issuer = `${http.origin}${path}`;
  return {
    issuer,
    jwksUri: `${issuer}/.well-known/jwks.json`,
    addKey,
    removeKey: (kid) => void keys.delete(kid),
    keys: () => [...keys.values()],
    requests: () => jwksRequests,
    resetRequests: () => {
      jwksRequests = 0;
    },
    requestLog: () => [...log],
    setDown: (isDown, mode = 'reset') => {
      down = isDown ? mode : undefined;
    },
    setDelay: (ms) => {
      delayMs = Math.max(0, ms);
    },
    stop: http.stop,
  };
}

export interface CanaryServer {
  /** `http://127.0.0.1:<port>` — any path on it counts. */
  readonly url: string;
  hits(): number;
  /** Every request received, in order, as `<METHOD> <path><query>`. */
  requestLog(): string[];
  stop(): Promise<void>;
}

export interface CanaryServerOptions {
  /**
   * What it answers (200, JSON). Give it an attacker's JWKS so that a verifier
   * which did follow a `jku` would actually succeed — the test must then fail
   * on the hit count, not on a lucky fetch error. Default `{ keys: [] }`.
   */
  readonly body?: unknown;
}

export async function startCanaryServer(options: CanaryServerOptions = {}): Promise<CanaryServer> {
  const log: string[] = [];
  const body = options.body ?? { keys: [] };
  const http = await listen((req, res) => {
    log.push(`${req.method ?? 'GET'} ${req.url ?? '/'}`);
    sendJson(res, 200, body);
  });
  return { url: http.origin, hits: () => log.length, requestLog: () => [...log], stop: http.stop };
}

// --- shared plumbing ----------------------------------------------------------

interface Listening {
  readonly server: Server;
  readonly origin: string;
  stop(): Promise<void>;
}

async function listen(handler: (req: IncomingMessage, res: ServerResponse) => void | Promise<void>): Promise<Listening> {
  const server = createServer((req, res) => {
    Promise.resolve(handler(req, res)).catch((error: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { message: String(error) });
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 1_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0 }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  let stopping: Promise<void> | undefined;
  return {
    server,
    origin: `http://127.0.0.1:${port}`,
    stop() {
      stopping ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return stopping;
    },
  };
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

function normalisePath(path: string): string {
  const trimmed = path.replace(/\/+$/, '');
  if (trimmed === '') return '';
  return trimmed.startsWith('/') ? trimmed : `/${trimmed}`;
}

function isTestKey(key: TestKey | PublicJwk): key is TestKey {
  return 'privateKey' in key && 'publicKey' in key;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
