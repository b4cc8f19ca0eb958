import { generateKeyPairSync } from 'node:crypto';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SigningKeysUnavailableError, UnauthenticatedError } from './auth.errors.js';
import { JwksKeyStore } from './jwks-key-store.js';

/** A tiny JWKS endpoint (a fake IdP is fine in a unit spec): counts fetches, can go down. */
function jwk(kid: string) {
  const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { ...publicKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' };
}

let server: Server;
let uri: string;
let served: object[] = [];
let fetches = 0;
let down = false;

beforeAll(async () => {
  server = createServer((_request, response) => {
    fetches += 1;
    if (down) {
      response.socket?.destroy();
      return;
    }
    response.setHeader('content-type', 'application/json');
    response.end(JSON.stringify({ keys: served }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  uri = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

function store() {
  let clock = 1_000_000;
  const sut = new JwksKeyStore({ refetchCooldownMs: 30_000, timeoutMs: 1_000, now: () => clock });
  return { sut, advance: (ms: number) => (clock += ms) };
}

describe(JwksKeyStore.name, () => {
  it('fetches an issuer’s keys once and serves them from memory', async () => {
    served = [jwk('a')];
    fetches = 0;
    const { sut } = store();
    await sut.getKey('iss-1', uri, 'a');
    await sut.getKey('iss-1', uri, 'a');
    expect(fetches).toBe(1);
  });

  it('refetches at most once per cool-down window for unknown kids, however many arrive at once', async () => {
    served = [jwk('a')];
    fetches = 0;
    const { sut, advance } = store();
    await sut.getKey('iss-2', uri, 'a');
    advance(31_000);
    const results = await Promise.allSettled(Array.from({ length: 25 }, (_, i) => sut.getKey('iss-2', uri, `unknown-${i}`)));
    expect(results.every((result) => result.status === 'rejected')).toBe(true);
    expect(fetches).toBe(2);
    await expect(sut.getKey('iss-2', uri, 'still-unknown')).rejects.toMatchObject({ code: 'unknown_signing_key' });
    expect(fetches).toBe(2);
    advance(31_000);
    served = [...served, jwk('rotated-in')];
    await expect(sut.getKey('iss-2', uri, 'rotated-in')).resolves.toBeDefined();
    expect(fetches).toBe(3);
  });

  it('keeps serving cached keys while the endpoint is down, and says so for uncached ones', async () => {
    served = [jwk('a')];
    const { sut, advance } = store();
    await sut.getKey('iss-3', uri, 'a');
    down = true;
    try {
      advance(31_000);
      await expect(sut.getKey('iss-3', uri, 'a')).resolves.toBeDefined();
      const failure = await sut.getKey('iss-3', uri, 'new').catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(SigningKeysUnavailableError);
      expect(failure).toMatchObject({ status: 503, code: 'signing_key_unavailable' });
      expect(Number((failure as SigningKeysUnavailableError).headers['retry-after'])).toBeGreaterThan(0);
      // Inside the cool-down after the failed fetch: still 503 (we know nothing new), and no new fetch.
      const fetchesBefore = fetches;
      await expect(sut.getKey('iss-3', uri, 'other')).rejects.toBeInstanceOf(SigningKeysUnavailableError);
      expect(fetches).toBe(fetchesBefore);
    } finally {
      down = false;
    }
  });

  it('drops a key the issuer no longer publishes after the next fetch', async () => {
    served = [jwk('old'), jwk('current')];
    const { sut, advance } = store();
    await sut.getKey('iss-4', uri, 'old');
    const generation = sut.generation('iss-4');
    served = served.filter((key) => (key as { kid: string }).kid !== 'old');
    advance(31_000);
    await sut.getKey('iss-4', uri, 'current').catch(() => undefined);
    await expect(sut.getKey('iss-4', uri, 'missing')).rejects.toBeInstanceOf(UnauthenticatedError);
    await expect(sut.getKey('iss-4', uri, 'old')).rejects.toMatchObject({ code: 'unknown_signing_key' });
    expect(sut.generation('iss-4')).toBeGreaterThan(generation);
  });

  it('refuses a token without a kid without fetching', async () => {
    fetches = 0;
    const { sut } = store();
    await expect(sut.getKey('iss-5', uri, undefined)).rejects.toMatchObject({ code: 'unknown_signing_key' });
    expect(fetches).toBe(0);
  });
});
