/**
 * Identity errors with stable codes. Messages never say whether an account
 * exists: a wrong password and an unknown user read the same.
 */
import { DomainError } from '../common/domain-error.js';

export class IdentityError extends DomainError {
  constructor(
    readonly status: number,
    readonly code: string,
    detail: string,
    headers: Readonly<Record<string, string>> = {},
  ) {
    super(detail);
    (this as { headers: Readonly<Record<string, string>> }).headers = headers;
  }
}

export const invalidCredentials = () =>
  new IdentityError(401, 'invalid_credentials', 'The e-mail address or password is not correct.');
export const invalidCode = () => new IdentityError(400, 'invalid_code', 'The code is not correct.');
export const codeExpired = () => new IdentityError(400, 'code_expired', 'The code has expired; request a new one.');
export const invalidRefreshToken = () =>
  new IdentityError(401, 'invalid_refresh_token', 'The refresh token is not valid; sign in again.');
export const invalidSession = () =>
  new IdentityError(401, 'invalid_session', 'The sign-in session is not valid or has expired; sign in again.');
/** One answer for every refused sign-up: closed tenant, address outside its verified domains, taken or not. */
export const signUpNotAllowed = () =>
  new IdentityError(403, 'sign_up_not_allowed', 'This tenant does not accept sign-ups from this address; ask its administrator for an invitation.');
/** A tenant's pre sign-up hook refused (or failed closed); its message, when it gave one, is the detail. */
export const signUpDenied = (message?: string) => new IdentityError(403, 'sign_up_denied', message ?? 'This sign-up was refused.');
/** A tenant's pre-authentication or token-enrichment hook refused this sign-in (or failed closed). */
export const signInDenied = (message?: string) => new IdentityError(403, 'sign_in_denied', message ?? 'This sign-in was refused.');
export const userNotConfirmed = () =>
  new IdentityError(403, 'user_not_confirmed', 'Confirm your e-mail address before signing in.');
export const passwordResetRequired = () =>
  new IdentityError(403, 'password_reset_required', 'Reset your password before signing in.');
export const tooManyRequests = (retryAfterSeconds: number) =>
  new IdentityError(429, 'too_many_requests', 'Too many attempts; wait before trying again.', {
    'retry-after': String(Math.max(1, Math.ceil(retryAfterSeconds))),
  });
export const identityProviderUnavailable = () =>
  new IdentityError(503, 'identity_provider_unavailable', 'The identity provider cannot be reached; try again shortly.', {
    'retry-after': '5',
  });
export const notSupportedByIdentityProvider = (operation: string) =>
  new IdentityError(501, 'not_supported_by_identity_provider', `The identity provider does not support ${operation}.`);
export const identityConflict = (detail: string) => new IdentityError(409, 'identity_conflict', detail);
export const invalidParameter = (detail: string) => new IdentityError(400, 'invalid_parameter', detail);
export const passwordRejected = (detail = 'The password does not meet the policy.') =>
  new IdentityError(400, 'password_policy', detail);
/**
 * An account quota (user pools per account, app clients per pool, ...) is
 * used up. Not retryable: nothing changes until an operator raises the quota
 * in Service Quotas or frees capacity, so provisioning stops at once (409).
 */
export const quotaExhausted = (detail: string) =>
  new IdentityError(
    409,
    'quota_exhausted',
    `${detail} Raise the Amazon Cognito quota in Service Quotas or remove unused pools/clients, then retry the tenant.`,
  );
/**
 * The pool's daily e-mail quota is used up (Cognito's default sender allows
 * 50 a day; an SES configuration raises it). Retrying within minutes cannot
 * help, so provisioning does not retry it; a person may try again later.
 */
export const emailQuotaExhausted = () =>
  new IdentityError(503, 'email_quota_exhausted', 'No more e-mails can be sent today; try again later.', { 'retry-after': '3600' });
/** Codes the provisioning state machine never retries, whatever their status. */
export const NON_RETRYABLE_CODES: ReadonlySet<string> = new Set(['quota_exhausted', 'email_quota_exhausted']);

