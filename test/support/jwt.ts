/**
 * A deliberately permissive JWT forger for attack tests, on node:crypto only.
 *
 * It signs whatever it is asked to sign: any `alg` in the header (including
 * `none` in any case), any extra or overriding header fields (`jku`, `x5u`,
 * `jwk`, `x5c`, `crit`, …), an HMAC keyed with a public key's PEM (the
 * RS256 → HS256 confusion attack), or a payload that is not JSON at all. It
 * never validates anything; that is the job of the code under test.
 *
 * Keys are generated at test time; nothing here is a fixture pasted in.
 */
import {
  type JsonWebKey,
  type KeyObject,
  constants,
  createHmac,
  createPublicKey,
  generateKeyPairSync,
  randomUUID,
  sign as cryptoSign,
} from 'node:crypto';

/** A public JWK as a JWKS serves it. */
export interface PublicJwk extends JsonWebKey {
  readonly kid: string;
  readonly alg: string;
  readonly use: 'sig';
  readonly kty: string;
}

export interface TestKey {
  readonly kid: string;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  /** The public half as a JWK, with `kid`, `alg` and `use: 'sig'`. */
  readonly jwk: PublicJwk;
}

export type JwtHeader = Record<string, unknown>;
export type JwtPayload = Record<string, unknown>;

export interface SignJwtOptions {
  /**
   * Goes into the header and chooses the signature:
   * - `RS256|RS384|RS512`: RSASSA-PKCS1-v1_5; `PS256|PS384|PS512`: RSASSA-PSS;
   * - `ES256|ES384|ES512`: ECDSA (JOSE r||s encoding);
   * - `HS256|HS384|HS512`: HMAC keyed with a Buffer/string as given, a secret
   *   KeyObject's bytes, or an asymmetric KeyObject's public SPKI PEM (confusion attack);
   * - `none` in any letter case: empty signature, no key needed;
   * - anything else (`rs256`, `RS1`, `EdDSA`, …): the header says so, and the
   *   signature is SHA-256 by the key's type (RSA PKCS1, EC, or HMAC), or empty
   *   without a key — so a verifier that is lax about the name would accept it.
   */
  readonly alg: 'RS256' | 'RS384' | 'RS512' | 'PS256' | 'ES256' | 'ES384' | 'HS256' | 'none' | 'NONE' | 'nOnE' | (string & {});
  readonly key?: KeyObject | Buffer | string;
  /** Sets `kid` in the header (omitted when undefined). */
  readonly kid?: string;
  /**
   * Extra or overriding header fields, applied last: `{ jku, x5u, jwk, x5c }`,
   * `{ typ: 'at+jwt' }`, `{ alg: 'RS256' }` (a header that lies about the
   * signature), `{ typ: undefined }` (drops the field).
   */
  readonly header?: JwtHeader;
}

/** An RSA key pair (2048 bits) with a public JWK for a JWKS. */
export function generateRsaKey(kid: string = `rsa-${randomUUID()}`, modulusLength = 2048): TestKey {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength });
  return { kid, privateKey, publicKey, jwk: publicJwk(publicKey, kid, 'RS256') };
}

/** A P-256 key pair with a public JWK for a JWKS. */
export function generateEcKey(kid: string = `ec-${randomUUID()}`): TestKey {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { kid, privateKey, publicKey, jwk: publicJwk(publicKey, kid, 'ES256') };
}

function publicJwk(publicKey: KeyObject, kid: string, alg: string): PublicJwk {
  const exported = publicKey.export({ format: 'jwk' });
  return { ...exported, kty: exported.kty ?? 'RSA', kid, alg, use: 'sig' };
}

export function base64url(input: Buffer | string): string {
  return Buffer.from(input).toString('base64url');
}

/**
 * A compact JWT. The payload is JSON-encoded, or used verbatim when it is a
 * string (for malformed-payload tests). Header: `{ alg, typ: 'JWT', kid?, ...header }`.
 */
