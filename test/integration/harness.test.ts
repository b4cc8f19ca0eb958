/**
 * The attack-test harness itself: the JWT forger, the JWKS and canary servers,
 * a real oidc-provider as an external IdP, and the Cognito emulator helpers.
 * If these lie, every token-guard suite built on them proves nothing.
 */
import { type JsonWebKey, type KeyObject, createHmac, createPublicKey, verify as cryptoVerify } from 'node:crypto';
import jwksRsa from 'jwks-rsa';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { emulatorJwksUri } from '../../tools/local-stack/cognito.js';
import { createAppClient, createCognitoUser, createUserPool, signInWithPassword } from '../support/cognito-users.js';
import { uniqueEmail, uniqueSlug, uniqueSuffix } from '../support/factories.js';
import { type CanaryServer, type JwksServer, startCanaryServer, startJwksServer } from '../support/jwks-server.js';
import { decodeJwt, generateEcKey, generateRsaKey, signJwt, tamperPayload } from '../support/jwt.js';
import { type TestOidcProvider, startOidcProvider } from '../support/oidc-provider.js';

const HASH_OF: Record<string, string> = { RS256: 'sha256', RS384: 'sha384', ES256: 'sha256' };

/** Verifies a compact JWS with node:crypto, independently of the forger's code path. */
function verifiesWith(token: string, key: KeyObject, alg = decodeJwt(token).header['alg'] as string): boolean {
  const [header, payload, signature] = token.split('.') as [string, string, string];
  const hash = HASH_OF[alg];
  if (!hash) throw new Error(`no verifier for ${alg}`);
  return cryptoVerify(
    hash,
    Buffer.from(`${header}.${payload}`),
    alg.startsWith('ES') ? { key, dsaEncoding: 'ieee-p1363' } : key,
    Buffer.from(signature, 'base64url'),
  );
}

async function fetchJwks(uri: string): Promise<Array<JsonWebKey & { kid: string }>> {
  const response = await fetch(uri);
  expect(response.status).toBe(200);
  return ((await response.json()) as { keys: Array<JsonWebKey & { kid: string }> }).keys;
}

async function keyFromJwks(uri: string, kid: string): Promise<KeyObject> {
  const jwk = (await fetchJwks(uri)).find((candidate) => candidate.kid === kid);
  if (!jwk) throw new Error(`kid ${kid} is not in ${uri}`);
  return createPublicKey({ key: jwk, format: 'jwk' });
}

const now = () => Math.floor(Date.now() / 1000);

