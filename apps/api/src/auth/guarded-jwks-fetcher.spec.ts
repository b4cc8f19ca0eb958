/**
 * The JWKS fetcher against real HTTP servers on loopback: private addresses
 * are refused in AWS mode before any connection (also when a name only turns
 * private at fetch time: DNS rebinding), and a redirect is never followed.
 */
import { type Server, createServer as createHttpServer } from 'node:http';
import { type AddressInfo, type Server as TcpServer, createServer as createTcpServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createGuardedJwksFetcher } from './guarded-jwks-fetcher.js';

const JWKS = { keys: [{ kty: 'RSA', kid: 'k1', n: 'AQAB', e: 'AQAB' }] };
const closers: (() => Promise<void>)[] = [];

afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

async function listen<T extends Server | TcpServer>(server: T): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return (server.address() as AddressInfo).port;
}

/** A TCP server that only counts connection attempts (whatever protocol the client speaks). */
async function connectionCounter(): Promise<{ port: number; connections: () => number }> {
  let connections = 0;
  const server = createTcpServer((socket) => {
    connections += 1;
    socket.destroy();
  });
  return { port: await listen(server), connections: () => connections };
}

describe(createGuardedJwksFetcher.name, () => {
  it('in AWS mode, refuses loopback in any spelling without connecting', async () => {
    const target = await connectionCounter();
    const sut = createGuardedJwksFetcher({ allowPrivateAddresses: false, timeoutMs: 2000 });
    for (const host of ['127.0.0.1', '127.1', '2130706433', '0x7f000001', '[::ffff:127.0.0.1]', 'localhost']) {
      await expect(sut(`https://${host}:${target.port}/jwks`)).rejects.toThrow(/address|public host/);
    }
    expect(target.connections()).toBe(0);
  });

  it('in AWS mode, refuses a name that resolves to a private address at fetch time (DNS rebinding)', async () => {
    const target = await connectionCounter();
    let answer = '93.184.216.34'; // what the name resolved to when it was registered
    const sut = createGuardedJwksFetcher({ allowPrivateAddresses: false, timeoutMs: 2000, resolve: async () => [answer] });
    answer = '127.0.0.1'; // ... and what it resolves to now
    await expect(sut(`https://idp.example.com:${target.port}/jwks`)).rejects.toThrow(/resolve to a loopback/);
    expect(target.connections()).toBe(0);
  });

  it('connects to the address it checked, not to a second answer of the resolver', async () => {
    const served = createHttpServer((_request, response) => {
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify(JWKS));
    });
    const port = await listen(served);
    let lookups = 0;
    // Local mode (loopback allowed): a resolver that would answer differently the second time is asked once.
    const sut = createGuardedJwksFetcher({
      allowPrivateAddresses: true,
      timeoutMs: 2000,
      resolve: async () => {
        lookups += 1;
        return lookups === 1 ? ['127.0.0.1'] : ['10.9.9.9'];
      },
    });
    expect(await sut(`http://idp.example.com:${port}/jwks`)).toEqual(JWKS);
    expect(lookups).toBe(1);
  });

  it('does not follow a redirect', async () => {
    let redirectedTo = 0;
    const destination = createHttpServer((_request, response) => {
      redirectedTo += 1;
      response.end(JSON.stringify(JWKS));
    });
    const destinationPort = await listen(destination);
    const redirecting = createHttpServer((_request, response) => {
      response.statusCode = 302;
      response.setHeader('location', `http://127.0.0.1:${destinationPort}/jwks`);
      response.end();
    });
    const port = await listen(redirecting);
    const sut = createGuardedJwksFetcher({ allowPrivateAddresses: true, timeoutMs: 2000 });
    await expect(sut(`http://127.0.0.1:${port}/jwks`)).rejects.toThrow(/302; redirects are not followed/);
    expect(redirectedTo).toBe(0);
  });

  it('refuses an oversized document and one without keys', async () => {
    const server = createHttpServer((request, response) => {
      response.end(request.url === '/big' ? JSON.stringify({ keys: [], pad: 'x'.repeat(4096) }) : JSON.stringify({ nope: true }));
    });
    const port = await listen(server);
    const sut = createGuardedJwksFetcher({ allowPrivateAddresses: true, timeoutMs: 2000, maxBytes: 1024 });
    await expect(sut(`http://127.0.0.1:${port}/big`)).rejects.toThrow(/too large/);
    await expect(sut(`http://127.0.0.1:${port}/none`)).rejects.toThrow(/no keys/);
  });
});
