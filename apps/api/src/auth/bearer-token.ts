/**
 * Reads `Authorization: Bearer <jwt>` strictly. (TokenVerifier decodes the
 * token; the only unverified facts it uses are `iss`, `kid` and `alg`.)
 */
import { UnauthenticatedError } from './auth.errors.js';

/**
 * `Bearer` (any case), one space, then a compact JWS: three base64url segments, the last
 * possibly empty. The header and signature segments are checked character by character; the
 * payload (most of a token's length) is not, because the signature covers it: the signed input
 * is the header and payload exactly as sent, so a payload with any other character cannot carry
 * a valid signature (and one beyond ASCII is refused outright, token-verifier.ts). The signature
 * segment must be checked: base64url decoding would skip or alias stray characters and let a
 * different string pass for a signed token. Checking 400 characters instead of 1-2 KB halved
 * the cost of this step, which runs on every request.
 */
const HEADER_SEGMENT = /^[A-Za-z0-9_-]+$/;
const SIGNATURE_SEGMENT = /^[A-Za-z0-9_-]*$/;
const SCHEME_LENGTH = 'Bearer '.length;
/** Cognito tokens are ~1-2 KB; anything far larger is not a token we issue or accept. */
const MAX_TOKEN_LENGTH = 16 * 1024;
const MAX_HEADER_LENGTH = SCHEME_LENGTH + MAX_TOKEN_LENGTH;

const malformed = () => new UnauthenticatedError('invalid_authorization_header', 'The Authorization header is not "Bearer <jwt>".');

export function extractBearerToken(authorization: string | string[] | undefined): string {
  if (authorization === undefined) {
    throw new UnauthenticatedError('token_missing', 'Send an access token: Authorization: Bearer <token>.');
  }
  // Length first: an oversized header is refused without being scanned.
  if (
    typeof authorization !== 'string' ||
    authorization.length <= SCHEME_LENGTH ||
    authorization.length > MAX_HEADER_LENGTH ||
    authorization.charCodeAt(SCHEME_LENGTH - 1) !== 32 ||
    authorization.slice(0, SCHEME_LENGTH - 1).toLowerCase() !== 'bearer'
  ) {
    throw malformed();
  }
  const token = authorization.slice(SCHEME_LENGTH);
  const first = token.indexOf('.');
  const second = first < 0 ? -1 : token.indexOf('.', first + 1);
  if (first <= 0 || second <= first + 1 || token.indexOf('.', second + 1) !== -1) throw malformed();
  if (!HEADER_SEGMENT.test(token.slice(0, first)) || !SIGNATURE_SEGMENT.test(token.slice(second + 1))) throw malformed();
  return token;
}

function decodeSegment(segment: string): Record<string, unknown> {
  const value: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('not an object');
  return value as Record<string, unknown>;
}

/**
 * A JWT's payload WITHOUT verification, or undefined when it is not one. Only
 * for tokens Gatehouse received straight from Cognito over its own connection
 * (their expiry, their subject), never for tokens a client sent.
 */
export function decodeUnverifiedPayload(token: string): Record<string, unknown> | undefined {
  try {
    return decodeSegment(token.split('.')[1] ?? '');
  } catch {
    return undefined;
  }
}
