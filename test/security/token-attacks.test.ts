/**
 * Attacks on the token guard (ARCHITECTURE.md, "A request, end to end", steps 2-4),
 * against the real API, the Cognito emulator, a real oidc-provider and JWKS
 * servers this file controls. Every refusal must be a 401/403 problem document
 * with its stable `code` — never a 5xx, never a network call to a URL the token
 * names.
 *
 * Timing rules under test (the world runs with JWKS_REFETCH_COOLDOWN_SECONDS=30
 * and TOKEN_CLOCK_SKEW_SECONDS=30): cool-down state depends on when an issuer's
 * JWKS was last fetched, so the cases that count JWKS requests exactly use
 * issuers created in this file whose fetch history the file controls
 * (`floodIdp`, `rotationIdp`, `downIdp`), not the shared fixture IdP.
 */
import { type KeyObject, createPrivateKey, createPublicKey, randomUUID, verify as cryptoVerify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAppClient, createCognitoUser, signInWithPassword } from '../support/cognito-users.js';
import { uniqueEmail, uniqueSlug } from '../support/factories.js';
import { type CanaryServer, type JwksServer, startCanaryServer, startJwksServer } from '../support/jwks-server.js';
import { type TestKey, decodeJwt, generateEcKey, generateRsaKey, signJwt, tamperPayload } from '../support/jwt.js';
import { type HttpResponse, type World, buildWorld } from '../support/world.js';

const PROJECTS = '/v1/projects';
const COOLDOWN_MS = 30_000;

const now = () => Math.floor(Date.now() / 1000);
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Status, stable code and media type of a refusal. */
function expectProblem(response: HttpResponse, status: number, code: string | readonly string[]): void {
  expect(response.status, response.text).toBe(status);
  expect(String(response.headers['content-type'])).toMatch(/^application\/problem\+json\b/);
  if (typeof code === 'string') expect(response.body?.code, response.text).toBe(code);
  else expect(code, response.text).toContain(response.body?.code);
}

function expectOk(response: HttpResponse): void {
  expect(response.status, response.text).toBe(200);
}

/** An external IdP created by this file: its own JWKS server and a tenant trusting it. */
interface ExternalIdp {
  readonly server: JwksServer;
  readonly key: TestKey;
  readonly audience: string;
  token(claims?: Record<string, unknown>, options?: { key?: TestKey; kid?: string }): string;
}

let world: World;
let canary: CanaryServer;
let attacker: TestKey;
/** An EC key the fixture IdP serves from its first fetch on (external issuers may use ES256). */
let fixtureEcKey: TestKey;
/** An RSA key the fixture IdP serves declaring `alg: PS256`. */
let fixturePssKey: TestKey;
/** Keys the fixture IdP serves that are too weak to verify with (issue 10, finding 7). */
let fixtureWeakKey: TestKey;
let fixtureUnitExponentKey: TestKey;
let floodIdp: ExternalIdp;
let rotationIdp: ExternalIdp;
let rotationWarmedAt = 0;
let downIdp: ExternalIdp;
/** poolA member's real tokens from the emulator. */
let poolAAccess: string;
let poolAId: string;
/** The emulator's published RS256 key (kid CognitoLocal). */
let emulatorPublicKey: KeyObject;

async function addExternalIdp(label: string): Promise<ExternalIdp> {
  const key = generateRsaKey();
  const server = await startJwksServer({ path: `/idp-${label}`, keys: [key] });
  const audience = `gatehouse-${uniqueSlug(label)}`;
  const slug = uniqueSlug(label);
  const row = await world.privileged.tenant.create({
    data: { slug, name: `Tenant ${slug}`, tier: 'basic', isolationModel: 'pool', status: 'active', region: 'us-east-1' },
  });
  await world.privileged.tenantIdentityProvider.create({
    data: { tenantId: row.id, issuer: server.issuer, audience, jwksUri: server.jwksUri, claimMapping: { defaultRole: 'member' } },
  });
  await world.refresh(row.id);
  const email = uniqueEmail(`${slug}.test`);
  return {
    server,
    key,
    audience,
    token(claims = {}, options = {}) {
      const signer = options.key ?? key;
      const issuedAt = now();
      return signJwt(
        { iss: server.issuer, aud: audience, sub: `${slug}-user`, email, iat: issuedAt, exp: issuedAt + 300, ...claims },
        { alg: 'RS256', key: signer.privateKey, kid: options.kid ?? signer.kid },
      );
    },
  };
}

/** The same claims, unsigned, with `alg` in the given spelling. */
function unsigned(token: string, alg: string): string {
  return signJwt(decodeJwt(token).payload, { alg, kid: decodeJwt(token).header['kid'] as string });
}

