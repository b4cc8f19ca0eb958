/**
 * Signing keys per trusted issuer, fetched with jwks-rsa from the JWKS URL the
 * registry holds (never from a URL a token names), each key admitted only by
 * the rules of signing-keys.ts (strength, purpose, algorithm).
 *
 * - One key set per issuer, created lazily on that issuer's first token.
 * - A `kid` we have not seen triggers at most ONE refetch per issuer per
 *   cool-down window, however many requests carry it: concurrent misses share
 *   the in-flight fetch, and misses inside the window are refused without a
 *   fetch. A flood of random `kid`s therefore costs one request to the IdP.
 * - A successful fetch replaces the key set (a key the IdP removed stops
 *   verifying); a failed fetch keeps the cached keys, so an IdP outage does not
 *   stop tokens whose keys we already hold.
 */
import type { KeyObject } from 'node:crypto';
import jwksRsa from 'jwks-rsa';
import { SigningKeysUnavailableError, UnauthenticatedError } from './auth.errors.js';
import { type KeyRejection, type SigningKey, acceptSigningKey } from './signing-keys.js';

export interface VersionedKey {
  readonly key: SigningKey;
  readonly generation: number;
}

export interface JwksKeyStoreOptions {
  readonly refetchCooldownMs: number;
  readonly timeoutMs: number;
  /** How JWKS documents are fetched (the outbound-address rules, see guarded-jwks-fetcher.ts); jwks-rsa's own by default. */
  readonly fetcher?: (jwksUri: string) => Promise<{ keys: unknown }>;
  /** Injected for tests of the timing rules; defaults to Date.now. */
  readonly now?: () => number;
  /** Told about every JWKS fetch that ended (metrics). */
  readonly onFetch?: (outcome: 'success' | 'failure') => void;
}

interface IssuerKeySet {
  readonly jwksUri: string;
  readonly client: jwksRsa.JwksClient;
  keys: Map<string, SigningKey>;
  /** Keys the issuer publishes that Gatehouse refuses to verify with, and why. */
  rejected: Map<string, KeyRejection>;
  lastFetchAt: number;
  /** The last fetch failed: until the cool-down ends, a missing kid is an outage, not an unknown key. */
  lastFetchFailed: boolean;
  inflight: Promise<void> | undefined;
  /**
   * Changes on each fetch that changed the key set (a key added, removed, or
   * different under the same kid); lets caches drop entries signed with
   * removed keys. Values come from one store-wide counter, so a key set that
   * replaces another (new JWKS URL) never repeats an old value.
   */
  generation: number;
  fetches: number;
}

export class JwksKeyStore {
  private readonly sets = new Map<string, IssuerKeySet>();
  private readonly now: () => number;
  private lastGeneration = 0;

  constructor(private readonly options: JwksKeyStoreOptions) {
    this.now = options.now ?? Date.now;
  }

  /** The verification key for `kid` from `issuer`, fetching that issuer's JWKS when the rules allow. */
  async getKey(issuer: string, jwksUri: string, kid: string | undefined): Promise<KeyObject> {
    return (await this.getVersionedKey(issuer, jwksUri, kid)).key.key;
  }

  /**
   * The key for `kid` from `issuer` when it is already held, with the
   * generation of its key set — synchronously, so a first-seen token whose
   * key is cached costs no promise. Undefined: ask {@link getVersionedKey}.
   */
  cachedKey(issuer: string, jwksUri: string, kid: string | undefined): VersionedKey | undefined {
    const set = this.sets.get(issuer);
    if (!set || set.jwksUri !== jwksUri || !kid) return undefined;
    const key = set.keys.get(kid);
    return key ? { key, generation: set.generation } : undefined;
  }