describe('JWT forger', () => {
  let jwks: JwksServer;

  beforeAll(async () => {
    jwks = await startJwksServer({ path: '/us-east-1_Forged' });
  });
  afterAll(() => jwks.stop());

  it('signs RS256 tokens that verify against the key served by the JWKS server', async () => {
    const key = generateRsaKey();
    jwks.addKey(key);
    const token = signJwt({ iss: jwks.issuer, sub: 'u-1', exp: now() + 60 }, { alg: 'RS256', key: key.privateKey, kid: key.kid });

    const { header, payload } = decodeJwt(token);
    expect(header).toEqual({ alg: 'RS256', typ: 'JWT', kid: key.kid });
    expect(payload['iss']).toBe(jwks.issuer);
    const served = await keyFromJwks(jwks.jwksUri, key.kid);
    expect(verifiesWith(token, served)).toBe(true);
    expect(verifiesWith(tamperPayload(token, { sub: 'u-2' }), served)).toBe(false);
    // Another key with the same claims does not verify: the check is real.
    const other = generateRsaKey(key.kid);
    expect(verifiesWith(signJwt({ sub: 'u-1' }, { alg: 'RS256', key: other.privateKey, kid: key.kid }), served)).toBe(false);
  });

  it('signs RS384 and ES256 tokens with the matching algorithms', () => {
    const rsa = generateRsaKey();
    const ec = generateEcKey();
    expect(ec.jwk).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig', kid: ec.kid });
    expect(ec.jwk).not.toHaveProperty('d');
    expect(rsa.jwk).not.toHaveProperty('d');

    const rs384 = signJwt({ sub: 'x' }, { alg: 'RS384', key: rsa.privateKey });
    expect(verifiesWith(rs384, rsa.publicKey, 'RS384')).toBe(true);
    expect(verifiesWith(rs384, rsa.publicKey, 'RS256')).toBe(false);
    const es256 = signJwt({ sub: 'x' }, { alg: 'ES256', key: ec.privateKey, kid: ec.kid });
    expect(Buffer.from(es256.split('.')[2] as string, 'base64url')).toHaveLength(64);
    expect(verifiesWith(es256, createPublicKey({ key: ec.jwk, format: 'jwk' }))).toBe(true);
  });

  it.each(['none', 'NONE', 'nOnE'])('produces alg %s tokens with an empty signature', (alg) => {
    const token = signJwt({ sub: 'admin' }, { alg, kid: 'CognitoLocal' });
    expect(token.endsWith('.')).toBe(true);
    expect(token.split('.')).toHaveLength(3);
    expect(decodeJwt(token)).toEqual({ header: { alg, typ: 'JWT', kid: 'CognitoLocal' }, payload: { sub: 'admin' }, signature: '' });
  });

  it('produces HS256 tokens keyed with the issuer public key PEM (algorithm confusion)', () => {
    const issuerKey = generateRsaKey('CognitoLocal');
    const pem = issuerKey.publicKey.export({ type: 'spki', format: 'pem' }) as string;
    const withPem = signJwt({ sub: 'admin' }, { alg: 'HS256', key: pem, kid: issuerKey.kid });
    const withKeyObject = signJwt({ sub: 'admin' }, { alg: 'HS256', key: issuerKey.publicKey, kid: issuerKey.kid });

    expect(decodeJwt(withPem).header).toEqual({ alg: 'HS256', typ: 'JWT', kid: 'CognitoLocal' });
    const [header, payload, signature] = withPem.split('.') as [string, string, string];
    const expected = createHmac('sha256', pem).update(`${header}.${payload}`).digest('base64url');
    expect(signature).toBe(expected);
    expect(withKeyObject).toBe(withPem);
  });

  it('puts attacker-controlled header fields in, overriding or removing defaults', () => {
    const attacker = generateRsaKey();
    const token = signJwt(
      { sub: 'x' },
      {
        alg: 'RS256',
        key: attacker.privateKey,
        kid: attacker.kid,
        header: { jku: 'http://127.0.0.1:1/jwks.json', x5u: 'http://127.0.0.1:1/cert.pem', jwk: attacker.jwk, typ: undefined },
      },
    );
    const { header } = decodeJwt(token);
    expect(header).toEqual({ alg: 'RS256', kid: attacker.kid, jku: 'http://127.0.0.1:1/jwks.json', x5u: 'http://127.0.0.1:1/cert.pem', jwk: attacker.jwk });
    expect(verifiesWith(token, attacker.publicKey)).toBe(true);

    // A header that lies: says RS256, signed HS256.
    const lying = signJwt({ sub: 'x' }, { alg: 'HS256', key: 'secret', header: { alg: 'RS256' } });
    expect(decodeJwt(lying).header['alg']).toBe('RS256');
    // A misspelt algorithm name still carries a valid RS256 signature, so only the name is wrong.
    const lowercase = signJwt({ sub: 'x' }, { alg: 'rs256', key: attacker.privateKey });
    expect(decodeJwt(lowercase).header['alg']).toBe('rs256');
    expect(verifiesWith(lowercase, attacker.publicKey, 'RS256')).toBe(true);
  });

  it('tamperPayload keeps the header and signature segments byte for byte', () => {
    const key = generateRsaKey();
    const token = signJwt({ sub: 'u-1', 'custom:tenantId': 'a', token_use: 'access' }, { alg: 'RS256', key: key.privateKey, kid: key.kid });
    const tampered = tamperPayload(token, { 'custom:tenantId': 'b', token_use: undefined, extra: 1 });

    const [h1, p1, s1] = token.split('.');
    const [h2, p2, s2] = tampered.split('.');
    expect(h2).toBe(h1);
    expect(s2).toBe(s1);
    expect(p2).not.toBe(p1);
    expect(decodeJwt(tampered).payload).toEqual({ sub: 'u-1', 'custom:tenantId': 'b', extra: 1 });
    expect(verifiesWith(token, key.publicKey)).toBe(true);
    expect(verifiesWith(tampered, key.publicKey)).toBe(false);
  });
});