beforeAll(async () => {
  world = await buildWorld();
  attacker = generateRsaKey();
  canary = await startCanaryServer({ body: { keys: [attacker.jwk] } });
  // Served from the fixture IdP's first fetch on, so no test depends on a refetch to see it.
  fixtureEcKey = generateEcKey();
  world.fixtureIdp.addKey(fixtureEcKey);
  const pss = generateRsaKey();
  fixturePssKey = { ...pss, jwk: { ...pss.jwk, alg: 'PS256' } };
  world.fixtureIdp.addKey(fixturePssKey);
  fixtureWeakKey = generateRsaKey(undefined, 1024);
  world.fixtureIdp.addKey(fixtureWeakKey);
  const unit = generateRsaKey();
  fixtureUnitExponentKey = { ...unit, jwk: { ...unit.jwk, e: 'AQ' } };
  world.fixtureIdp.addKey(fixtureUnitExponentKey);

  [floodIdp, rotationIdp, downIdp] = await Promise.all([addExternalIdp('flood'), addExternalIdp('rotation'), addExternalIdp('down')]);
  // The rotation IdP's one and only fetch before its test: that test waits out this cool-down.
  rotationWarmedAt = Date.now();
  expectOk(await world.call(PROJECTS, { token: rotationIdp.token() }));
  downIdp.server.setDown(true);

  poolAAccess = (await world.tokens(world.users.poolA.member)).accessToken;
  poolAId = (await world.tokens(world.users.poolA.member)).idToken;
  const jwks = (await (await fetch(`${world.tenants.poolA.issuer}/.well-known/jwks.json`)).json()) as {
    keys: Array<Record<string, unknown>>;
  };
  const cognitoJwk = jwks.keys.find((key) => key['kid'] === 'CognitoLocal');
  if (!cognitoJwk) throw new Error('the emulator publishes no CognitoLocal key');
  emulatorPublicKey = createPublicKey({ key: cognitoJwk as never, format: 'jwk' });
});

afterAll(async () => {
  world?.fixtureIdp.setDown(false);
  await Promise.all([floodIdp?.server.stop(), rotationIdp?.server.stop(), downIdp?.server.stop(), canary?.stop()]);
  await world?.close();
});

describe('controls: genuine tokens are accepted (so every refusal below is the attack, not the setup)', () => {
  it('a real poolA access token → 200', async () => {
    expectOk(await world.call(PROJECTS, { token: poolAAccess }));
  });

  it('a valid fixture IdP token (RS256, fixture key) → 200', async () => {
    expectOk(await world.call(PROJECTS, { token: world.fixtureToken() }));
  });

  it('a genuine oidc-provider ID token for oidcF → 200; the same with its groups tampered or unsigned → 401 invalid_token', async () => {
    const token = await world.oidc.idTokenFor({ accountId: 'bob', clientId: world.oidcClientId });
    expectOk(await world.call(PROJECTS, { token }));
    expectProblem(await world.call(PROJECTS, { token: tamperPayload(token, { groups: ['acme-admins'] }) }), 401, 'invalid_token');
    expectProblem(await world.call(PROJECTS, { token: unsigned(token, 'none') }), 401, 'invalid_token');
  });
});

describe('1. alg none', () => {
  it.each(['none', 'NONE', 'nOnE'])('unsigned token (alg %s) with a real poolA access token’s claims → 401 invalid_token', async (alg) => {
    const forged = unsigned(poolAAccess, alg);
    expect(forged.endsWith('.')).toBe(true);
    expectProblem(await world.call(PROJECTS, { token: forged }), 401, 'invalid_token');
  });

  it('unsigned token (alg none) for the fixture IdP → 401 invalid_token', async () => {
    expectProblem(await world.call(PROJECTS, { token: unsigned(world.fixtureToken(), 'none') }), 401, 'invalid_token');
  });
});

describe('2. RS256 → HS256 key confusion', () => {
  it('HS256 keyed with the emulator’s public key (SPKI PEM) → 401 invalid_token', async () => {
    const forged = signJwt(decodeJwt(poolAAccess).payload, { alg: 'HS256', key: emulatorPublicKey, kid: 'CognitoLocal' });
    expectProblem(await world.call(PROJECTS, { token: forged }), 401, 'invalid_token');
  });

  it('HS256 keyed with the emulator’s public key (PKCS#1 PEM) → 401 invalid_token', async () => {
    const pem = emulatorPublicKey.export({ type: 'pkcs1', format: 'pem' }) as string;
    const forged = signJwt(decodeJwt(poolAAccess).payload, { alg: 'HS256', key: pem, kid: 'CognitoLocal' });
    expectProblem(await world.call(PROJECTS, { token: forged }), 401, 'invalid_token');
  });

  it('HS256 keyed with the fixture IdP’s public key → 401 invalid_token', async () => {
    const claims = decodeJwt(world.fixtureToken()).payload;
    const forged = signJwt(claims, { alg: 'HS256', key: world.fixtureKey.publicKey, kid: world.fixtureKey.kid });
    expectProblem(await world.call(PROJECTS, { token: forged }), 401, 'invalid_token');
  });
});

