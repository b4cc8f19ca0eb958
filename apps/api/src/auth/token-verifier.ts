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
 *
 * **Verified-token cache.** A client sends the same token with every request
 * until it expires, and the signature check is most of the cost of a
 * verification. So the claims of a token that passed every check above are
 * kept in a bounded LRU keyed by the whole token string (an exact match: a
 * token that differs in any byte is verified from scratch). An entry is used
 * only while ALL of these still hold, and is dropped otherwise:
 *
 * - the token has not reached its `exp` (no clock-skew allowance on a cached
 *   entry: once `exp` is reached, the token goes through jsonwebtoken again);
 * - the registry still maps its `iss` to the very same issuer entry: a tenant
 *   removed, deleted, or re-registered (silo pool, external IdP, JWKS URL)
 *   replaces or removes that entry;
 * - the issuer's key set has the same generation: a JWKS refetch that removed
 *   or changed any key invalidates every token verified before it.
 *
 * Failures are never cached. Tenant status (suspended/deleted), user status
 * (disabled), roles and the route hint are not cached here at all: the guard
 * resolves them from the claims on every request, so they take effect at once.
 */
import jwt from 'jsonwebtoken';
import type { AppConfig } from '../config/config.schema.js';
import { UnauthenticatedError } from './auth.errors.js';
import { peekToken } from './bearer-token.js';
import { EXTERNAL_ALGORITHMS, type IssuerRegistry, type TrustedIssuer } from './issuer-registry.js';
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

/** ~1-2 KB per Cognito token plus its claims: at most some tens of MB. */
export const DEFAULT_MAX_CACHED_TOKENS = 10_000;

export interface TokenVerifierOptions {
  readonly clockSkewSeconds: number;
  /** Verified tokens kept (least recently used dropped first); 0 turns the cache off. */
  readonly maxCachedTokens?: number;
  /** Injected for tests of the timing rules; defaults to Date.now. */
  readonly now?: () => number;
}

export function tokenVerifierOptions(config: AppConfig): TokenVerifierOptions {
  return { clockSkewSeconds: config.env.TOKEN_CLOCK_SKEW_SECONDS };
}

interface CachedToken {
  readonly claims: Claims;
  /** The registry entry the token was verified against (identity, not equality). */
  readonly issuer: TrustedIssuer;
  readonly keyGeneration: number;
  /** `exp` in milliseconds: the entry is unusable from then on. */
  readonly expiresAtMs: number;
}

export class TokenVerifier {
  private readonly now: () => number;
  private readonly maxCachedTokens: number;
  /** token → verified claims; Map order is LRU order (oldest first). */
  private readonly cache = new Map<string, CachedToken>();

  constructor(
    private readonly issuers: { readonly registry: IssuerRegistry },
    private readonly keys: JwksKeyStore,
    private readonly options: TokenVerifierOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.maxCachedTokens = options.maxCachedTokens ?? DEFAULT_MAX_CACHED_TOKENS;
  }

  /** Number of verified tokens held — for tests and metrics. */
  get cachedTokens(): number {
    return this.cache.size;
  }

  /** The token's verified claims, or an UnauthenticatedError saying why not. */
  async verify(token: string): Promise<Claims> {
    const cached = this.cache.get(token);
    if (cached) {
      this.cache.delete(token);
      if (this.stillValid(cached)) {
        this.cache.set(token, cached); // most recently used
        return cached.claims;
      }
    }
    const unverified = peekToken(token);
    const issuer = this.issuers.registry.issuer(unverified.iss);
    if (!issuer) throw new UnauthenticatedError('untrusted_issuer', 'The token was not issued by a trusted issuer.');
    if (!issuer.algorithms.includes(unverified.alg)) {
      throw new UnauthenticatedError('invalid_token', `The ${unverified.alg} algorithm is not accepted from this issuer.`);
    }
    const { key, generation: keyGeneration } = await this.keys.getVersionedKey(issuer.issuer, issuer.jwksUri, unverified.kid);
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
    const exp = (claims as Claims)['exp'];
    if (typeof exp !== 'number') throw new UnauthenticatedError('invalid_token', 'The token has no expiry (exp).');
    const verified = Object.freeze(claims as Claims);
    this.remember(token, {
      claims: verified,
      issuer,
      keyGeneration,
      expiresAtMs: exp * 1000,
    });
    return verified;
  }

  private stillValid(entry: CachedToken): boolean {
    return (
      this.now() < entry.expiresAtMs &&
      this.issuers.registry.issuer(entry.issuer.issuer) === entry.issuer &&
      this.keys.generation(entry.issuer.issuer) === entry.keyGeneration
    );
  }

  private remember(token: string, entry: CachedToken): void {
    if (this.maxCachedTokens <= 0 || !(this.now() < entry.expiresAtMs)) return;
    // The registry may have changed while the key was being fetched: cache only what is still current.
    if (this.issuers.registry.issuer(entry.issuer.issuer) !== entry.issuer) return;
    this.cache.set(token, entry);
    while (this.cache.size > this.maxCachedTokens) {
      const oldest = this.cache.keys().next();
      if (oldest.done) break;
      this.cache.delete(oldest.value);
    }
  }
}