describe('JWKS server', () => {
  let jwks: JwksServer;

  beforeAll(async () => {
    jwks = await startJwksServer({ path: 'local_Pool1' });
  });
  afterEach(() => {
    jwks.setDown(false);
    jwks.setDelay(0);
  });
  afterAll(() => jwks.stop());

  it('serves the JWKS at <issuer>/.well-known/jwks.json on 127.0.0.1', () => {
    expect(jwks.issuer).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/local_Pool1$/);
    expect(jwks.jwksUri).toBe(`${jwks.issuer}/.well-known/jwks.json`);
  });

  it('counts JWKS fetches, logs every path, and serves key additions and removals', async () => {
    const first = generateRsaKey();
    const second = generateEcKey();
    jwks.resetRequests();
    jwks.addKey(first);
    jwks.addKey(second.jwk);
    expect((await fetchJwks(jwks.jwksUri)).map((key) => key.kid).sort()).toEqual([first.kid, second.kid].sort());
    jwks.removeKey(first.kid);
    expect((await fetchJwks(jwks.jwksUri)).map((key) => key.kid)).toEqual([second.kid]);
    expect((await fetch(`${jwks.issuer}/somewhere-else?x=1`)).status).toBe(404);
    expect(jwks.requests()).toBe(2);
    expect(jwks.requestLog().slice(-3)).toEqual([
      '/local_Pool1/.well-known/jwks.json',
      '/local_Pool1/.well-known/jwks.json',
      '/local_Pool1/somewhere-else?x=1',
    ]);
    jwks.resetRequests();
    expect(jwks.requests()).toBe(0);
  });

  it('setDown(true) is an outage the client sees: the connection is reset, or 503', async () => {
    jwks.resetRequests();
    jwks.setDown(true);
    await expect(fetch(jwks.jwksUri)).rejects.toThrow(TypeError);
    jwks.setDown(true, '503');
    expect((await fetch(jwks.jwksUri)).status).toBe(503);
    jwks.setDown(false);
    expect((await fetch(jwks.jwksUri)).status).toBe(200);
    expect(jwks.requests()).toBe(3);
  });

  it('setDelay delays the answer', async () => {
    jwks.setDelay(300);
    const started = performance.now();
    await fetchJwks(jwks.jwksUri);
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
    jwks.setDelay(0);
    const again = performance.now();
    await fetchJwks(jwks.jwksUri);
    expect(performance.now() - again).toBeLessThan(250);
  });
});

describe('canary server', () => {
  let canary: CanaryServer;

  beforeAll(async () => {
    canary = await startCanaryServer({ body: { keys: [generateRsaKey('attacker').jwk] } });
  });
  afterAll(() => canary.stop());

  it('counts every hit, on any path, and answers with its bait', async () => {
    expect(canary.hits()).toBe(0);
    const response = await fetch(`${canary.url}/attacker/jwks.json`);
    expect(((await response.json()) as { keys: Array<{ kid: string }> }).keys[0]?.kid).toBe('attacker');
    await fetch(`${canary.url}/x5u.pem`, { method: 'HEAD' });
    expect(canary.hits()).toBe(2);
    expect(canary.requestLog()).toEqual(['GET /attacker/jwks.json', 'HEAD /x5u.pem']);
  });
});