describe('3. algorithms an issuer does not use', () => {
  it('ES256 token for a Cognito issuer → 401 invalid_token', async () => {
    const ec = generateEcKey();
    const forged = signJwt(decodeJwt(poolAAccess).payload, { alg: 'ES256', key: ec.privateKey, kid: 'CognitoLocal' });
    expectProblem(await world.call(PROJECTS, { token: forged }), 401, 'invalid_token');
  });

  it('PS256 token for a Cognito issuer (even with the right kid) → 401 invalid_token', async () => {
    const forged = signJwt(decodeJwt(poolAAccess).payload, { alg: 'PS256', key: attacker.privateKey, kid: 'CognitoLocal' });
    expectProblem(await world.call(PROJECTS, { token: forged }), 401, 'invalid_token');
  });

  it('fixture IdP: header says RS256, signature is HS256 over the public key → 401 invalid_token', async () => {
    const claims = decodeJwt(world.fixtureToken()).payload;
    const forged = signJwt(claims, { alg: 'HS256', key: world.fixtureKey.publicKey, kid: world.fixtureKey.kid, header: { alg: 'RS256' } });
    expect(decodeJwt(forged).header['alg']).toBe('RS256');
    expectProblem(await world.call(PROJECTS, { token: forged }), 401, 'invalid_token');
  });

  it('fixture IdP: an algorithm name outside the list (RS1, signed like RS256) → 401 invalid_token', async () => {
    const claims = decodeJwt(world.fixtureToken()).payload;
    const forged = signJwt(claims, { alg: 'RS1', key: world.fixtureKey.privateKey, kid: world.fixtureKey.kid });
    expectProblem(await world.call(PROJECTS, { token: forged }), 401, 'invalid_token');
  });

  it('fixture IdP: PS256 with a served RSA key that declares PS256 is accepted (external issuers may use PS/ES)', async () => {
    const claims = decodeJwt(world.fixtureToken()).payload;
    const token = signJwt(claims, { alg: 'PS256', key: fixturePssKey.privateKey, kid: fixturePssKey.kid });
    expectOk(await world.call(PROJECTS, { token }));
  });

  it('fixture IdP: PS256 with the served RSA key that declares RS256 → 401 invalid_token (the key’s alg is honoured)', async () => {
    const claims = decodeJwt(world.fixtureToken()).payload;
    const token = signJwt(claims, { alg: 'PS256', key: world.fixtureKey.privateKey, kid: world.fixtureKey.kid });
    expectProblem(await world.call(PROJECTS, { token }), 401, 'invalid_token');
  });

  it('fixture IdP: a served 1024-bit RSA key or one with e=1 is never used → 401 signing_key_rejected', async () => {
    const claims = decodeJwt(world.fixtureToken()).payload;
    const weak = signJwt(claims, { alg: 'RS256', key: fixtureWeakKey.privateKey, kid: fixtureWeakKey.kid });
    expectProblem(await world.call(PROJECTS, { token: weak }), 401, 'signing_key_rejected');
    const unit = signJwt(claims, { alg: 'RS256', key: fixtureUnitExponentKey.privateKey, kid: fixtureUnitExponentKey.kid });
    expectProblem(await world.call(PROJECTS, { token: unit }), 401, 'signing_key_rejected');
  });

  it('fixture IdP: ES256 with the served EC key is accepted', async () => {
    const claims = decodeJwt(world.fixtureToken()).payload;
    const token = signJwt(claims, { alg: 'ES256', key: fixtureEcKey.privateKey, kid: fixtureEcKey.kid });
    expectOk(await world.call(PROJECTS, { token }));
  });

  it('fixture IdP: ES256 naming the served EC kid but signed by another EC key → 401 invalid_token', async () => {
    const claims = decodeJwt(world.fixtureToken()).payload;
    const forged = signJwt(claims, { alg: 'ES256', key: generateEcKey().privateKey, kid: fixtureEcKey.kid });
    expectProblem(await world.call(PROJECTS, { token: forged }), 401, 'invalid_token');
  });

  it('fixture IdP: ES256 naming the served RSA kid (algorithm / key-type mismatch) → 401 invalid_token', async () => {
    const claims = decodeJwt(world.fixtureToken()).payload;
    const forged = signJwt(claims, { alg: 'ES256', key: generateEcKey().privateKey, kid: world.fixtureKey.kid });
    expectProblem(await world.call(PROJECTS, { token: forged }), 401, 'invalid_token');
  });
});

