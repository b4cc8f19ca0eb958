/**
 * Cognito's exceptions, mapped once to Gatehouse's stable problem codes. The
 * same Cognito error means different things in different flows (a
 * NotAuthorizedException is a wrong password at sign-in but a revoked token at
 * refresh), so the mapping takes the flow into account. Anything unexpected
 * stays an unexpected error (500, logged); network faults become 503.
 */
import {
  identityConflict,
  identityProviderUnavailable,
  invalidCode,
  invalidCredentials,
  invalidParameter,
  invalidRefreshToken,
  invalidSession,
  codeExpired,
  emailQuotaExhausted,
  notSupportedByIdentityProvider,
  passwordRejected,
  passwordResetRequired,
  quotaExhausted,
  tooManyRequests,
  userNotConfirmed,
} from '../identity.errors.js';

export type CognitoFlow = 'sign-in' | 'challenge' | 'refresh' | 'code' | 'sign-up' | 'password' | 'admin' | 'mfa';

const NETWORK_ERRORS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH']);

function errorName(error: unknown): string {
  return (error as { name?: string })?.name ?? '';
}

/** Transport-level failures: Cognito (or the emulator) did not answer. */
export function isUnreachable(error: unknown): boolean {
  const candidate = error as { code?: string; name?: string; $metadata?: { httpStatusCode?: number }; cause?: unknown };
  if (NETWORK_ERRORS.has(candidate?.code ?? '')) return true;
  if (['TimeoutError', 'RequestTimeout', 'AbortError'].includes(candidate?.name ?? '')) return true;
  const status = candidate?.$metadata?.httpStatusCode;
  if (typeof status === 'number' && status >= 500 && errorName(error) !== 'CognitoLocal#Unsupported') return true;
  return candidate?.cause !== undefined && candidate.cause !== error && isUnreachable(candidate.cause);
}

/**
 * Cognito's LimitExceededException covers three different things (API
 * reference, "Errors" of each operation): a user's attempt limit on codes and
 * resets ("Attempt limit exceeded, please try after some time": per user,
 * short-lived, so 429), the pool's daily e-mail limit ("Exceeded daily email
 * limit ...": until tomorrow or an SES configuration), and account resource
 * quotas (user pools per account, app clients per pool, groups, ...).
 * Throttling is TooManyRequestsException, mapped above.
 */
export function mapLimitExceeded(message: string, operation: string): Error {
  if (/attempt limit/i.test(message)) return tooManyRequests(30);
  if (/e-?mail/i.test(message)) return emailQuotaExhausted();
  return quotaExhausted(`Cognito refused ${operation}: ${message || 'an account quota is exhausted'}.`);
}

export function mapCognitoError(error: unknown, flow: CognitoFlow, operation: string): Error {
  const name = errorName(error);
  const message = String((error as { message?: unknown })?.message ?? '');
  if (name.endsWith('Unsupported') || /not (yet )?supported|unsupported/i.test(message)) {
    return notSupportedByIdentityProvider(operation);
  }
  switch (name) {
    case 'TooManyRequestsException':
    case 'ThrottlingException':
    case 'TooManyFailedAttemptsException':
      return tooManyRequests(30);
    case 'LimitExceededException':
      return mapLimitExceeded(message, operation);
    case 'UserNotConfirmedException':
      return flow === 'sign-in' ? userNotConfirmed() : invalidCredentials();
    case 'PasswordResetRequiredException':
      return passwordResetRequired();
    case 'CodeMismatchException':
      return invalidCode();
    case 'ExpiredCodeException':
      return codeExpired();
    case 'UsernameExistsException':
    case 'AliasExistsException':
      return identityConflict('An account with these details already exists.');
    case 'InvalidPasswordException':
      // The emulator answers a wrong password with this; real Cognito with NotAuthorizedException.
      return flow === 'sign-in' || flow === 'challenge' ? invalidCredentials() : passwordRejected();
    case 'NotAuthorizedException':
    case 'UserNotFoundException':
      if (flow === 'refresh') return invalidRefreshToken();
      if (flow === 'challenge') return /session/i.test(message) ? invalidSession() : invalidCredentials();
      if (flow === 'code') return invalidCode();
      return invalidCredentials();
    case 'InvalidParameterException':
      return invalidParameter('The identity provider rejected the request parameters.');
    case 'EnableSoftwareTokenMFAException':
      return invalidCode();
    default:
      if (isUnreachable(error)) return identityProviderUnavailable();
      return error instanceof Error ? error : new Error(String(error));
  }
}
