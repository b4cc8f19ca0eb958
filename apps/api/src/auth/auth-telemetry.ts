/**
 * Metrics and tracing seams of authentication, applied from outside so the
 * verifier and the guard stay as they are:
 *
 * - every verification is counted by outcome (`valid` or the error code);
 * - with tracing on, the guard runs inside a span (its database and JWKS work
 *   become its children). With tracing off the guard is returned unwrapped.
 */
import type { CanActivate, ExecutionContext } from '@nestjs/common';
import { SpanKind } from '@opentelemetry/api';
import type { Metrics } from '../observability/metrics.js';
import type { Tracing } from '../observability/tracing.js';
import type { TokenVerifier } from './token-verifier.js';

/** Error codes a verification can end with; anything else is counted as `error`. */
const KNOWN_CODES = new Set([
  'untrusted_issuer',
  'invalid_token',
  'token_expired',
  'token_not_yet_valid',
  'unknown_signing_key',
  'signing_key_unavailable',
  'invalid_authorization_header',
  'token_missing',
]);

export function countVerifications(verifier: TokenVerifier, metrics: Metrics): TokenVerifier {
  const refused = (error: unknown) => {
    const code = (error as { code?: unknown }).code;
    metrics.tokenVerifications.inc({ outcome: typeof code === 'string' && KNOWN_CODES.has(code) ? code : 'error' });
  };
  // `check` is the one verification path (`verify` awaits it), so each verification is counted once.
  // It answers synchronously when it can; the count must not add a promise where there was none.
  const check = verifier.check.bind(verifier);
  verifier.check = (token) => {
    let outcome: ReturnType<TokenVerifier['check']>;
    try {
      outcome = check(token);
    } catch (error) {
      refused(error);
      throw error;
    }
    if (!(outcome instanceof Promise)) {
      metrics.countValidTokenVerification();
      return outcome;
    }
    return outcome.then(
      (claims) => {
        metrics.countValidTokenVerification();
        return claims;
      },
      (error: unknown) => {
        refused(error);
        throw error;
      },
    );
  };
  return verifier;
}

export function traceGuard(guard: CanActivate, tracing: Tracing): CanActivate {
  if (!tracing.enabled) return guard;
  return {
    canActivate: (context: ExecutionContext) =>
      tracing.inSpan('access guard', SpanKind.INTERNAL, {}, async () => (await guard.canActivate(context)) as boolean),
  };
}