describe('4. tampered payload, original signature', () => {
  it.each<[string, () => Record<string, unknown>]>([
    ['sub', () => ({ sub: world.users.poolA.admin.sub })],
    ['client_id', () => ({ client_id: world.tenants.bridgeC.clientId })],
    ['cognito:groups → admin', () => ({ 'cognito:groups': ['admin'] })],
    ['exp', () => ({ exp: now() + 86_400 })],
  ])('poolA access token with %s changed → 401 invalid_token', async (_name, changes) => {
    const forged = tamperPayload(poolAAccess, changes());
    expect(forged.split('.')[2]).toBe(poolAAccess.split('.')[2]);
    expectProblem(await world.call(PROJECTS, { token: forged }), 401, 'invalid_token');
  });

  it('fixture IdP token with groups → admins added → 401 invalid_token', async () => {
    const forged = tamperPayload(world.fixtureToken(), { groups: ['admins'] });
    expectProblem(await world.call(PROJECTS, { token: forged }), 401, 'invalid_token');
  });
});

describe('5. unknown issuer', () => {
  it('iss and jku at a canary server → 401 untrusted_issuer, and the canary is never contacted', async () => {
    const before = canary.hits();
    const forged = signJwt(
      { ...decodeJwt(poolAAccess).payload, iss: canary.url },
      { alg: 'RS256', key: attacker.privateKey, kid: attacker.kid, header: { jku: `${canary.url}/.well-known/jwks.json` } },
    );
    expectProblem(await world.call(PROJECTS, { token: forged }), 401, 'untrusted_issuer');
    expect(canary.hits() - before).toBe(0);
  });

  it('iss shaped like a Cognito pool on the canary host → 401 untrusted_issuer, canary never contacted', async () => {
    const before = canary.hits();
    const forged = signJwt(
      { ...decodeJwt(poolAAccess).payload, iss: `${canary.url}/us-east-1_Attacker1` },
      { alg: 'RS256', key: attacker.privateKey, kid: attacker.kid, header: { x5u: `${canary.url}/cert.pem` } },
    );
    expectProblem(await world.call(PROJECTS, { token: forged }), 401, 'untrusted_issuer');
    expect(canary.hits() - before).toBe(0);
  });

  it('iss that differs from a trusted issuer only by a trailing slash → 401 untrusted_issuer (exact match)', async () => {
    const forged = signJwt(
      { ...decodeJwt(poolAAccess).payload, iss: `${world.tenants.poolA.issuer}/` },
      { alg: 'RS256', key: attacker.privateKey, kid: 'CognitoLocal' },
    );
    expectProblem(await world.call(PROJECTS, { token: forged }), 401, 'untrusted_issuer');
  });
});

describe('6. trusted Cognito issuer, attacker’s key', () => {
  it('poolA issuer, signed by an attacker key with kid CognitoLocal → 401 invalid_token', async () => {
    const forged = signJwt(decodeJwt(poolAAccess).payload, { alg: 'RS256', key: attacker.privateKey, kid: 'CognitoLocal' });
    expectProblem(await world.call(PROJECTS, { token: forged }), 401, 'invalid_token');
  });

  it('poolA issuer, signed by an attacker key with a random kid → 401 unknown_signing_key', async () => {
    const forged = signJwt(decodeJwt(poolAAccess).payload, { alg: 'RS256', key: attacker.privateKey, kid: `kid-${randomUUID()}` });
    expectProblem(await world.call(PROJECTS, { token: forged }), 401, 'unknown_signing_key');
  });

  it('poolA issuer, signed by an attacker key with no kid → 401 unknown_signing_key', async () => {
    const forged = signJwt(decodeJwt(poolAAccess).payload, { alg: 'RS256', key: attacker.privateKey });
    expectProblem(await world.call(PROJECTS, { token: forged }), 401, 'unknown_signing_key');
  });
});

