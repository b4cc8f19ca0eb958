import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { acceptSigningKey } from './signing-keys.js';

function rsaJwk(modulusLength = 2048): Record<string, unknown> {
  const { publicKey } = generateKeyPairSync('rsa', { modulusLength });
  return { ...publicKey.export({ format: 'jwk' }), kid: `rsa-${modulusLength}` };
}

function ecJwk(namedCurve: string): Record<string, unknown> {
  const { publicKey } = generateKeyPairSync('ec', { namedCurve });
  return { ...publicKey.export({ format: 'jwk' }), kid: `ec-${namedCurve}` };
}

const rsa2048 = rsaJwk();
const rejection = (jwk: unknown) => {
  const outcome = acceptSigningKey(jwk);
  return 'rejected' in outcome ? outcome.rejected : undefined;
};
const algorithms = (jwk: unknown) => {
  const outcome = acceptSigningKey(jwk);
  return 'key' in outcome ? [...outcome.key.algorithms].sort() : outcome.rejected;
};

describe(acceptSigningKey.name, () => {
  it('accepts RSA ≥ 2048 bits with e=65537 for the RSA algorithms, narrowed to its declared alg', () => {
    expect(algorithms(rsa2048)).toEqual(['PS256', 'PS384', 'PS512', 'RS256', 'RS384', 'RS512']);
    expect(algorithms({ ...rsa2048, alg: 'RS256', use: 'sig', key_ops: ['verify'] })).toEqual(['RS256']);
  });

  it('refuses short RSA moduli (512, 1024 bits)', () => {
    expect(rejection(rsaJwk(512))).toBe('weak_rsa_modulus');
    expect(rejection(rsaJwk(1024))).toBe('weak_rsa_modulus');
  });

  it('refuses RSA exponents NIST does not allow: e=1 (signature = message), e=3, even exponents', () => {
    expect(rejection({ ...rsa2048, e: 'AQ' })).toBe('bad_rsa_exponent');
    expect(rejection({ ...rsa2048, e: 'Aw' })).toBe('bad_rsa_exponent');
    expect(rejection({ ...rsa2048, e: 'AQAC' })).toBe('bad_rsa_exponent');
  });

  it('accepts EC on P-256 and P-384 only, each for its own algorithm', () => {
    expect(algorithms(ecJwk('prime256v1'))).toEqual(['ES256']);
    expect(algorithms(ecJwk('secp384r1'))).toEqual(['ES384']);
    expect(rejection(ecJwk('secp521r1'))).toBe('unsupported_curve');
    expect(rejection(ecJwk('secp256k1'))).toBe('unsupported_curve');
    expect(rejection({ ...ecJwk('prime256v1'), alg: 'ES384' })).toBe('algorithm_mismatch');
  });

  it('refuses symmetric and unknown key types, keys not meant for signatures, and a declared alg that is not the key’s', () => {
    expect(rejection({ kty: 'oct', kid: 'h', k: 'c2VjcmV0' })).toBe('unsupported_key_type');
    expect(rejection({ kty: 'OKP', kid: 'o', crv: 'Ed25519', x: 'AAAA' })).toBe('unsupported_key_type');
    expect(rejection({ ...rsa2048, use: 'enc' })).toBe('not_for_signatures');
    expect(rejection({ ...rsa2048, key_ops: ['encrypt'] })).toBe('not_for_signatures');
    expect(rejection({ ...rsa2048, alg: 'HS256' })).toBe('algorithm_mismatch');
    expect(rejection({ ...rsa2048, alg: 'ES256' })).toBe('algorithm_mismatch');
    expect(rejection({ ...rsa2048, alg: 'none' })).toBe('algorithm_mismatch');
  });

  it('refuses keys without a kid and malformed keys without throwing', () => {
    expect(rejection({ ...rsa2048, kid: undefined })).toBe('no_kid');
    expect(rejection({ kty: 'RSA', kid: 'x', n: 5, e: 'AQAB' })).toBe('malformed_key');
    expect(rejection({ kty: 'RSA', kid: 'x', n: 'not base64!', e: 'AQAB' })).toBe('weak_rsa_modulus');
    expect(rejection({ kty: 'EC', kid: 'x', crv: 'P-256', x: 'AAAA', y: 'AAAA' })).toBe('malformed_key');
    expect(rejection(null)).toBe('malformed_key');
    expect(rejection('key')).toBe('malformed_key');
  });
});
