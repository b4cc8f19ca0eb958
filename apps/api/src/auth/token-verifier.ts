/**
 * Verifies a bearer token against the trusted-issuer registry. This is the
 * security boundary of authentication:
 *
 * - only `iss`, `kid` and `alg` are read from the unverified token; an issuer
 *   that is not in the registry is refused before any network call, and an
 *   algorithm the issuer does not use is refused;
 * - the key comes from that issuer's registered JWKS (JwksKeyStore). Header
 *   fields that point elsewhere (`jku`, `x5u`, `jwk`, `x5c`) are never read;
 * - the signature is checked with node:crypto (`crypto.verify` with the
 *   cached KeyObject) for an algorithm both the issuer and the key allow
 *   (signing-keys.ts: strong keys only, their declared `alg` honoured);
 * - then the claims: `exp` is required, `exp`/`nbf`/`iat` must be finite
 *   numbers in a sane range (not before 2001, at most a week ahead), `exp`
 *   and `nbf` hold with the configured clock skew, `iat` is not in the future;
 * - and no claim (name or value, at any depth) carries text Gatehouse refuses
 *   everywhere (common/unsafe-text.ts: NUL, unpaired surrogates), so nothing
 *   downstream looks a user up with it or stores it. Such text can only come
 *   from a `\u` escape in the payload's JSON: its text is decoded from UTF-8,
 *   which never yields an unpaired surrogate (invalid bytes become U+FFFD), and
 *   JSON.parse refuses a raw NUL. So a payload without a backslash is clean
 *   without walking its claims; one with a backslash is walked in full.
 *
 * Why node:crypto and no JWT library: the checks above are the whole of JWS
 * verification for the algorithms Gatehouse accepts, and written out they are
 * short enough to review; jsonwebtoken re-decoded the token and cost a third
 * of the guard's time, jose's async API costs more (the bench measured
 * 0.73–0.83× and 0.24–0.40× of raw node:crypto). The token-attack suite
 * (test/security/token-attacks.test.ts) and token-verifier.spec.ts pin the
 * behaviour.
 *
 * Tenant, user and role resolution is not done here: PrincipalResolver does it
 * from the verified claims, on every request.
 *
 * **Verified-token cache.** A client sends the same token with every request
 * until it expires, and the signature check is most of the cost of a
 * verification. So the claims of a token that passed every check above are
 * kept in a bounded LRU, and used only for the very same token string (an
 * exact match: a token that differs in any byte is verified from scratch).
 * The map is keyed by the last characters of the signature and each entry
 * holds its whole token, compared in full on every hit: hashing a 1-2 KB
 * token string as a map key cost more than all the claim checks together.
 * A token is admitted on its second full verification, not its first (a
 * "doorkeeper": the first one only marks its signature's hash in a fixed
 * array): a token a client sends once — and a flood of fresh tokens — never
 * fills the cache, and the garbage collector does not copy 2 KB of token and
 * claims for every never-again token (profiled at 10–25% of a first-seen
 * verification). A client's token costs two signature checks, then none.
 * Claims are frozen when they are admitted, since from then on every request
 * with the token shares the object; a first sighting's claims are used by
 * that one request only, and freezing them cost ~1% of a verification.
 * An entry is used only while ALL of these still hold, and is dropped otherwise:
 *
 * - the token has not reached its `exp` (no clock-skew allowance on a cached
 *   entry: once `exp` is reached, the token is verified from scratch again);
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
import { constants, verify as verifySignature } from 'node:crypto';
import { findUnsafeText } from '../common/unsafe-text.js';
import type { AppConfig } from '../config/config.schema.js';
import { UnauthenticatedError } from './auth.errors.js';
import type { IssuerRegistry, TrustedIssuer } from './issuer-registry.js';
import type { JwksKeyStore, VersionedKey } from './jwks-key-store.js';
import type { Claims } from './principal-resolver.js';
import type { SigningKey } from './signing-keys.js';

/** The outcome codes of a refused token (a seam for metrics): every refusal is an UnauthenticatedError with one. */
export type TokenRejectionCode = UnauthenticatedError['code'];