describe('7. unknown-kid flood', () => {
  const burst = (count: number) =>
    Promise.all(
      Array.from({ length: count }, () => world.call(PROJECTS, { token: floodIdp.token({}, { key: attacker, kid: `flood-${randomUUID()}` }) })),
    );

  it('50 concurrent random kids cost the IdP one JWKS fetch; a second burst inside the cool-down costs none', async () => {
    // The flood IdP has never been fetched: the first burst may fetch, but only once (single-flight).
    floodIdp.server.resetRequests();
    const first = await burst(50);
    for (const response of first) expectProblem(response, 401, 'unknown_signing_key');
    expect(floodIdp.server.requests()).toBe(1);

    // The fetch the flood caused cached the real key: a genuine token needs no further fetch.
    expectOk(await world.call(PROJECTS, { token: floodIdp.token() }));
    expect(floodIdp.server.requests()).toBe(1);

    const second = await burst(50);
    for (const response of second) expectProblem(response, 401, 'unknown_signing_key');
    expect(floodIdp.server.requests()).toBe(1);
  });

  it('fixture IdP with keys cached: a 50-kid burst makes at most one JWKS request, all refused', async () => {
    expectOk(await world.call(PROJECTS, { token: world.fixtureToken() }));
    world.fixtureIdp.resetRequests();
    const responses = await Promise.all(
      Array.from({ length: 50 }, () =>
        world.call(PROJECTS, { token: world.fixtureToken({}, { key: attacker, kid: `flood-${randomUUID()}` }) }),
      ),
    );
    for (const response of responses) expectProblem(response, 401, 'unknown_signing_key');
    // 0 when the warm-up fetch is still inside its cool-down, 1 when the window had ended; never more.
    expect(world.fixtureIdp.requests()).toBeLessThanOrEqual(1);
    const again = await Promise.all(
      Array.from({ length: 50 }, () =>
        world.call(PROJECTS, { token: world.fixtureToken({}, { key: attacker, kid: `flood-${randomUUID()}` }) }),
      ),
    );
    for (const response of again) expectProblem(response, 401, 'unknown_signing_key');
    expect(world.fixtureIdp.requests()).toBeLessThanOrEqual(1);
  });
});

describe('8. header-supplied keys and key URLs are ignored', () => {
  const pointingHeaders = () => ({
    jku: `${canary.url}/jwks.json`,
    x5u: `${canary.url}/cert.pem`,
    jwk: attacker.jwk,
    x5c: [(attacker.publicKey.export({ type: 'spki', format: 'der' }) as Buffer).toString('base64')],
  });

  it('attacker-signed token (attacker kid) with jku/x5u at the canary and jwk/x5c embedded → 401, canary never contacted', async () => {
    const before = canary.hits();
    const claims = decodeJwt(world.fixtureToken()).payload;
    const forged = signJwt(claims, { alg: 'RS256', key: attacker.privateKey, kid: attacker.kid, header: pointingHeaders() });
    expectProblem(await world.call(PROJECTS, { token: forged }), 401, 'unknown_signing_key');
    expect(canary.hits() - before).toBe(0);
  });

  it('attacker-signed token naming the fixture kid with the attacker’s jwk embedded → 401 invalid_token, canary never contacted', async () => {
    const before = canary.hits();
    const claims = decodeJwt(world.fixtureToken()).payload;
    const forged = signJwt(claims, { alg: 'RS256', key: attacker.privateKey, kid: world.fixtureKey.kid, header: pointingHeaders() });
    expectProblem(await world.call(PROJECTS, { token: forged }), 401, 'invalid_token');
    expect(canary.hits() - before).toBe(0);
  });

  it('Cognito issuer, attacker-signed with jku/jwk headers → 401, canary never contacted', async () => {
    const before = canary.hits();
    const forged = signJwt(decodeJwt(poolAAccess).payload, { alg: 'RS256', key: attacker.privateKey, kid: attacker.kid, header: pointingHeaders() });
    expectProblem(await world.call(PROJECTS, { token: forged }), 401, 'unknown_signing_key');
    expect(canary.hits() - before).toBe(0);
  });

  it('an otherwise valid fixture token carrying jku/x5u/jwk/x5c → 200 (headers neither trusted nor fatal), canary never contacted', async () => {
    const before = canary.hits();
    expectOk(await world.call(PROJECTS, { token: world.fixtureToken({}, { header: pointingHeaders() }) }));
    expect(canary.hits() - before).toBe(0);
  });
});

