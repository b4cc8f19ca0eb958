/**
 * TokenVerifier's verified-token cache and its invalidation rules, with a real
 * registry, a real JwksKeyStore over a tiny JWKS endpoint, real RS256 tokens,
 * and (for the rules that live in principal resolution) the real guard and
 * PrincipalResolver over a fake user directory.
 */
import { type KeyObject, generateKeyPairSync, sign as cryptoSign } from 'node:crypto';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Controller, Get } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host.js';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AppConfig } from '../config/config.schema.js';
import { type AuthContext, requestContext } from '../tenancy/request-context.js';
import type { DirectoryUser, TenantUserDirectory } from '../tenants/tenant-user-directory.js';
import { Authenticated } from './access.decorators.js';
import { AccessGuard } from './access.guard.js';
import { IssuerRegistry, type TenantSnapshot } from './issuer-registry.js';
import { JwksKeyStore } from './jwks-key-store.js';
import { PrincipalResolver } from './principal-resolver.js';
import { tenantSnapshot } from './testing/tenant-snapshot.fixture.js';
import { TokenVerifier } from './token-verifier.js';
import type { TrustedIssuersService } from './trusted-issuers.service.js';

interface Key {
  readonly kid: string;
  readonly privateKey: KeyObject;
  readonly jwk: Record<string, unknown>;
}

