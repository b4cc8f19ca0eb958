/**
 * Verifies a bearer token against the trusted-issuer registry. This is the
 * security boundary of authentication:
 *
 * - only `iss`, `kid` and `alg` are read from the unverified token; an issuer
 *   that is not in the registry is refused before any network call, and an
 *   algorithm the issuer does not use is refused;
 * - the key comes from that issuer's registered JWKS (JwksKeyStore). Header
 *   fields that point elsewhere (`jku`, `x5u`, `jwk`, `x5c`) are never read;
 * - jsonwebtoken then verifies the signature with the accepted algorithms
 *   only, and `exp`/`nbf` with the configured clock skew; a token without
 *   `exp` is refused (jsonwebtoken would skip the expiry check).
 *
 * Tenant, user and role resolution is not done here: PrincipalResolver does it
 * from the verified claims, on every request.
 */
import jwt from 'jsonwebtoken';
import type { AppConfig } from '../config/config.schema.js';
import { UnauthenticatedError } from './auth.errors.js';
import { peekToken } from './bearer-token.js';
import { EXTERNAL_ALGORITHMS, type IssuerRegistry } from './issuer-registry.js';
import type { JwksKeyStore } from './jwks-key-store.js';
import type { Claims } from './principal-resolver.js';

/** The union of what any issuer may use; each issuer's own list is enforced before the key is fetched. */
const VERIFY_ALGORITHMS: jwt.Algorithm[] = [...EXTERNAL_ALGORITHMS];

/** jsonwebtoken's errors → stable 401 codes. */
export function verificationFailure(error: unknown): UnauthenticatedError {
  const name = (error as { name?: string } | undefined)?.name;
  if (name === 'TokenExpiredError') return new UnauthenticatedError('token_expired', 'The token has expired.');
  if (name === 'NotBeforeError') return new UnauthenticatedError('token_not_yet_valid', 'The token is not valid yet.');
  return new UnauthenticatedError('invalid_token', 'The token could not be verified.');
}

export interface TokenVerifierOptions {
  readonly clockSkewSeconds: number;
  /** Injected for tests of the timing rules; defaults to Date.now. */
  readonly now?: () => number;
}

export function tokenVerifierOptions(config: AppConfig): TokenVerifierOptions {
  return { clockSkewSeconds: config.env.TOKEN_CLOCK_SKEW_SECONDS };
}

export class TokenVerifier {
  private readonly now: () => number;

  constructor(
    private readonly issuers: { readonly registry: IssuerRegistry },
    private readonly keys: JwksKeyStore,
    private readonly options: TokenVerifierOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  /** The token's verified claims, or an UnauthenticatedError saying why not. */
  async verify(token: string): Promise<Claims> {
    const unverified = peekToken(token);
    const issuer = this.issuers.registry.issuer(unverified.iss);
    if (!issuer) throw new UnauthenticatedError('untrusted_issuer', 'The token was not issued by a trusted issuer.');
    if (!issuer.algorithms.includes(unverified.alg)) {
      throw new UnauthenticatedError('invalid_token', `The ${unverified.alg} algorithm is not accepted from this issuer.`);
    }
    const key = await this.keys.getKey(issuer.issuer, issuer.jwksUri, unverified.kid);
    let claims: unknown;
    try {
      claims = jwt.verify(token, key, {
        algorithms: VERIFY_ALGORITHMS,
        clockTolerance: this.options.clockSkewSeconds,
        clockTimestamp: Math.floor(this.now() / 1000),
      });
    } catch (error) {
      throw verificationFailure(error);
    }
    if (typeof claims !== 'object' || claims === null) throw new UnauthenticatedError('invalid_token', 'The token could not be verified.');
    // jsonwebtoken checks `exp` only when the token has one: a token without an expiry would never expire.
    if (typeof (claims as Claims)['exp'] !== 'number') throw new UnauthenticatedError('invalid_token', 'The token has no expiry (exp).');
    return claims as Claims;
  }
}