describe('oidc-provider as an external IdP', () => {
  let op: TestOidcProvider;
  const publicClient = { client_id: `gatehouse-${uniqueSuffix()}`, redirect_uris: ['http://127.0.0.1:1/callback'] };
  const confidentialClient = {
    client_id: `gatehouse-conf-${uniqueSuffix()}`,
    client_secret: 'a-secret-of-at-least-32-characters-long',
    redirect_uris: ['https://gatehouse.example.test/oidc/callback'],
  };
  const alice = { id: `alice-${uniqueSuffix()}`, email: uniqueEmail('idp.example.test'), groups: ['admin', 'member'] };

  beforeAll(async () => {
    op = await startOidcProvider({
      clients: [publicClient, confidentialClient],
      accounts: {
        [alice.id]: { email: alice.email, groups: alice.groups },
        bob: { email: 'bob@idp.example.test', email_verified: false },
      },
    });
  });
  afterAll(() => op.stop());

  it('issues a genuine ID token through the code flow with PKCE, verifiable against its jwks_uri', async () => {
    expect(op.issuer).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(op.jwksUri.startsWith(op.issuer)).toBe(true);
    const before = op.jwksRequests();
    const started = performance.now();
    const idToken = await op.idTokenFor({ accountId: alice.id, clientId: publicClient.client_id, nonce: 'n-123' });
    const elapsed = performance.now() - started;
    expect(elapsed).toBeLessThan(5_000);

    const { header, payload } = decodeJwt(idToken);
    expect(header).toMatchObject({ alg: 'RS256', kid: op.signingKid });
    expect(payload).toMatchObject({
      iss: op.issuer,
      aud: publicClient.client_id,
      sub: alice.id,
      email: alice.email,
      email_verified: true,
      groups: alice.groups,
      nonce: 'n-123',
    });
    expect(payload['exp']).toBeGreaterThan(now());

    // Through jwks-rsa, as Gatehouse would fetch it.
    const client = jwksRsa({ jwksUri: op.jwksUri, cache: false });
    const signingKey = await client.getSigningKey(op.signingKid);
    expect(verifiesWith(idToken, createPublicKey(signingKey.getPublicKey()))).toBe(true);
    expect(verifiesWith(tamperPayload(idToken, { groups: ['platform-admin'] }), createPublicKey(signingKey.getPublicKey()))).toBe(false);
    expect(op.jwksRequests()).toBe(before + 1);
  });

  it('works for a confidential client and reports claims as the account has them', async () => {
    const idToken = await op.idTokenFor({ accountId: 'bob', clientId: confidentialClient.client_id });
    const { payload } = decodeJwt(idToken);
    expect(payload).toMatchObject({ iss: op.issuer, aud: confidentialClient.client_id, sub: 'bob', email_verified: false, groups: [] });
    expect(payload).not.toHaveProperty('nonce');
    expect(verifiesWith(idToken, await keyFromJwks(op.jwksUri, op.signingKid))).toBe(true);
  });

  it('refuses an account it does not know', async () => {
    await expect(op.idTokenFor({ accountId: 'mallory', clientId: publicClient.client_id })).rejects.toThrow(/access_denied/);
  });

  it('a second provider has its own key: tokens do not cross-verify', async () => {
    const other = await startOidcProvider({ clients: [publicClient], accounts: { [alice.id]: { email: alice.email } } });
    try {
      const foreign = await other.idTokenFor({ accountId: alice.id, clientId: publicClient.client_id });
      expect(decodeJwt(foreign).payload['iss']).toBe(other.issuer);
      expect(other.signingKid).not.toBe(op.signingKid);
      const opKey = await keyFromJwks(op.jwksUri, op.signingKid);
      expect(verifiesWith(foreign, opKey)).toBe(false);
    } finally {
      await other.stop();
    }
  });
});

