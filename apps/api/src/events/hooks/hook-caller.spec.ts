import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateWebhookSecret, verifyMessage } from '../standard-webhooks.js';
import { HookCaller } from './hook-caller.js';
import { preSignUpAnswer, tokenEnrichmentAnswer } from './hook-contract.js';

type Handler = (request: IncomingMessage, body: string, response: ServerResponse) => void;

let server: Server;
let base: string;
const handlers = new Map<string, Handler>();
const sockets = new Set<import('node:net').Socket>();

beforeAll(async () => {
  server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => handlers.get(request.url ?? '')?.(request, body, response));
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise((resolve) => server.close(resolve));
});

const secret = generateWebhookSecret();
const local = new HookCaller({ allowPrivateAddresses: true });

describe(HookCaller.name, () => {
  it('POSTs the JSON payload signed so that an independent check accepts it, and returns the answer', async () => {
    let seen: { headers: IncomingMessage['headers']; body: string } | undefined;
    handlers.set('/ok', (request, body, response) => {
      seen = { headers: request.headers, body };
      response.setHeader('content-type', 'application/json');
      response.end('{"decision":"allow"}');
    });
    const sut = await local.call({ url: `${base}/ok`, secret, timeoutMs: 2000 }, { type: 'pre_sign_up' });
    expect(sut).toMatchObject({ ok: true, body: { decision: 'allow' } });
    expect(JSON.parse(seen!.body)).toEqual({ type: 'pre_sign_up' });
    const headers = seen!.headers as Record<string, string>;
    expect(verifyMessage(secret, headers, seen!.body)).toEqual({ ok: true });
    expect(verifyMessage(generateWebhookSecret(), headers, seen!.body)).toEqual({ ok: false, reason: 'no_matching_signature' });
  });

  it('gives up at the timeout when the hook never answers', async () => {
    handlers.set('/hang', () => undefined);
    const sut = await local.call({ url: `${base}/hang`, secret, timeoutMs: 150 }, {});
    expect(sut).toMatchObject({ ok: false, reason: 'timeout' });
  });

  it.each([
    ['/error', 'status', (_q: IncomingMessage, _b: string, r: ServerResponse) => r.writeHead(500).end('{"decision":"allow"}')],
    ['/redirect', 'status', (_q: IncomingMessage, _b: string, r: ServerResponse) => r.writeHead(307, { location: `${base}/ok` }).end()],
    ['/garbage', 'not_json', (_q: IncomingMessage, _b: string, r: ServerResponse) => r.end('<html>allow</html>')],
    ['/huge', 'too_large', (_q: IncomingMessage, _b: string, r: ServerResponse) => r.end(`{"decision":"allow","pad":"${'x'.repeat(100_000)}"}`)],
  ] as const)('reports %s as a failure (%s)', async (path, reason, handler) => {
    handlers.set(path, handler);
    expect(await local.call({ url: `${base}${path}`, secret, timeoutMs: 2000 }, {})).toMatchObject({ ok: false, reason });
  });

  it('refuses private addresses in AWS mode and credentials in every mode, without calling', async () => {
    const aws = new HookCaller({ allowPrivateAddresses: false });
    expect(await aws.call({ url: `${base}/ok`, secret, timeoutMs: 500 }, {})).toMatchObject({ ok: false, reason: 'refused_url' });
    expect(await aws.call({ url: 'https://169.254.169.254/latest', secret, timeoutMs: 500 }, {})).toMatchObject({ ok: false, reason: 'refused_url' });
    expect(await local.call({ url: `http://user:pw@127.0.0.1:1/`, secret, timeoutMs: 500 }, {})).toMatchObject({ ok: false, reason: 'refused_url' });
    const rebinding = new HookCaller({ allowPrivateAddresses: false, resolve: async () => ['10.0.0.7'] });
    expect(await rebinding.call({ url: 'https://hooks.example.com/x', secret, timeoutMs: 500 }, {})).toMatchObject({ ok: false, reason: 'refused_url' });
  });
});

describe('hook answers', () => {
  it('never let a pre sign-up hook make an admin', () => {
    expect(preSignUpAnswer.safeParse({ decision: 'allow', role: 'admin' }).success).toBe(false);
    expect(preSignUpAnswer.safeParse({ decision: 'allow', role: 'viewer' }).success).toBe(true);
    expect(preSignUpAnswer.safeParse({ decision: 'deny', message: 'no\nnewlines' }).success).toBe(false);
    expect(preSignUpAnswer.safeParse({ decision: 'maybe' }).success).toBe(false);
  });

  it('refuse enrichment claims that look like roles, tenants or token fields', () => {
    expect(tokenEnrichmentAnswer.safeParse({ claims: { plan: 'pro', seats: 3 } }).success).toBe(true);
    for (const name of ['roles', 'tenant_id', 'tenantid', 'groups', 'sub']) {
      expect(tokenEnrichmentAnswer.safeParse({ claims: { [name]: 'admin' } }).success, name).toBe(false);
    }
    expect(tokenEnrichmentAnswer.safeParse({ claims: { plan: { nested: true } } }).success).toBe(false);
    expect(tokenEnrichmentAnswer.safeParse({ claims: {}, extra: 1 }).success).toBe(false);
  });
});
