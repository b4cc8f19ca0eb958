/**
 * TokenVerifier's own checks on node:crypto: key strength and purpose (via the
 * JWKS it is served), the algorithm a key allows, the RS/PS/ES signature
 * schemes, `crit`, and the sanity of the date claims — with real keys served
 * as a JWKS over loopback.
 */
import { type KeyObject, constants, createHash, generateKeyPairSync, sign as cryptoSign } from 'node:crypto';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { IssuerRegistry } from './issuer-registry.js';
import { JwksKeyStore } from './jwks-key-store.js';
import { tenantSnapshot } from './testing/tenant-snapshot.fixture.js';
import { MAX_TOKEN_LIFETIME_SECONDS, TokenVerifier } from './token-verifier.js';

interface Signer {
  readonly kid: string;
  readonly jwk: Record<string, unknown>;
  sign(alg: string, input: Buffer): Buffer;
}

function rsaSigner(kid: string, modulusLength = 2048, extra: Record<string, unknown> = {}): Signer {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength });
  return {
    kid,
    jwk: { ...publicKey.export({ format: 'jwk' }), kid, ...extra },
    sign: (alg, input) =>
      cryptoSign(`sha${alg.slice(2)}`, input, alg.startsWith('PS')
        ? { key: privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST }
        : privateKey),
  };
}

function ecSigner(kid: string, namedCurve: string): Signer {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve });
  return {
    kid,
    jwk: { ...publicKey.export({ format: 'jwk' }), kid },
    sign: (alg, input) => cryptoSign(`sha${alg.slice(2)}`, input, { key: privateKey as KeyObject, dsaEncoding: 'ieee-p1363' }),
  };
}

const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
function token(signer: Signer, alg: string, claims: Record<string, unknown>, header: Record<string, unknown> = {}): string {
  const input = `${encode({ alg, kid: signer.kid, ...header })}.${encode(claims)}`;
  return `${input}.${signer.sign(alg, Buffer.from(input)).toString('base64url')}`;
}
/** Raw JSON for the payload, for numbers JSON.stringify cannot write (1e400 parses to Infinity). */
function tokenWithRawPayload(signer: Signer, payloadJson: string): string {
  const input = `${encode({ alg: 'RS256', kid: signer.kid })}.${Buffer.from(payloadJson).toString('base64url')}`;
  return `${input}.${signer.sign('RS256', Buffer.from(input)).toString('base64url')}`;
}

let server: Server;
let base: string;
let served: Record<string, unknown>[] = [];

