/**
 * Reads `Authorization: Bearer <jwt>` strictly. (TokenVerifier decodes the
 * token; the only unverified facts it uses are `iss`, `kid` and `alg`.)
 */
import { UnauthenticatedError } from './auth.errors.js';

/**
 * `Bearer` (any case), one space, then a compact JWS: three base64url segments, the last
 * possibly empty. One pass of one regular expression over the header: the guard runs it on
 * every request, and a token is ~1-2 KB.
 */
const BEARER_JWT = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*)$/i;
/** Cognito tokens are ~1-2 KB; anything far larger is not a token we issue or accept. */
const MAX_TOKEN_LENGTH = 16 * 1024;
const MAX_HEADER_LENGTH = 'Bearer '.length + MAX_TOKEN_LENGTH;

export function extractBearerToken(authorization: string | string[] | undefined): string {
  if (authorization === undefined) {
    throw new UnauthenticatedError('token_missing', 'Send an access token: Authorization: Bearer <token>.');
  }
  // Length first: an oversized header is refused without being scanned.
  const match = typeof authorization === 'string' && authorization.length <= MAX_HEADER_LENGTH ? BEARER_JWT.exec(authorization) : null;
  const token = match?.[1];
  if (!token) {
    throw new UnauthenticatedError('invalid_authorization_header', 'The Authorization header is not "Bearer <jwt>".');
  }
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