describe('9. wrong audience / unregistered client', () => {
  it('fixture IdP token with another aud → 401 unknown_client', async () => {
    expectProblem(await world.call(PROJECTS, { token: world.fixtureToken({ aud: `${world.fixtureAudience}-other` }) }), 401, 'unknown_client');
  });

  it('fixture IdP token whose aud is another tenant’s audience (the oidcF client) → 401 unknown_client', async () => {
    expectProblem(await world.call(PROJECTS, { token: world.fixtureToken({ aud: world.oidcClientId }) }), 401, 'unknown_client');
  });

  it('a registered poolA user signed in through an app client Gatehouse did not register → 401 unknown_client', async () => {
    const basic = world.stack.sharedPools['basic']!;
    const password = `Rogue-${randomUUID()}-Aa1!`;
    const email = uniqueEmail(`${world.tenants.poolA.slug}.test`);
    const cognitoUser = await createCognitoUser(world.stack, basic.userPoolId, {
      email,
      password,
      groups: ['member'],
      attributes: { 'custom:tenantId': world.tenants.poolA.id, 'custom:tenantTier': 'basic' },
    });
    await world.privileged.user.create({
      data: {
        tenantId: world.tenants.poolA.id,
        email,
        username: cognitoUser.username,
        issuer: basic.issuer,
        sub: cognitoUser.sub,
        role: 'member',
        status: 'active',
        emailVerified: true,
      },
    });
    const rogueClientId = await createAppClient(world.stack, basic.userPoolId, uniqueSlug('rogue-client'));

    // Through the registered client the same user is accepted…
    const viaRegistered = await signInWithPassword(world.stack, basic.clientId!, cognitoUser.username, password);
    expectOk(await world.call(PROJECTS, { token: viaRegistered.accessToken }));
    // …through the unregistered one, with the same issuer and signing key, not.
    const viaRogue = await signInWithPassword(world.stack, rogueClientId, cognitoUser.username, password);
    expect(decodeJwt(viaRogue.accessToken).payload['client_id']).toBe(rogueClientId);
    expectProblem(await world.call(PROJECTS, { token: viaRogue.accessToken }), 401, 'unknown_client');
  });
});

describe('10. token use', () => {
  // No route accepts ID tokens yet (no `tokenUse: 'id'` in apps/); the reverse case, an
  // access token where an ID token is required, is covered at the resolver level in
  // apps/api/src/auth/principal-resolver.token-use.spec.ts.
  it('a poolA ID token where an access token is required → 401 wrong_token_use', async () => {
    expect(decodeJwt(poolAId).payload['token_use']).toBe('id');
    expectProblem(await world.call(PROJECTS, { token: poolAId }), 401, 'wrong_token_use');
  });

  it('a poolA access token re-labelled token_use=id (signature breaks) → 401 invalid_token', async () => {
    expectProblem(await world.call(PROJECTS, { token: tamperPayload(poolAAccess, { token_use: 'id' }) }), 401, 'invalid_token');
  });
});

describe('11. expiry, not-before and clock skew (30 s)', () => {
  it('exp 5 s ago (inside the skew) → 200', async () => {
    expectOk(await world.call(PROJECTS, { token: world.fixtureToken({ exp: now() - 5 }) }));
  });

  it('exp 60 s ago → 401 token_expired', async () => {
    expectProblem(await world.call(PROJECTS, { token: world.fixtureToken({ exp: now() - 60 }) }), 401, 'token_expired');
  });

  it('nbf 5 s ahead (inside the skew) → 200', async () => {
    expectOk(await world.call(PROJECTS, { token: world.fixtureToken({ nbf: now() + 5 }) }));
  });

  it('nbf 120 s ahead → 401 token_not_yet_valid', async () => {
    expectProblem(await world.call(PROJECTS, { token: world.fixtureToken({ nbf: now() + 120 }) }), 401, 'token_not_yet_valid');
  });

  it('no exp at all → 401 invalid_token (a token that never expires is refused)', async () => {
    expectProblem(await world.call(PROJECTS, { token: world.fixtureToken({ exp: undefined }) }), 401, 'invalid_token');
  });

  it('exp that is not a number → 401 invalid_token', async () => {
    expectProblem(await world.call(PROJECTS, { token: world.fixtureToken({ exp: String(now() + 300) }) }), 401, 'invalid_token');
  });

  it('the real poolA access token with its exp removed (signature breaks) → 401 invalid_token', async () => {
    expectProblem(await world.call(PROJECTS, { token: tamperPayload(poolAAccess, { exp: undefined }) }), 401, 'invalid_token');
  });
});