beforeAll(async () => {
  server = createServer((_request, response) => {
    response.setHeader('content-type', 'application/json');
    response.end(JSON.stringify({ keys: served }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const NOW = 1_800_000_000_000;
const nowSeconds = NOW / 1000;
let good: Signer;
let weak: Signer;
let pss: Signer;
let p256: Signer;
let p384: Signer;
let rs256Only: Signer;
let encryption: Signer;

beforeAll(() => {
  good = rsaSigner('good');
  weak = rsaSigner('weak', 1024);
  pss = rsaSigner('pss', 2048, { alg: 'PS256' });
  rs256Only = rsaSigner('rs256-only', 2048, { alg: 'RS256' });
  encryption = rsaSigner('enc', 2048, { use: 'enc' });
  p256 = ecSigner('p256', 'prime256v1');
  p384 = ecSigner('p384', 'secp384r1');
});
beforeEach(() => {
  served = [good, weak, pss, rs256Only, encryption, p256, p384].map((signer) => signer.jwk);
});

function world() {
  const cognito = `${base}/local_pool`;
  const external = `${base}/idp`;
  const registry = new IssuerRegistry(
    [{ key: 'basic', issuer: cognito, clientIds: ['basic-client'], pool: { kind: 'tier', tier: 'basic', model: 'pool' } }],
    () => true,
  );
  registry.upsertTenant(
    't1',
    tenantSnapshot({
      id: 't1',
      slug: 'acme',
      identityProviders: [{ issuer: external, audience: 'acme-api', jwksUri: `${base}/idp/jwks`, claimMapping: {}, enabled: true }],
    }),
  );
  const keys = new JwksKeyStore({ refetchCooldownMs: 30_000, timeoutMs: 1_000, now: () => NOW });
  const sut = new TokenVerifier({ registry }, keys, { clockSkewSeconds: 30, now: () => NOW });
  const claims = (issuer: string, extra: Record<string, unknown> = {}) => ({
    iss: issuer,
    sub: 'alice',
    iat: nowSeconds - 10,
    exp: nowSeconds + 600,
    ...extra,
  });
  return { sut, keys, cognito, external, claims };
}

describe('TokenVerifier: keys and algorithms', () => {
  it('verifies RS256 from Cognito and PS256, ES256 and ES384 from an external IdP', async () => {
    const w = world();
    await expect(w.sut.verify(token(good, 'RS256', w.claims(w.cognito)))).resolves.toMatchObject({ sub: 'alice' });
    await expect(w.sut.verify(token(pss, 'PS256', w.claims(w.external)))).resolves.toMatchObject({ sub: 'alice' });
    await expect(w.sut.verify(token(p256, 'ES256', w.claims(w.external)))).resolves.toMatchObject({ sub: 'alice' });
    await expect(w.sut.verify(token(p384, 'ES384', w.claims(w.external)))).resolves.toMatchObject({ sub: 'alice' });
  });

  it('refuses a token signed with a key too weak to trust, or one published for encryption', async () => {
    const w = world();
    await expect(w.sut.verify(token(weak, 'RS256', w.claims(w.cognito)))).rejects.toMatchObject({ status: 401, code: 'signing_key_rejected' });
    expect(w.keys.rejection(w.cognito, 'weak')).toBe('weak_rsa_modulus');
    await expect(w.sut.verify(token(encryption, 'RS256', w.claims(w.cognito)))).rejects.toMatchObject({ code: 'signing_key_rejected' });
  });

  it('refuses an RSA key with e=1, under which the padded digest itself would be a valid signature', async () => {
    const w = world();
    const forger = rsaSigner('e1');
    const modulusBytes = Buffer.from(forger.jwk['n'] as string, 'base64url').length;
    const e1: Signer = {
      kid: 'e1',
      jwk: { ...forger.jwk, e: 'AQ' },
      // EMSA-PKCS1-v1_5: 00 01 FF..FF 00 || DigestInfo(SHA-256) || hash — with e=1 that IS the signature.
      sign: (_alg, input) => {
        const digestInfo = Buffer.concat([Buffer.from('3031300d060960864801650304020105000420', 'hex'), createHash('sha256').update(input).digest()]);
        const padding = Buffer.alloc(modulusBytes - digestInfo.length - 3, 0xff);
        return Buffer.concat([Buffer.from([0, 1]), padding, Buffer.from([0]), digestInfo]);
      },
    };
    served = [...served, e1.jwk];
    await expect(w.sut.verify(token(e1, 'RS256', w.claims(w.cognito)))).rejects.toMatchObject({ code: 'signing_key_rejected' });
    expect(w.keys.rejection(w.cognito, 'e1')).toBe('bad_rsa_exponent');
  });

  it('uses a key only with the algorithm it declares, and only with algorithms of its type', async () => {
    const w = world();
    await expect(w.sut.verify(token(rs256Only, 'PS256', w.claims(w.external)))).rejects.toMatchObject({ code: 'invalid_token' });
    await expect(w.sut.verify(token(pss, 'RS256', w.claims(w.external)))).rejects.toMatchObject({ code: 'invalid_token' });
    // An EC key named by an RSA algorithm: the signature bytes are never even tried.
    const mislabelled = token(p256, 'ES256', w.claims(w.external)).split('.');
    const header = encode({ alg: 'RS256', kid: 'p256' });
    await expect(w.sut.verify(`${header}.${mislabelled[1]}.${mislabelled[2]}`)).rejects.toMatchObject({ code: 'invalid_token' });
  });

  it('refuses signatures of the wrong shape as invalid tokens, not errors', async () => {
    const w = world();
    const [h, p] = token(p256, 'ES256', w.claims(w.external)).split('.');
    await expect(w.sut.verify(`${h}.${p}.AAAA`)).rejects.toMatchObject({ code: 'invalid_token' });
    await expect(w.sut.verify(`${h}.${p}.`)).rejects.toMatchObject({ code: 'invalid_token' });
    await expect(w.sut.verify(`${h}.${p}`)).rejects.toMatchObject({ code: 'invalid_token' });
    await expect(w.sut.verify(`${h}.${p}.AA.AA`)).rejects.toMatchObject({ code: 'invalid_token' });
  });

  it('refuses a token with critical header extensions it does not understand', async () => {
    const w = world();
    await expect(w.sut.verify(token(good, 'RS256', w.claims(w.cognito), { crit: ['exp'] }))).rejects.toMatchObject({ code: 'invalid_token' });
  });
});

describe('TokenVerifier: date claims', () => {
  it.each([
    ['exp is not finite (1e400 parses to Infinity)', `"exp":1e400`],
    ['exp is a string', `"exp":"${nowSeconds + 600}"`],
    ['exp is beyond any real lifetime', `"exp":${nowSeconds + MAX_TOKEN_LIFETIME_SECONDS + 3600}`],
    ['exp is before 2001', `"exp":5`],
    ['nbf is not finite', `"exp":${nowSeconds + 600},"nbf":-1e400`],
    ['iat is in the future', `"exp":${nowSeconds + 600},"iat":${nowSeconds + 3600}`],
    ['iat is not a number', `"exp":${nowSeconds + 600},"iat":null`],
    ['exp is missing', `"iat":${nowSeconds}`],
  ])('refuses a token whose %s', async (_case, dates) => {
    const w = world();
    const forged = tokenWithRawPayload(good, `{"iss":"${w.cognito}","sub":"alice",${dates}}`);
    await expect(w.sut.verify(forged)).rejects.toMatchObject({ status: 401, code: 'invalid_token' });
  });

  it('applies the clock skew to exp and nbf', async () => {
    const w = world();
    await expect(w.sut.verify(token(good, 'RS256', w.claims(w.cognito, { iat: nowSeconds - 600, exp: nowSeconds - 10 })))).resolves.toBeDefined();
    await expect(w.sut.verify(token(good, 'RS256', w.claims(w.cognito, { iat: nowSeconds - 600, exp: nowSeconds - 31 })))).rejects.toMatchObject({
      code: 'token_expired',
    });
    await expect(w.sut.verify(token(good, 'RS256', w.claims(w.cognito, { nbf: nowSeconds + 20 })))).resolves.toBeDefined();
    await expect(w.sut.verify(token(good, 'RS256', w.claims(w.cognito, { nbf: nowSeconds + 60 })))).rejects.toMatchObject({
      code: 'token_not_yet_valid',
    });
  });
});

describe('TokenVerifier: text Gatehouse refuses in claims', () => {
  const carriesRefusedText = { status: 401, code: 'invalid_token', detail: 'The token carries characters Gatehouse does not accept.' };

  it.each([
    ['a NUL in a claim value', `"sub":"ali\\u0000ce"`],
    ['a NUL in a nested value', `"sub":"alice","cognito:groups":["admin","x\\u0000"]`],
    ['a NUL in a claim name', `"sub":"alice","na\\u0000me":1`],
    ['an unpaired high surrogate', `"sub":"alice","name":"x\\ud800"`],
    ['an unpaired low surrogate in a name', `"sub":"alice","\\udc00":1`],
  ])('refuses a signed token with %s, after its signature and dates are verified', async (_case, fields) => {
    const w = world();
    const signed = tokenWithRawPayload(good, `{"iss":"${w.cognito}",${fields},"iat":${nowSeconds - 10},"exp":${nowSeconds + 600}}`);
    await expect(w.sut.verify(signed)).rejects.toMatchObject(carriesRefusedText);
    // Refused every time: nothing about it is remembered.
    await expect(w.sut.verify(signed)).rejects.toMatchObject(carriesRefusedText);
    await expect(w.sut.verify(signed)).rejects.toMatchObject(carriesRefusedText);
  });

  it('checks the dates first: an expired token with a NUL is refused as expired', async () => {
    const w = world();
    const expired = tokenWithRawPayload(good, `{"iss":"${w.cognito}","sub":"a\\u0000","iat":${nowSeconds - 900},"exp":${nowSeconds - 600}}`);
    await expect(w.sut.verify(expired)).rejects.toMatchObject({ code: 'token_expired' });
  });

  it('accepts escapes that decode to ordinary text, and a surrogate pair', async () => {
    const w = world();
    const signed = tokenWithRawPayload(
      good,
      `{"iss":"${w.cognito.replace(/\//g, '\\/')}","sub":"al\\u0069ce","name":"\\"A\\" \\ud83d\\ude00","iat":${nowSeconds - 10},"exp":${nowSeconds + 600}}`,
    );
    await expect(w.sut.verify(signed)).resolves.toMatchObject({ iss: w.cognito, sub: 'alice', name: '"A" 😀' });
  });

  it('never yields an unpaired surrogate from raw bytes: invalid UTF-8 in the payload decodes to U+FFFD', async () => {
    const w = world();
    // ED A0 80 is how CESU-8 would write U+D800; UTF-8 decoding replaces it.
    const payload = Buffer.concat([
      Buffer.from(`{"iss":"${w.cognito}","sub":"alice","name":"x`),
      Buffer.from([0xed, 0xa0, 0x80]),
      Buffer.from(`","iat":${nowSeconds - 10},"exp":${nowSeconds + 600}}`),
    ]);
    const input = `${encode({ alg: 'RS256', kid: good.kid })}.${payload.toString('base64url')}`;
    const signed = `${input}.${good.sign('RS256', Buffer.from(input)).toString('base64url')}`;
    const claims = await w.sut.verify(signed);
    expect(claims['name']).toBe('x\ufffd\ufffd\ufffd');
  });

  it('a raw NUL byte in the payload is not JSON: invalid_token, not accepted', async () => {
    const w = world();
    const payload = Buffer.from(`{"iss":"${w.cognito}","sub":"ali\u0000ce","iat":${nowSeconds - 10},"exp":${nowSeconds + 600}}`);
    const input = `${encode({ alg: 'RS256', kid: good.kid })}.${payload.toString('base64url')}`;
    const signed = `${input}.${good.sign('RS256', Buffer.from(input)).toString('base64url')}`;
    await expect(w.sut.verify(signed)).rejects.toMatchObject({ code: 'invalid_token', detail: 'The token is not a well-formed JWT.' });
  });
});

describe('TokenVerifier: decoding', () => {
  it('verifies a token larger than its scratch memory (decoded the ordinary way) and refuses it tampered', async () => {
    const w = world();
    const large = token(good, 'RS256', w.claims(w.cognito, { padding: 'p'.repeat(40_000) }));
    expect(large.length).toBeGreaterThan(32 * 1024);
    await expect(w.sut.verify(large)).resolves.toMatchObject({ sub: 'alice' });
    const [h, p, s] = large.split('.') as [string, string, string];
    await expect(w.sut.verify(`${h}.${p.slice(0, -2)}AA.${s}`)).rejects.toMatchObject({ code: 'invalid_token' });
  });

  it('reads each token from scratch: a short token after a long one is not read with the long one’s bytes', async () => {
    const w = world();
    await w.sut.verify(token(good, 'RS256', w.claims(w.cognito, { padding: 'q'.repeat(20_000) })));
    const short = token(good, 'RS256', w.claims(w.cognito, { sub: 'bob' }));
    await expect(w.sut.verify(short)).resolves.toMatchObject({ sub: 'bob' });
    expect(await w.sut.verify(short)).not.toHaveProperty('padding');
    const [h, p] = short.split('.');
    await expect(w.sut.verify(`${h}.${p}.${'A'.repeat(342)}`)).rejects.toMatchObject({ code: 'invalid_token' });
  });
});
