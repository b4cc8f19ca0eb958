/**
 * Why a request was refused. 401: we do not know who you are (no, bad or
 * untrusted token). 403: we know, and the answer is no (wrong tenant, role,
 * suspended tenant, disabled user). Details stay vague on purpose: the code
 * tells a client what to do, never what another tenant has.
 */
import { DomainError, ServiceUnavailableError } from '../common/domain-error.js';

export class UnauthenticatedError extends DomainError {
  readonly status = 401;
  override readonly headers = { 'www-authenticate': 'Bearer' };
  constructor(
    readonly code:
      | 'token_missing'
      | 'invalid_authorization_header'
      | 'invalid_token'
      | 'untrusted_issuer'
      | 'token_expired'
      | 'token_not_yet_valid'
      | 'wrong_token_use'
      | 'unknown_client'
      | 'unknown_signing_key'
      | 'signing_key_rejected'
      | 'unknown_user',
    detail: string,
  ) {
    super(detail);
  }
}

export class ForbiddenError extends DomainError {
  readonly status = 403;
  constructor(
    readonly code:
      | 'tenant_mismatch'
      | 'tenant_suspended'
      | 'user_disabled'
      | 'insufficient_role'
      | 'tenant_required'
      | 'access_not_declared'
      | 'forbidden_by_policy'
      | 'mfa_enrollment_required'
      | 'mfa_off_for_tenant',
    detail: string,
  ) {
    super(detail);
  }
}

/**
 * The issuer's key set could not be fetched (its JWKS endpoint is down) and no
 * cached key verifies the token. That says nothing about the token, so it is an
 * outage (503, retry later), never a 401 that would make a client discard a
 * valid token.
 */
export class SigningKeysUnavailableError extends ServiceUnavailableError {
  constructor(retryAfterSeconds: number) {
    super('signing_key_unavailable', "The issuer's signing keys cannot be fetched right now; try again shortly.", retryAfterSeconds);
  }
}