describe('12. JWKS endpoint down', () => {
  it('cached keys keep verifying; an uncached kid is 401 unknown_signing_key or 503 signing_key_unavailable, never 500', async () => {
    expectOk(await world.call(PROJECTS, { token: world.fixtureToken() }));
    const unserved = generateRsaKey();
    try {
      for (const mode of ['reset', '503'] as const) {
        world.fixtureIdp.setDown(true, mode);
        expectOk(await world.call(PROJECTS, { token: world.fixtureToken() }));
        // Inside the refetch cool-down the key set is the one fetched before the outage (401: not one of its keys);
        // past it, the refetch fails and nothing can be said about the token (503).
        const response = await world.call(PROJECTS, { token: world.fixtureToken({}, { key: unserved }) });
        if (response.status === 503) {
          expectProblem(response, 503, 'signing_key_unavailable');
          expect(Number(response.headers['retry-after'])).toBeGreaterThan(0);
        } else {
          expectProblem(response, 401, 'unknown_signing_key');
        }
      }
    } finally {
      world.fixtureIdp.setDown(false);
    }
    expectOk(await world.call(PROJECTS, { token: world.fixtureToken() }));
  });

  it('an IdP down since before its first token (nothing cached) → 503 signing_key_unavailable with Retry-After, not 401', async () => {
    downIdp.server.resetRequests();
    const first = await world.call(PROJECTS, { token: downIdp.token() });
    expectProblem(first, 503, 'signing_key_unavailable');
    expect(Number(first.headers['retry-after'])).toBeGreaterThan(0);
    // Inside the cool-down: still an outage (503), and no second fetch.
    expectProblem(await world.call(PROJECTS, { token: downIdp.token() }), 503, 'signing_key_unavailable');
    expect(downIdp.server.requests()).toBe(1);
  });
});