  /**
   * The key for `kid` from `issuer`, fetching that issuer's JWKS when the
   * rules allow, with the generation of the key set the key was taken from,
   * read in the same synchronous step: a cache that stores it can tell later
   * whether that key set is still the current one.
   */
  async getVersionedKey(issuer: string, jwksUri: string, kid: string | undefined): Promise<VersionedKey> {
    if (!kid) throw new UnauthenticatedError('unknown_signing_key', 'The token names no signing key (kid).');
    const set = this.keySetFor(issuer, jwksUri);
    const cached = set.keys.get(kid);
    if (cached) return { key: cached, generation: set.generation };
    if (set.rejected.has(kid)) throw rejectedKey();

    if (!set.inflight) {
      if (set.lastFetchAt !== 0 && this.now() - set.lastFetchAt < this.options.refetchCooldownMs) {
        if (set.lastFetchFailed) throw this.unavailable(set);
        throw new UnauthenticatedError('unknown_signing_key', 'The token was signed with a key this issuer does not publish.');
      }
      set.inflight = this.fetch(set).finally(() => {
        set.inflight = undefined;
      });
    }
    await set.inflight.catch(() => {
      throw this.unavailable(set);
    });
    const fetched = set.keys.get(kid);
    if (fetched) return { key: fetched, generation: set.generation };
    if (set.rejected.has(kid)) throw rejectedKey();
    throw new UnauthenticatedError('unknown_signing_key', 'The token was signed with a key this issuer does not publish.');
  }

  /** Why a key the issuer publishes is refused, if it is — for tests and logs. */
  rejection(issuer: string, kid: string): KeyRejection | undefined {
    return this.sets.get(issuer)?.rejected.get(kid);
  }

  /** 503 with Retry-After: the end of the cool-down, when the next fetch may be tried. */
  private unavailable(set: IssuerKeySet): SigningKeysUnavailableError {
    const waitMs = set.lastFetchAt + this.options.refetchCooldownMs - this.now();
    return new SigningKeysUnavailableError(Math.max(1, Math.ceil(waitMs / 1000)));
  }

  /** Generation of an issuer's key set (0 before the first fetch). */
  generation(issuer: string): number {
    return this.sets.get(issuer)?.generation ?? 0;
  }

  /** Number of fetches started for an issuer — for tests and metrics. */
  fetchCount(issuer: string): number {
    return this.sets.get(issuer)?.fetches ?? 0;
  }

  private keySetFor(issuer: string, jwksUri: string): IssuerKeySet {
    let set = this.sets.get(issuer);
    // A registry change of the JWKS URL (e.g. a re-registered external IdP) starts a fresh key set.
    if (!set || set.jwksUri !== jwksUri) {
      set = {
        jwksUri,
        client: jwksRsa({
          jwksUri,
          cache: false,
          rateLimit: false,
          timeout: this.options.timeoutMs,
          ...(this.options.fetcher ? { fetcher: this.options.fetcher as (uri: string) => Promise<{ keys: never }> } : {}),
        }),
        keys: new Map(),
        rejected: new Map(),
        lastFetchAt: 0,
        lastFetchFailed: false,
        inflight: undefined,
        generation: 0,
        fetches: 0,
      };
      this.sets.set(issuer, set);
    }
    return set;
  }

  private async fetch(set: IssuerKeySet): Promise<void> {
    set.lastFetchAt = this.now();
    set.fetches += 1;
    set.lastFetchFailed = true;
    let published: unknown[];
    try {
      const body: unknown = await set.client.getKeys();
      if (!Array.isArray(body)) throw new Error('the JWKS has no "keys" array');
      published = body;
    } catch (error) {
      this.options.onFetch?.('failure');
      throw error;
    }
    this.options.onFetch?.('success');
    set.lastFetchFailed = false;
    const keys = new Map<string, SigningKey>();
    const rejected = new Map<string, KeyRejection>();
    for (const jwk of published) {
      const outcome = acceptSigningKey(jwk);
      if ('key' in outcome) keys.set(outcome.key.kid, outcome.key);
      else if (outcome.kid !== undefined && !keys.has(outcome.kid)) rejected.set(outcome.kid, outcome.rejected);
    }
    for (const kid of keys.keys()) rejected.delete(kid);
    const changed =
      keys.size !== set.keys.size ||
      [...keys].some(([kid, next]) => {
        const previous = set.keys.get(kid);
        return !previous || !previous.key.equals(next.key) || [...next.algorithms].join() !== [...previous.algorithms].join();
      });
    set.rejected = rejected;
    set.keys = keys;
    if (changed) {
      this.lastGeneration += 1;
      set.generation = this.lastGeneration;
    }
  }
}

function rejectedKey(): UnauthenticatedError {
  return new UnauthenticatedError('signing_key_rejected', 'The token was signed with a key Gatehouse does not accept (too weak or not for signatures).');
}