describe('Cognito emulator helpers', () => {
  const stack = inject('stack');
  const password = 'Correct-Horse-9-Battery!';

  it('creates a confirmed user in the basic pool who signs in with real, verifiable tokens', async () => {
    const pool = stack.sharedPools['basic'];
    if (!pool?.clientId) throw new Error('the basic pool has no shared client');
    const email = uniqueEmail();
    const tenantId = `tenant-${uniqueSuffix()}`;
    const user = await createCognitoUser(stack, 'basic', {
      email,
      password,
      groups: ['member'],
      attributes: { 'custom:tenantId': tenantId, 'custom:tenantTier': 'basic' },
    });
    expect(user.username).toMatch(/^[0-9a-f-]{36}$/);
    expect(user.userPoolId).toBe(pool.userPoolId);

    const tokens = await signInWithPassword(stack, pool.clientId, user.username, password);
    const access = decodeJwt(tokens.accessToken);
    expect(access.header).toMatchObject({ alg: 'RS256', kid: 'CognitoLocal' });
    expect(access.payload).toMatchObject({
      iss: pool.issuer,
      token_use: 'access',
      client_id: pool.clientId,
      sub: user.sub,
      username: user.username,
      'cognito:groups': ['member'],
    });
    const id = decodeJwt(tokens.idToken);
    expect(id.payload).toMatchObject({
      iss: pool.issuer,
      token_use: 'id',
      aud: pool.clientId,
      sub: user.sub,
      email,
      'custom:tenantId': tenantId,
      'custom:tenantTier': 'basic',
    });
    expect(tokens.refreshToken.length).toBeGreaterThan(0);

    const key = await keyFromJwks(emulatorJwksUri(pool.issuer), 'CognitoLocal');
    expect(verifiesWith(tokens.accessToken, key)).toBe(true);
    expect(verifiesWith(tamperPayload(tokens.accessToken, { 'cognito:groups': ['admin'] }), key)).toBe(false);
  });

  it('a user in no group has no cognito:groups claim; a wrong password is refused', async () => {
    const pool = stack.sharedPools['basic'];
    if (!pool?.clientId) throw new Error('the basic pool has no shared client');
    const user = await createCognitoUser(stack, pool.userPoolId, { email: uniqueEmail(), password });
    const tokens = await signInWithPassword(stack, pool.clientId, user.username, password);
    expect(decodeJwt(tokens.accessToken).payload).not.toHaveProperty('cognito:groups');
    await expect(signInWithPassword(stack, pool.clientId, user.username, `${password}x`)).rejects.toThrow();
  });

  it('creates an app client in the standard (bridge) pool whose id is the client_id of its tokens', async () => {
    const pool = stack.sharedPools['standard'];
    if (!pool) throw new Error('no standard pool');
    const clientId = await createAppClient(stack, pool.userPoolId, `bridge-${uniqueSlug()}`);
    const user = await createCognitoUser(stack, 'standard', { email: uniqueEmail(), password, groups: ['admin'] });
    const tokens = await signInWithPassword(stack, clientId, user.username, password);
    expect(decodeJwt(tokens.accessToken).payload).toMatchObject({ iss: pool.issuer, client_id: clientId, 'cognito:groups': ['admin'] });
    expect(decodeJwt(tokens.idToken).payload['aud']).toBe(clientId);
  });

  it('a user in a new silo pool signs in, and the token iss is that pool', async () => {
    const silo = await createUserPool(stack, uniqueSlug('silo'));
    expect(silo.issuer).toBe(`${stack.cognitoEndpoint}/${silo.userPoolId}`);
    expect(Object.values(stack.sharedPools).map((pool) => pool.userPoolId)).not.toContain(silo.userPoolId);
    const user = await createCognitoUser(stack, silo.userPoolId, { email: uniqueEmail(), password: `${password}-long`, groups: ['viewer'] });
    const tokens = await signInWithPassword(stack, silo.clientId, user.username, `${password}-long`);
    const access = decodeJwt(tokens.accessToken).payload;
    expect(access).toMatchObject({ iss: silo.issuer, client_id: silo.clientId, 'cognito:groups': ['viewer'], token_use: 'access' });
    expect(access['iss']).not.toBe(stack.sharedPools['basic']?.issuer);
    expect(verifiesWith(tokens.accessToken, await keyFromJwks(emulatorJwksUri(silo.issuer), 'CognitoLocal'))).toBe(true);
  });
});