export function signJwt(payload: JwtPayload | string, options: SignJwtOptions): string {
  const header: JwtHeader = { alg: options.alg, typ: 'JWT' };
  if (options.kid !== undefined) header.kid = options.kid;
  Object.assign(header, options.header);
  const signingInput = `${base64url(JSON.stringify(header))}.${base64url(typeof payload === 'string' ? payload : JSON.stringify(payload))}`;
  return `${signingInput}.${base64url(signature(signingInput, options.alg, options.key))}`;
}

const HASHES: Record<string, string> = { '256': 'sha256', '384': 'sha384', '512': 'sha512' };

function signature(input: string, alg: string, key: KeyObject | Buffer | string | undefined): Buffer {
  if (alg.toLowerCase() === 'none') return Buffer.alloc(0);
  const family = /^(RS|PS|ES|HS)(256|384|512)$/.exec(alg);
  if (family) {
    const [, kind, bits] = family as unknown as [string, 'RS' | 'PS' | 'ES' | 'HS', string];
    const hash = HASHES[bits] as string;
    if (key === undefined) throw new Error(`signJwt: alg ${alg} needs a key`);
    if (kind === 'HS') return createHmac(hash, hmacSecret(key)).update(input).digest();
    const privateKey = asymmetricKey(key, alg);
    if (kind === 'RS') return cryptoSign(hash, Buffer.from(input), privateKey);
    if (kind === 'PS') {
      return cryptoSign(hash, Buffer.from(input), {
        key: privateKey,
        padding: constants.RSA_PKCS1_PSS_PADDING,
        saltLength: constants.RSA_PSS_SALTLEN_DIGEST,
      });
    }
    return cryptoSign(hash, Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' });
  }
  // An algorithm name nobody should accept: sign by the key's type, so only the name is wrong.
  if (key === undefined) return Buffer.alloc(0);
  if (typeof key === 'string' || Buffer.isBuffer(key) || key.type === 'secret') {
    return createHmac('sha256', hmacSecret(key)).update(input).digest();
  }
  if (key.type !== 'private') throw new Error(`signJwt: alg ${alg} with a public key cannot sign`);
  return key.asymmetricKeyType === 'ec'
    ? cryptoSign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' })
    : cryptoSign('sha256', Buffer.from(input), key);
}

function hmacSecret(key: KeyObject | Buffer | string): Buffer | string {
  if (typeof key === 'string' || Buffer.isBuffer(key)) return key;
  if (key.type === 'secret') return key.export();
  // The confusion attack: the "secret" is the issuer's public key as PEM.
  const publicKey = key.type === 'public' ? key : createPublicKey(key);
  return publicKey.export({ type: 'spki', format: 'pem' }) as string;
}

function asymmetricKey(key: KeyObject | Buffer | string, alg: string): KeyObject {
  if (typeof key === 'string' || Buffer.isBuffer(key) || key.type !== 'private') {
    throw new Error(`signJwt: alg ${alg} needs a private KeyObject`);
  }
  return key;
}

export interface DecodedJwt {
  readonly header: JwtHeader;
  readonly payload: JwtPayload;
  /** The third segment, as it was (base64url). */
  readonly signature: string;
}

/** Header and payload, not verified. Throws on a token that is not three base64url JSON segments. */
export function decodeJwt(token: string): DecodedJwt {
  const parts = token.split('.');
  if (parts.length !== 3) throw new Error(`decodeJwt: expected 3 segments, got ${parts.length}`);
  const [header, payload, signatureSegment] = parts as [string, string, string];
  return {
    header: JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as JwtHeader,
    payload: JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as JwtPayload,
    signature: signatureSegment,
  };
}

/**
 * The same token with its payload changed (`undefined` removes a claim): the
 * header and signature segments are kept byte for byte, so the signature no
 * longer matches.
 */
export function tamperPayload(token: string, changes: JwtPayload): string {
  const [header, , signatureSegment] = token.split('.') as [string, string, string];
  const payload = { ...decodeJwt(token).payload, ...changes };
  for (const [name, value] of Object.entries(changes)) if (value === undefined) delete payload[name];
  return `${header}.${base64url(JSON.stringify(payload))}.${signatureSegment}`;
}