describe('14. malformed Authorization headers', () => {
  it('no Authorization header → 401 token_missing', async () => {
    expectProblem(await world.call(PROJECTS), 401, 'token_missing');
  });

  it.each<[string, () => string]>([
    ['Basic credentials', () => 'Basic YWxpY2U6c2VjcmV0'],
    ['"Bearer" with no token', () => 'Bearer'],
    ['"Bearer " with an empty token', () => 'Bearer '],
    ['two segments', () => 'Bearer a.b'],
    ['four segments', () => `Bearer ${poolAAccess}.x`],
    ['a token followed by extra text', () => `Bearer ${poolAAccess} extra`],
    ['two spaces before the token', () => `Bearer  ${poolAAccess}`],
    ['characters outside base64url', () => 'Bearer !!!.@@@.###'],
  ])('%s → 401 invalid_authorization_header', async (_name, authorization) => {
    expectProblem(await world.call(PROJECTS, { authorization: authorization() }), 401, 'invalid_authorization_header');
  });

  it.each<[string, (payload: string) => string]>([
    ['a base64 "+" in place of a base64url "-"', (payload) => `${payload.slice(0, 10)}+${payload.slice(11)}`],
    ['a space inside', (payload) => `${payload.slice(0, 10)} ${payload.slice(10)}`],
    ['a character beyond ASCII', (payload) => `${payload.slice(0, 10)}é${payload.slice(11)}`],
  ])('a real token with %s its payload → 401 invalid_token (the payload is the signed text; no variant of it verifies)', async (_name, alter) => {
    const [header, payload, signature] = poolAAccess.split('.') as [string, string, string];
    const authorization = `Bearer ${header}.${alter(payload)}.${signature}`;
    expectProblem(await world.call(PROJECTS, { authorization }), 401, 'invalid_token');
  });

  it('a 20 KB token → refused before the guard with 431 (Node’s 16 KB header limit), never 2xx/5xx; the server keeps serving', async () => {
    // The guard's own 16 KB cap (bearer-token.ts) sits behind Node's total header limit, so HTTP
    // never reaches it with a longer token. The 431 is written by the app's clientErrorHandler
    // as a problem document.
    const huge = `${'a'.repeat(10_000)}.${'b'.repeat(10_000)}.c`;
    // On its own connection (agent: false): Node answers 431 and destroys the socket, which a pooled
    // keep-alive client could otherwise hand to the next request. Depending on timing the client
    // may see the reset before the answer; either way it is a refusal, never 2xx/5xx.
    let contentType: string | undefined;
    const outcome = await new Promise<number | string>((resolve) => {
      const url = new URL(PROJECTS, world.api.baseUrl);
      const req = httpRequest(
        { hostname: url.hostname, port: url.port, path: url.pathname, agent: false, headers: { authorization: `Bearer ${huge}` } },
        (res) => {
          contentType = res.headers['content-type'];
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
      req.end();
    });
    expect([431, 'ECONNRESET']).toContain(outcome);
    if (outcome === 431) expect(contentType).toBe('application/problem+json');
    expectOk(await world.call(PROJECTS, { token: poolAAccess }));
  });

  it('a 15 KB well-formed but bogus token (under the header limit) → 401 invalid_token, never 5xx', async () => {
    const header = Buffer.from(JSON.stringify({ alg: 'RS256', kid: 'CognitoLocal', pad: 'x'.repeat(7_000) })).toString('base64url');
    const payload = Buffer.from(JSON.stringify({ iss: world.tenants.poolA.issuer, pad: 'y'.repeat(4_000) })).toString('base64url');
    const token = `${header}.${payload}.${'s'.repeat(342)}`;
    expect(token.length).toBeGreaterThan(14_000);
    expectProblem(await world.call(PROJECTS, { token }), 401, 'invalid_token');
  });

  it('lowercase scheme "bearer" with a valid token → 200 (RFC 7235: the scheme is case-insensitive)', async () => {
    expectOk(await world.call(PROJECTS, { authorization: `bearer ${poolAAccess}` }));
  });

  it.each<[string, string | (() => string)]>([
    ['header and payload {} (no iss, no alg)', 'e30.e30.'],
    ['payload {} under a real header (no iss)', () => `${poolAAccess.split('.')[0]}.e30.${poolAAccess.split('.')[2]}`],
    ['base64url that is not JSON', 'bm90LWpzb24.bm90LWpzb24.'],
    ['a JSON array payload', () => `${poolAAccess.split('.')[0]}.${Buffer.from('[1,2]').toString('base64url')}.`],
    ['iss that is not a string', () => `${poolAAccess.split('.')[0]}.${Buffer.from('{"iss":42}').toString('base64url')}.`],
  ])('%s → 401 invalid_token, never 5xx', async (_name, token) => {
    const value = typeof token === 'string' ? token : token();
    expectProblem(await world.call(PROJECTS, { authorization: `Bearer ${value}` }), 401, 'invalid_token');
  });
});

describe('15. local-mode caveat: the emulator’s signing key is public', () => {
  const privateKeyPath = fileURLToPath(new URL('../../node_modules/cognito-local/lib/keys/cognitoLocal.private.json', import.meta.url));

  it('a token signed with the emulator’s own private key for an unregistered emulator issuer → 401 untrusted_issuer', async () => {
    // This is exactly why emulator issuers are refused outside local mode (config tests):
    // anyone can sign "valid" emulator tokens. Only the issuer allow-list stands between them and the API.
    const file = JSON.parse(readFileSync(privateKeyPath, 'utf8')) as { jwk: Record<string, unknown> };
    const emulatorKey = createPrivateKey({ key: file.jwk as never, format: 'jwk' });
    // Proof that this is the key the emulator signs with: a real token verifies under its public half.
    const [header, payload, signature] = poolAAccess.split('.') as [string, string, string];
    expect(cryptoVerify('sha256', Buffer.from(`${header}.${payload}`), createPublicKey(emulatorKey), Buffer.from(signature, 'base64url'))).toBe(true);

    for (const pool of ['local_unregistered', 'us-east-1_Unregistered1']) {
      const issuer = `${world.stack.cognitoEndpoint.replace(/\/+$/, '')}/${pool}`;
      const forged = signJwt({ ...decodeJwt(poolAAccess).payload, iss: issuer }, { alg: 'RS256', key: emulatorKey, kid: 'CognitoLocal' });
      expectProblem(await world.call(PROJECTS, { token: forged }), 401, 'untrusted_issuer');
    }
  });
});

describe('13. key rotation at the IdP (runs last: waits out the rotation IdP’s cool-down)', () => {
  it('a removed key keeps verifying until the next allowed refetch, then stops; the new key starts', async () => {
    const oldKey = rotationIdp.key;
    const newKey = generateRsaKey();
    rotationIdp.server.addKey(newKey);
    rotationIdp.server.removeKey(oldKey.kid);
    rotationIdp.server.resetRequests();

    // Inside the cool-down of the warm-up fetch: the old key is still cached, the new kid is not fetched.
    expectOk(await world.call(PROJECTS, { token: rotationIdp.token() }));
    expectProblem(await world.call(PROJECTS, { token: rotationIdp.token({}, { key: newKey }) }), 401, 'unknown_signing_key');
    expect(rotationIdp.server.requests()).toBe(0);

    await sleep(Math.max(0, rotationWarmedAt + COOLDOWN_MS + 1_000 - Date.now()));

    // The new kid triggers one refetch; the fetched set replaces the cached one.
    expectOk(await world.call(PROJECTS, { token: rotationIdp.token({}, { key: newKey }) }));
    expect(rotationIdp.server.requests()).toBe(1);
    expectProblem(await world.call(PROJECTS, { token: rotationIdp.token() }), 401, 'unknown_signing_key');
    expect(rotationIdp.server.requests()).toBe(1);
  });
});