/** ~1-2 KB per Cognito token plus its claims: at most some tens of MB. */
export const DEFAULT_MAX_CACHED_TOKENS = 10_000;
/** No issuer Gatehouse trusts issues tokens that live longer than this; a later `exp` is not a real token. */
export const MAX_TOKEN_LIFETIME_SECONDS = 7 * 24 * 3600;
/** 2001-09-09: any date claim before it is a bug or a forgery, not a token. */
const EARLIEST_DATE_SECONDS = 1_000_000_000;

/** How node:crypto verifies each algorithm: digest, and the key options beyond the KeyObject. */
const SIGNATURE_SCHEMES: Readonly<Record<string, { digest: string; padding?: number; saltLength?: number; dsaEncoding?: 'ieee-p1363' }>> = {
  RS256: { digest: 'sha256' },
  RS384: { digest: 'sha384' },
  RS512: { digest: 'sha512' },
  PS256: { digest: 'sha256', padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST },
  PS384: { digest: 'sha384', padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST },
  PS512: { digest: 'sha512', padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST },
  ES256: { digest: 'sha256', dsaEncoding: 'ieee-p1363' },
  ES384: { digest: 'sha384', dsaEncoding: 'ieee-p1363' },
};

const invalid = (detail = 'The token could not be verified.') => new UnauthenticatedError('invalid_token', detail);

export interface TokenVerifierOptions {
  readonly clockSkewSeconds: number;
  /** Verified tokens kept (least recently used dropped first, approximately); 0 turns the cache off. */
  readonly maxCachedTokens?: number;
  /** Injected for tests of the timing rules; defaults to Date.now. */
  readonly now?: () => number;
}

export function tokenVerifierOptions(config: AppConfig): TokenVerifierOptions {
  return { clockSkewSeconds: config.env.TOKEN_CLOCK_SKEW_SECONDS };
}

/**
 * How much of a token's end (its signature) keys the verified-token cache: 32
 * base64url characters, 192 bits of a signature. Only verified tokens are stored,
 * and a hit also needs the whole token to be equal, so a forged token that shares
 * a real one's signature is not a hit (it is verified, and fails).
 */
const CACHE_KEY_LENGTH = 32;

const cacheKeyOf = (token: string) => token.slice(-CACHE_KEY_LENGTH);

/** Slots of the doorkeeper, one per value of a mark's high 16 bits: 256 KB; a mark survives ~65,000 other first sightings. */
const DOORKEEPER_SLOTS = 1 << 16;

/** FNV-1a over the signature's tail: where a token's first sighting is marked. Never 0 (0 is "no mark"). */
function sightingMark(token: string): number {
  let hash = 0x811c9dc5;
  for (let index = Math.max(0, token.length - CACHE_KEY_LENGTH); index < token.length; index += 1) {
    hash = Math.imul(hash ^ token.charCodeAt(index), 0x01000193);
  }
  // `| 1` yields a signed int32; `>>> 0` after it keeps the mark unsigned, as the Uint32Array stores it.
  return (hash | 1) >>> 0;
}

interface CachedToken {
  /** The whole token: the cache key is only its tail. */
  readonly token: string;
  readonly claims: Claims;
  /** The registry entry the token was verified against (identity, not equality). */
  readonly issuer: TrustedIssuer;
  readonly keyGeneration: number;
  /** `exp` in milliseconds: the entry is unusable from then on. */
  readonly expiresAtMs: number;
  /** Hit since it was stored (or last spared): eviction passes it over once. */
  used: boolean;
}

