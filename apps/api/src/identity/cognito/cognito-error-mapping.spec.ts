import { describe, expect, it } from 'vitest';
import { NON_RETRYABLE_CODES } from '../identity.errors.js';
import { mapCognitoError } from './cognito-error-mapping.js';

/** A Cognito service exception as the SDK raises it (name, message, HTTP 400). */
function cognitoException(name: string, message: string): Error {
  return Object.assign(new Error(message), { name, $metadata: { httpStatusCode: 400 } });
}

const problem = (error: Error) => error as Error & { status: number; code: string; headers: Record<string, string> };

describe('mapCognitoError: LimitExceededException (issue 14 rows 4 and 7)', () => {
  it('maps the daily e-mail limit to a distinct, non-retryable email_quota_exhausted, not "429, retry in 30 s"', () => {
    const sut = problem(
      mapCognitoError(
        cognitoException(
          'LimitExceededException',
          'Exceeded daily email limit for the operation or the account. If a higher limit is required, please configure your user pool to use your own Amazon SES configuration for sending email.',
        ),
        'sign-up',
        'SignUp',
      ),
    );
    expect(sut).toMatchObject({ status: 503, code: 'email_quota_exhausted' });
    expect(sut.headers['retry-after']).toBe('3600');
    expect(NON_RETRYABLE_CODES.has(sut.code)).toBe(true);
  });

  it('maps an account resource quota (user pools, app clients) to quota_exhausted with what to do', () => {
    const sut = problem(
      mapCognitoError(cognitoException('LimitExceededException', 'The user pool limit for this account has been exceeded.'), 'admin', 'CreateUserPool'),
    );
    expect(sut).toMatchObject({ status: 409, code: 'quota_exhausted' });
    expect(sut.message).toMatch(/CreateUserPool/);
    expect(sut.message).toMatch(/Service Quotas/);
    expect(NON_RETRYABLE_CODES.has(sut.code)).toBe(true);
  });

  it("keeps a user's attempt limit a short, retryable 429", () => {
    const sut = problem(
      mapCognitoError(cognitoException('LimitExceededException', 'Attempt limit exceeded, please try after some time.'), 'password', 'ForgotPassword'),
    );
    expect(sut).toMatchObject({ status: 429, code: 'too_many_requests' });
    expect(NON_RETRYABLE_CODES.has(sut.code)).toBe(false);
  });

  it('keeps throttling (TooManyRequestsException) a retryable 429', () => {
    const sut = problem(mapCognitoError(cognitoException('TooManyRequestsException', 'Rate exceeded'), 'admin', 'AdminCreateUser'));
    expect(sut).toMatchObject({ status: 429, code: 'too_many_requests' });
  });
});