function rsaKey(kid: string): Key {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { kid, privateKey, jwk: { ...publicKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' } };
}

function sign(claims: Record<string, unknown>, key: Key): string {
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const input = `${encode({ alg: 'RS256', kid: key.kid })}.${encode(claims)}`;
  return `${input}.${cryptoSign('sha256', Buffer.from(input), key.privateKey).toString('base64url')}`;
}

let server: Server;
let base: string;
let served: Key[] = [];

beforeAll(async () => {
  server = createServer((_request, response) => {
    response.setHeader('content-type', 'application/json');
    response.end(JSON.stringify({ keys: served.map((key) => key.jwk) }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const SILO_ID = '6f0f3c1e-2222-4a1a-8a1a-000000000001';
const POOL_ID = '6f0f3c1e-2222-4a1a-8a1a-000000000002';
const BRIDGE_ID = '6f0f3c1e-2222-4a1a-8a1a-000000000003';
const START = 1_800_000_000_000;

const alice: DirectoryUser = { id: 'user-alice', tenantId: POOL_ID, email: 'alice@acme.test', status: 'active', role: 'admin', mfaEnrolled: false };
const bob: DirectoryUser = { id: 'user-bob', tenantId: BRIDGE_ID, email: 'bob@bridge.test', status: 'active', role: 'member', mfaEnrolled: false };

function world() {
  const siloIssuer = `${base}/local_silo`;
  const poolIssuer = `${base}/local_basic`;
  const bridgeIssuer = `${base}/local_standard`;
  let clock = START;
  const registry = new IssuerRegistry(
    [
      { key: 'basic', issuer: poolIssuer, clientIds: ['basic-client'], pool: { kind: 'tier', tier: 'basic', model: 'pool' } },
      { key: 'standard', issuer: bridgeIssuer, clientIds: [], pool: { kind: 'tier', tier: 'standard', model: 'bridge' } },
    ],
    () => true,
  );
  const silo: TenantSnapshot = tenantSnapshot({
    id: SILO_ID,
    slug: 'silo',
    model: 'silo',
    tier: 'premium',
    issuer: siloIssuer,
    appClients: [{ clientId: 'silo-client', issuer: siloIssuer, userPoolId: 'local_silo' }],
  });
  const pool: TenantSnapshot = tenantSnapshot({ id: POOL_ID, slug: 'acme' });
  const bridge: TenantSnapshot = tenantSnapshot({
    id: BRIDGE_ID,
    slug: 'bridge',
    model: 'bridge',
    tier: 'standard',
    appClients: [{ clientId: 'bridge-client', issuer: bridgeIssuer, userPoolId: 'local_standard' }],
  });
  registry.upsertTenant(SILO_ID, silo);
  registry.upsertTenant(POOL_ID, pool);
  registry.upsertTenant(BRIDGE_ID, bridge);
  const keys = new JwksKeyStore({ refetchCooldownMs: 30_000, timeoutMs: 1_000, now: () => clock });
  // Every full verification looks its key up here first (a cached token does not).
  const getKey = vi.spyOn(keys, 'cachedKey');
  const issuers = { registry };
  const verifier = new TokenVerifier(issuers, keys, { clockSkewSeconds: 30, now: () => clock, maxCachedTokens: 100 });
  const claims = (issuer: string, extra: Record<string, unknown> = {}) => ({
    iss: issuer,
    sub: 'sub-alice',
    token_use: 'access',
    client_id: issuer === siloIssuer ? 'silo-client' : issuer === bridgeIssuer ? 'bridge-client' : 'basic-client',
    username: 'alice',
    'cognito:groups': ['admin'],
    iat: Math.floor(clock / 1000),
    exp: Math.floor(clock / 1000) + 600,
    ...extra,
  });
  /** A token verified twice: cached from then on (the first verification only marks it). */
  const admit = async (token: string) => {
    await verifier.verify(token);
    return verifier.verify(token);
  };
  return {
    registry,
    keys,
    getKey,
    verifier,
    admit,
    silo,
    pool,
    bridge,
    siloIssuer,
    poolIssuer,
    bridgeIssuer,
    claims,
    advance: (ms: number) => (clock += ms),
  };
}

let k1: Key;
let k2: Key;
beforeAll(() => {
  k1 = rsaKey('k1');
  k2 = rsaKey('k2');
});
beforeEach(() => {
  served = [k1, k2];
});

describe('TokenVerifier: the verified-token cache', () => {
  it('verifies a token in full on its first two uses, then answers the same token from the cache', async () => {
    const w = world();
    const token = sign(w.claims(w.siloIssuer), k1);
    await w.verifier.verify(token);
    expect(w.verifier.cachedTokens).toBe(0); // a first sighting is only marked
    const second = await w.verifier.verify(token);
    const again = await w.verifier.verify(token);
    expect(again).toBe(second);
    expect(again['sub']).toBe('sub-alice');
    expect(w.getKey).toHaveBeenCalledTimes(2);
    expect(w.verifier.cachedTokens).toBe(1);
    expect(Object.isFrozen(again)).toBe(true);
  });

  it('admits every token on its second use, whatever its signature hashes to', async () => {
    const w = world();
    // 24 tokens: their doorkeeper marks cover both halves of the 32-bit range (a signed/unsigned mix-up admitted none of one half).
    const tokens = Array.from({ length: 24 }, (_, index) => sign(w.claims(w.siloIssuer, { jti: `twice-${index}` }), k1));
    for (const token of tokens) await w.admit(token);
    expect(w.verifier.cachedTokens).toBe(24);
    w.getKey.mockClear();
    for (const token of tokens) await w.verifier.verify(token);
    expect(w.getKey).not.toHaveBeenCalled();
  });

  it('does not cache tokens used once: a flood of fresh tokens leaves the cache empty', async () => {
    const w = world();
    for (let index = 0; index < 20; index += 1) await w.verifier.verify(sign(w.claims(w.siloIssuer, { jti: `once-${index}` }), k1));
    expect(w.verifier.cachedTokens).toBe(0);
    expect(w.getKey).toHaveBeenCalledTimes(20);
  });

  it('matches whole tokens only: another payload under a cached signature is refused', async () => {
    const w = world();
    const token = sign(w.claims(w.siloIssuer), k1);
    await w.admit(token);
    expect(w.verifier.cachedTokens).toBe(1);
    const [header, , signature] = token.split('.');
    const forged = `${header}.${Buffer.from(JSON.stringify(w.claims(w.siloIssuer, { sub: 'sub-mallory' }))).toString('base64url')}.${signature}`;
    await expect(w.verifier.verify(forged)).rejects.toMatchObject({ status: 401, code: 'invalid_token' });
  });

  it('refuses a token with a character beyond ASCII, even one whose low byte spells the signed input', async () => {
    const w = world();
    // A payload whose last base64url character encodes a trailing space only: a decoder that skips
    // a foreign character there still reads the same JSON, so only the signed-input check can tell.
    let json = `${JSON.stringify(w.claims(w.siloIssuer))} `;
    while (Buffer.byteLength(json) % 3 !== 0) json += ' ';
    const encode = (text: string) => Buffer.from(text).toString('base64url');
    const input = `${encode(JSON.stringify({ alg: 'RS256', kid: k1.kid }))}.${encode(json)}`;
    const token = `${input}.${cryptoSign('sha256', Buffer.from(input), k1.privateKey).toString('base64url')}`;
    expect((await w.verifier.verify(token))['sub']).toBe('sub-alice');
    const last = input.length - 1;
    // U+0100 + c: latin1 writes its low byte, which is c itself.
    const aliased = `${token.slice(0, last)}${String.fromCharCode(0x100 + token.charCodeAt(last))}${token.slice(last + 1)}`;
    await expect(w.verifier.verify(aliased)).rejects.toMatchObject({ status: 401, code: 'invalid_token' });
  });

  it('never caches a failure', async () => {
    const w = world();
    const token = sign(w.claims(w.siloIssuer), k1);
    const broken = `${token.slice(0, -4)}AAAA`;
    await expect(w.verifier.verify(broken)).rejects.toMatchObject({ code: 'invalid_token' });
    await expect(w.verifier.verify(broken)).rejects.toMatchObject({ code: 'invalid_token' });
    expect(w.verifier.cachedTokens).toBe(0);
  });

  it('never outlives the token’s exp: from exp on, the token is verified again (with the clock skew) and then refused', async () => {
    const w = world();
    const token = sign(w.claims(w.siloIssuer, { exp: Math.floor(START / 1000) + 60 }), k1);
    await w.admit(token);
    w.advance(59_000);
    await w.verifier.verify(token);
    expect(w.getKey).toHaveBeenCalledTimes(2);
    w.advance(1_000); // exactly exp: the cache no longer answers, full verification does (30 s skew)
    await w.verifier.verify(token);
    expect(w.getKey).toHaveBeenCalledTimes(3);
    w.advance(30_000);
    await expect(w.verifier.verify(token)).rejects.toMatchObject({ status: 401, code: 'token_expired' });
  });

  it('drops entries when the tenant’s issuer leaves the registry (tenant deleted)', async () => {
    const w = world();
    const token = sign(w.claims(w.siloIssuer), k1);
    await w.admit(token);
    w.registry.upsertTenant(SILO_ID, null);
    await expect(w.verifier.verify(token)).rejects.toMatchObject({ status: 401, code: 'untrusted_issuer' });
    expect(w.verifier.cachedTokens).toBe(0);
  });

  it('drops entries when the issuer is re-registered (new registry entry): the token is verified again', async () => {
    const w = world();
    const token = sign(w.claims(w.siloIssuer), k1);
    await w.admit(token);
    w.registry.upsertTenant(SILO_ID, { ...w.silo });
    await w.verifier.verify(token);
    expect(w.getKey).toHaveBeenCalledTimes(3);
  });

  it('drops entries when a JWKS refetch removes the signing key', async () => {
    const w = world();
    const token = sign(w.claims(w.siloIssuer), k1);
    await w.admit(token);
    served = [k2, rsaKey('k3')];
    w.advance(31_000); // past the refetch cool-down
    // A token with a kid the store has not seen makes it refetch the issuer's JWKS.
    await w.verifier.verify(sign(w.claims(w.siloIssuer), served[1]!));
    await expect(w.verifier.verify(token)).rejects.toMatchObject({ status: 401, code: 'unknown_signing_key' });
  });

  it('drops entries when a refetch changes the key behind the same kid', async () => {
    const w = world();
    const token = sign(w.claims(w.siloIssuer), k1);
    await w.admit(token);
    const replaced = rsaKey('k1');
    served = [replaced, rsaKey('k4')];
    w.advance(31_000);
    await w.verifier.verify(sign(w.claims(w.siloIssuer), served[1]!));
    await expect(w.verifier.verify(token)).rejects.toMatchObject({ status: 401, code: 'invalid_token' });
    await w.verifier.verify(sign(w.claims(w.siloIssuer), replaced));
  });

  it('is bounded: the least recently used token is dropped first', async () => {
    const w = world();
    const verifier = new TokenVerifier({ registry: w.registry }, w.keys, { clockSkewSeconds: 30, maxCachedTokens: 2, now: () => START });
    const [a, b, c] = ['a', 'b', 'c'].map((jti) => sign(w.claims(w.siloIssuer, { jti }), k1)) as [string, string, string];
    for (const token of [a, a, b, b]) await verifier.verify(token); // both admitted
    await verifier.verify(a); // a is now the most recently used
    for (const token of [c, c]) await verifier.verify(token); // c admitted: b goes
    expect(verifier.cachedTokens).toBe(2);
    w.getKey.mockClear();
    await verifier.verify(a);
    expect(w.getKey).not.toHaveBeenCalled();
    await verifier.verify(b);
    expect(w.getKey).toHaveBeenCalledTimes(1);
  });

  it('can be turned off', async () => {
    const w = world();
    const verifier = new TokenVerifier({ registry: w.registry }, w.keys, { clockSkewSeconds: 30, maxCachedTokens: 0, now: () => START });
    const token = sign(w.claims(w.siloIssuer), k1);
    await verifier.verify(token);
    await verifier.verify(token);
    expect(w.getKey).toHaveBeenCalledTimes(2);
    expect(verifier.cachedTokens).toBe(0);
  });
});

@Controller('things')
class ThingsController {
  @Get()
  @Authenticated()
  list(): void {}
}

describe('AccessGuard with a cached token: tenant, user and roles are still resolved on every request', () => {
  async function guarded(model: 'pool' | 'bridge' = 'pool') {
    const w = world();
    let user: DirectoryUser | undefined = model === 'pool' ? alice : bob;
    const issuer = model === 'pool' ? w.poolIssuer : w.bridgeIssuer;
    const lookup = (from: string, subject: string) => (from === issuer && subject === 'sub-alice' ? user : undefined);
    // Both of the directory's answers: from its cache (the guard stays synchronous) and from Postgres.
    const users = {
      cachedByIssuerSubject: lookup,
      findByIssuerSubject: async (from: string, subject: string) => lookup(from, subject),
      provisionJustInTime: async () => {
        throw new Error('no just-in-time users in this spec');
      },
    } as unknown as TenantUserDirectory;
    const config = { env: { PUBLIC_BASE_DOMAIN: 'app.test' } } as unknown as AppConfig;
    const resolver = new PrincipalResolver(config, { registry: w.registry } as unknown as TrustedIssuersService, users);
    const guard = new AccessGuard(new Reflector(), w.verifier, resolver);
    const token = sign(w.claims(issuer), k1);
    await w.verifier.verify(token); // its first sighting: the guard's first call admits it to the cache
    const call = () => {
      const store: { requestId: string; auth?: AuthContext } = { requestId: 'spec' };
      const request = { headers: { authorization: `Bearer ${token}` }, hostname: 'api.test' };
      return requestContext.run(store, async () => {
        await guard.canActivate(new ExecutionContextHost([request, {}], ThingsController, ThingsController.prototype.list));
        return store.auth;
      });
    };
    return { ...w, call, setUser: (next: DirectoryUser | undefined) => (user = next) };
  }

  it('admits the cached token while everything holds', async () => {
    const g = await guarded();
    expect((await g.call())?.tenantId).toBe(POOL_ID);
    expect((await g.call())?.roles).toEqual(['admin']);
    expect((await g.call())?.roles).toEqual(['admin']);
    expect(g.getKey).toHaveBeenCalledTimes(2); // the first sighting and the admitting call; then the cache
  });

  it('refuses it once the tenant is suspended (403 tenant_suspended)', async () => {
    const g = await guarded();
    await g.call();
    g.registry.upsertTenant(POOL_ID, { ...g.pool, status: 'suspended' });
    await expect(g.call()).rejects.toMatchObject({ status: 403, code: 'tenant_suspended' });
  });

  it('refuses it once the tenant is deleted (401)', async () => {
    const g = await guarded();
    await g.call();
    g.registry.upsertTenant(POOL_ID, null);
    await expect(g.call()).rejects.toMatchObject({ status: 401, code: 'untrusted_issuer' });
  });

  it('refuses it once the user is disabled (403 user_disabled), and once the user is gone (401)', async () => {
    const g = await guarded();
    await g.call();
    g.setUser({ ...alice, status: 'disabled' });
    await expect(g.call()).rejects.toMatchObject({ status: 403, code: 'user_disabled' });
    g.setUser(undefined);
    await expect(g.call()).rejects.toMatchObject({ status: 401, code: 'unknown_user' });
  });

  it('applies a demotion at once: the token’s admin group is capped by the stored role', async () => {
    const g = await guarded();
    expect((await g.call())?.roles).toEqual(['admin']);
    g.setUser({ ...alice, role: 'viewer' });
    expect((await g.call())?.roles).toEqual(['viewer']);
  });

  it('refuses it once a bridge tenant’s app client is removed (401 unknown_client), though the shared pool entry is unchanged', async () => {
    const g = await guarded('bridge');
    expect((await g.call())?.tenantId).toBe(BRIDGE_ID);
    g.registry.upsertTenant(BRIDGE_ID, { ...g.bridge, appClients: [] });
    await expect(g.call()).rejects.toMatchObject({ status: 401, code: 'unknown_client' });
    expect(g.getKey).toHaveBeenCalledTimes(2); // the token itself still came from the cache
  });
});