/** A JWS compact token split once: the two decoded JSON objects and where the signature starts. */
interface ParsedToken {
  readonly header: Record<string, unknown>;
  readonly payload: Record<string, unknown>;
  /** Index of the second '.': the signed input is token[0, signedLength). */
  readonly signedLength: number;
  /** The payload's JSON text has a backslash: only then can a claim hold a NUL or an unpaired surrogate. */
  readonly payloadEscaped: boolean;
}

/**
 * Scratch memory a verification decodes into: the payload's bytes, then the signed
 * input and the signature side by side. `Buffer.from` per segment took a slice of
 * Node's 8 KB buffer pool three times per token, and a new pool every few tokens
 * (~5% of a verification's own work, besides the RSA math). Only ever used
 * synchronously — written, then read, with nothing in between — so one per
 * process is enough; a token too large for it is decoded the ordinary way.
 */
const SCRATCH_BYTES = 32 * 1024;
const scratch = Buffer.allocUnsafeSlow(SCRATCH_BYTES);

/** A base64url segment's bytes as UTF-8 text (base64url never decodes to more bytes than it has characters). */
function decodeSegment(segment: string): string {
  if (segment.length > SCRATCH_BYTES) return Buffer.from(segment, 'base64url').toString('utf8');
  const length = scratch.write(segment, 0, 'base64url');
  return scratch.toString('utf8', 0, length);
}

function parseJsonObject(text: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw invalid('The token is not a well-formed JWT.');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid('The token is not a well-formed JWT.');
  return value as Record<string, unknown>;
}

/**
 * Decoded JOSE headers by their base64url text. An issuer signs every token with
 * one of a few keys, so the same few headers (`{"kid":…,"alg":"RS256"}`) come
 * again and again; decoding is a pure function of the text, so the decoded
 * (frozen) object is reused. Bounded: emptied when full, so odd headers an
 * attacker sends cannot grow it.
 */
const MAX_MEMO_HEADERS = 256;
const decodedHeaders = new Map<string, Record<string, unknown>>();
/** The header decoded last, and its text: runs of tokens share one, and comparing ~70 characters costs less than hashing them. */
let lastHeaderText = '';
let lastHeader: Record<string, unknown> | undefined;

function decodeHeader(segment: string): Record<string, unknown> {
  if (lastHeader !== undefined && segment === lastHeaderText) return lastHeader;
  let header = decodedHeaders.get(segment);
  if (!header) {
    header = Object.freeze(parseJsonObject(decodeSegment(segment)));
    if (decodedHeaders.size >= MAX_MEMO_HEADERS) decodedHeaders.clear();
    decodedHeaders.set(segment, header);
  }
  lastHeaderText = segment;
  lastHeader = header;
  return header;
}

function parseToken(token: string): ParsedToken {
  const first = token.indexOf('.');
  const second = first < 0 ? -1 : token.indexOf('.', first + 1);
  if (first <= 0 || second <= first + 1 || second === token.length - 1 || token.indexOf('.', second + 1) !== -1) {
    throw invalid('The token is not a well-formed JWT.');
  }
  const header = decodeHeader(token.slice(0, first));
  const payloadText = decodeSegment(token.slice(first + 1, second));
  return { header, payload: parseJsonObject(payloadText), signedLength: second, payloadEscaped: payloadText.includes('\\') };
}

/** A NumericDate claim: absent, or a finite number of seconds in a range real tokens use. */
function dateClaim(payload: Record<string, unknown>, name: string, latest: number): number | undefined {
  const value = payload[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < EARLIEST_DATE_SECONDS || value > latest) {
    throw invalid(`The token's ${name} claim is not a plausible time.`);
  }
  return value;
}

export class TokenVerifier {
  private readonly now: () => number;
  private readonly maxCachedTokens: number;
  /** {@link cacheKeyOf}(token) → the verified token and its claims; Map order is insertion order (oldest first). */
  private readonly cache = new Map<string, CachedToken>();
  /** First sightings of verified tokens, by {@link sightingMark}; a collision only delays or hastens admission. */
  private readonly seenOnce = new Uint32Array(DOORKEEPER_SLOTS);

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

