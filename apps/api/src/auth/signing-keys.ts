/**
 * Which published keys Gatehouse verifies with, and which algorithm each key
 * may be used with. A JWKS is someone else's document: a key is accepted only
 * when it is strong (RSA of at least 2048 bits with an exponent NIST allows,
 * or EC on P-256 / P-384), meant for signatures (`use`, `key_ops`), and its
 * declared `alg`, when present, is one Gatehouse verifies. Anything else — RSA
 * with e=1, 512-bit moduli, symmetric (`oct`) keys, other curves — is refused,
 * and a token naming it is refused with `signing_key_rejected`.
 */
import { type KeyObject, createPublicKey } from 'node:crypto';

/** Every algorithm any issuer may use; an issuer's own list narrows it. Never HMAC, never `none`. */
export type SignatureAlgorithm = 'RS256' | 'RS384' | 'RS512' | 'PS256' | 'PS384' | 'PS512' | 'ES256' | 'ES384';

export interface SigningKey {
  readonly kid: string;
  readonly key: KeyObject;
  /** The algorithms this key may verify: its type's, narrowed to its declared `alg`. */
  readonly algorithms: ReadonlySet<string>;
}

export type KeyRejection =
  | 'no_kid'
  | 'not_for_signatures'
  | 'unsupported_key_type'
  | 'malformed_key'
  | 'weak_rsa_modulus'
  | 'bad_rsa_exponent'
  | 'unsupported_curve'
  | 'algorithm_mismatch';

export const MIN_RSA_MODULUS_BITS = 2048;
/** Keys beyond this only make verification slow (a denial-of-service lever); no IdP publishes them. */
export const MAX_RSA_MODULUS_BITS = 8192;
/** NIST SP 800-56B: 65537 <= e < 2^256, odd. */
const MIN_RSA_EXPONENT = 65_537n;
const MAX_RSA_EXPONENT = 1n << 256n;

const RSA_ALGORITHMS: readonly SignatureAlgorithm[] = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'];
const EC_ALGORITHMS: Readonly<Record<string, readonly SignatureAlgorithm[]>> = {
  'P-256': ['ES256'],
  'P-384': ['ES384'],
};
/** JWK `crv` → the curve name node:crypto reports for it. */
const NODE_CURVE: Readonly<Record<string, string>> = { 'P-256': 'prime256v1', 'P-384': 'secp384r1' };

export function acceptSigningKey(jwk: unknown): { key: SigningKey } | { kid: string | undefined; rejected: KeyRejection } {
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) return { kid: undefined, rejected: 'malformed_key' };
  const fields = jwk as Record<string, unknown>;
  const kid = typeof fields['kid'] === 'string' && fields['kid'].length > 0 ? fields['kid'] : undefined;
  const reject = (rejected: KeyRejection) => ({ kid, rejected });
  if (!kid) return reject('no_kid');
  if (fields['use'] !== undefined && fields['use'] !== 'sig') return reject('not_for_signatures');
  const keyOps = fields['key_ops'];
  if (keyOps !== undefined && !(Array.isArray(keyOps) && keyOps.includes('verify'))) return reject('not_for_signatures');

  let candidates: readonly SignatureAlgorithm[];
  let key: KeyObject;
  try {
    if (fields['kty'] === 'RSA') {
      if (typeof fields['n'] !== 'string' || typeof fields['e'] !== 'string') return reject('malformed_key');
      key = createPublicKey({ key: { kty: 'RSA', n: fields['n'], e: fields['e'] }, format: 'jwk' });
      const { modulusLength = 0, publicExponent = 0n } = key.asymmetricKeyDetails ?? {};
      if (modulusLength < MIN_RSA_MODULUS_BITS || modulusLength > MAX_RSA_MODULUS_BITS) return reject('weak_rsa_modulus');
      if (publicExponent < MIN_RSA_EXPONENT || publicExponent >= MAX_RSA_EXPONENT || publicExponent % 2n === 0n) {
        return reject('bad_rsa_exponent');
      }
      candidates = RSA_ALGORITHMS;
    } else if (fields['kty'] === 'EC') {
      const curve = typeof fields['crv'] === 'string' ? fields['crv'] : '';
      const algorithms = EC_ALGORITHMS[curve];
      if (!algorithms) return reject('unsupported_curve');
      if (typeof fields['x'] !== 'string' || typeof fields['y'] !== 'string') return reject('malformed_key');
      key = createPublicKey({ key: { kty: 'EC', crv: curve, x: fields['x'], y: fields['y'] }, format: 'jwk' });
      if (key.asymmetricKeyDetails?.namedCurve !== NODE_CURVE[curve]) return reject('unsupported_curve');
      candidates = algorithms;
    } else {
      return reject('unsupported_key_type');
    }
  } catch {
    return reject('malformed_key'); // not a point on the curve, not a valid modulus, …
  }
  const declared = fields['alg'];
  if (declared !== undefined) {
    if (typeof declared !== 'string' || !candidates.includes(declared as SignatureAlgorithm)) return reject('algorithm_mismatch');
    candidates = [declared as SignatureAlgorithm];
  }
  return { key: { kid, key, algorithms: new Set(candidates) } };
}