  /**
   * Forgets every verified token and every first sighting, so that tokens verified before are
   * never-seen again (the next one is a full verification, and not admitted to the cache). For
   * tests and benchmarks; nothing in the request path calls it.
   */
  forgetTokens(): void {
    this.cache.clear();
    this.seenOnce.fill(0);
  }

  /** The token's verified claims, or an UnauthenticatedError (typed `code`) saying why not. */
  async verify(token: string): Promise<Claims> {
    return await this.check(token);
  }

  /**
   * {@link verify} without a promise where none is needed: the claims at once when
   * the token is cached or its key is (every request but a key's first), a promise
   * only when the key must be fetched. Throws the UnauthenticatedError synchronously.
   * The guard calls this: it runs on every request, and each promise costs there.
   */
  check(token: string): Claims | Promise<Claims> {
    const key = cacheKeyOf(token);
    const cached = this.cache.get(key);
    if (cached !== undefined && cached.token === token) {
      if (this.stillValid(cached)) {
        cached.used = true; // recency for eviction, without moving the entry in the Map
        return cached.claims;
      }
      this.cache.delete(key);
    }
    const parsed = parseToken(token);
    const { alg, kid, crit } = parsed.header;
    const iss = parsed.payload['iss'];
    if (typeof alg !== 'string' || typeof iss !== 'string' || (kid !== undefined && typeof kid !== 'string')) {
      throw invalid('The token is not a well-formed JWT.');
    }
    // RFC 7515 §4.1.11: extensions we do not understand must not be ignored.
    if (crit !== undefined) throw invalid('The token requires header extensions Gatehouse does not support.');
    const issuer = this.issuers.registry.issuer(iss);
    if (!issuer) throw new UnauthenticatedError('untrusted_issuer', 'The token was not issued by a trusted issuer.');
    if (!issuer.algorithms.includes(alg)) throw invalid(`The ${alg} algorithm is not accepted from this issuer.`);
    // A cached key costs no promise; only a key we do not hold yet goes to the (rate-limited) JWKS fetch.
    const versioned = this.keys.cachedKey(issuer.issuer, issuer.jwksUri, kid);
    if (versioned) return this.checkSigned(token, parsed, alg, issuer, versioned);
    return this.keys.getVersionedKey(issuer.issuer, issuer.jwksUri, kid).then((fetched) => this.checkSigned(token, parsed, alg, issuer, fetched));
  }

  private checkSigned(token: string, parsed: ParsedToken, alg: string, issuer: TrustedIssuer, versioned: VersionedKey): Claims {
    if (!verifies(token, parsed.signedLength, alg, versioned.key)) throw invalid();
    const claims = this.checkTimes(parsed.payload);
    // A signed token may still carry text Postgres cannot store (NUL) or UTF-8 cannot encode: refuse it (see the top).
    if (parsed.payloadEscaped && findUnsafeText(claims) !== undefined) {
      throw invalid('The token carries characters Gatehouse does not accept.');
    }
    if (this.secondSighting(token)) {
      const shared = Object.freeze(claims);
      this.remember({ token, claims: shared, issuer, keyGeneration: versioned.generation, expiresAtMs: (shared['exp'] as number) * 1000, used: false });
    }
    return claims;
  }

  private checkTimes(payload: Record<string, unknown>): Claims {
    const nowSeconds = this.now() / 1000;
    const skew = this.options.clockSkewSeconds;
    const latest = nowSeconds + MAX_TOKEN_LIFETIME_SECONDS + skew;
    const exp = dateClaim(payload, 'exp', latest);
    const nbf = dateClaim(payload, 'nbf', latest);
    dateClaim(payload, 'iat', nowSeconds + skew); // not in the future
    if (exp === undefined) throw invalid('The token has no expiry (exp).');
    if (nowSeconds >= exp + skew) throw new UnauthenticatedError('token_expired', 'The token has expired.');
    if (nbf !== undefined && nowSeconds < nbf - skew) throw new UnauthenticatedError('token_not_yet_valid', 'The token is not valid yet.');
    return payload;
  }

  private stillValid(entry: CachedToken): boolean {
    return (
      this.now() < entry.expiresAtMs &&
      this.issuers.registry.issuer(entry.issuer.issuer) === entry.issuer &&
      this.keys.generation(entry.issuer.issuer) === entry.keyGeneration
    );
  }

  /** True on a verified token's second sighting (then it may be cached); on its first, marks it and says no. */
  private secondSighting(token: string): boolean {
    if (this.maxCachedTokens <= 0) return false;
    const mark = sightingMark(token);
    const slot = mark >>> 16; // the high half picks the slot (the low bit is always set)
    if (this.seenOnce[slot] === mark) {
      this.seenOnce[slot] = 0;
      return true;
    }
    this.seenOnce[slot] = mark;
    return false;
  }

  private remember(entry: CachedToken): void {
    if (this.maxCachedTokens <= 0 || !(this.now() < entry.expiresAtMs)) return;
    // The registry may have changed while the key was being fetched: cache only what is still current.
    if (this.issuers.registry.issuer(entry.issuer.issuer) !== entry.issuer) return;
    this.cache.set(cacheKeyOf(entry.token), entry);
    if (this.cache.size > this.maxCachedTokens) this.evictOldest();
  }

  /**
   * Drops a sixteenth of the entries in one pass, oldest first, giving an entry hit
   * since it was stored a second chance (moved to the newest end, its mark cleared):
   * the effect of LRU without a Map delete and insert on every hit. One eviction per
   * insert would cost far more: a Map keeps deleted slots until it rehashes, so each
   * `keys().next()` walks past every entry deleted before it — profiled at a tenth of
   * a first-seen verification once the cache was full.
   */
  private evictOldest(): void {
    let excess = this.cache.size - this.maxCachedTokens + Math.floor(this.maxCachedTokens / 16);
    for (const [key, entry] of this.cache) {
      if (excess <= 0) break;
      this.cache.delete(key);
      if (entry.used) {
        entry.used = false;
        this.cache.set(key, entry); // visited again later in this pass only if everything else was used too
      } else {
        excess -= 1;
      }
    }
  }
}

/** The JWS signature check, for an algorithm the key allows; false for anything that is not a valid signature. */
function verifies(token: string, signedLength: number, alg: string, signingKey: SigningKey): boolean {
  const scheme = SIGNATURE_SCHEMES[alg];
  if (!scheme || !signingKey.algorithms.has(alg)) return false;
  // The signed input is written one byte per character (latin1): a character beyond ASCII would
  // alias another's byte and let a different string pass for the signed one. The bearer header's
  // grammar already excludes them; this holds for tokens from every other path too.
  if (Buffer.byteLength(token, 'utf8') !== token.length) return false;
  const signatureText = token.slice(signedLength + 1);
  let data: Buffer;
  let signature: Buffer;
  if (signedLength + signatureText.length <= SCRATCH_BYTES) {
    // The signed input (one byte per character) at the start, the signature's bytes right after it.
    scratch.write(token, 0, signedLength, 'latin1');
    data = scratch.subarray(0, signedLength);
    signature = scratch.subarray(signedLength, signedLength + scratch.write(signatureText, signedLength, 'base64url'));
  } else {
    data = Buffer.from(token.slice(0, signedLength), 'latin1');
    signature = Buffer.from(signatureText, 'base64url');
  }
  if (signature.length === 0) return false;
  const key = scheme.padding === undefined && scheme.dsaEncoding === undefined
    ? signingKey.key
    : { key: signingKey.key, padding: scheme.padding, saltLength: scheme.saltLength, dsaEncoding: scheme.dsaEncoding };
  try {
    return verifySignature(scheme.digest, data, key, signature);
  } catch {
    return false; // e.g. an EC signature of the wrong length
  }
}
