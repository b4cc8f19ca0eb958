import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { AppConfig } from '../../config/config.schema.js';
import { Metrics } from '../../observability/metrics.js';
import { Tracing } from '../../observability/tracing.js';
import { CognitoIdentityProvider } from './cognito-identity-provider.js';

/** The SDK client is faked at its `send` (a unit spec; the e2e suites use the real emulator). */
function adapterWith(answer: (command: { constructor: { name: string }; input: unknown }) => unknown) {
  const sent: { name: string; input: unknown }[] = [];
  const fake = async (command: unknown) => {
    const typed = command as { constructor: { name: string }; input: unknown };
    sent.push({ name: typed.constructor.name, input: typed.input });
    return answer(typed);
  };
  vi.spyOn(CognitoIdentityProviderClient.prototype, 'send').mockImplementation(fake as never);
  const config = {
    isLocal: true,
    env: { COGNITO_ENDPOINT: 'http://127.0.0.1:1', COGNITO_CONNECT_TIMEOUT_MS: 1000, COGNITO_REQUEST_TIMEOUT_MS: 1000, COGNITO_DEADLINE_MS: 2000 },
  } as unknown as AppConfig;
  const sut = new CognitoIdentityProvider(config, new Metrics({ processMetrics: false }), new Tracing({ endpoint: undefined, serviceName: 'test' }));
  return { sut, sent };
}

const client = { userPoolId: 'us-east-1_pool', region: 'us-east-1', clientId: 'client-1' };
const fail = (name: string, extra: Record<string, unknown> = {}) => () => {
  throw Object.assign(new Error(name), { name, ...extra });
};

afterEach(() => vi.restoreAllMocks());

describe(CognitoIdentityProvider.name, () => {
  it('sends ResendConfirmationCode for the tenant’s client and the opaque username', async () => {
    const { sut, sent } = adapterWith(() => ({ CodeDeliveryDetails: { Destination: 'a***@e***', DeliveryMedium: 'EMAIL' } }));
    await expect(sut.resendConfirmationCode(client, 'opaque-username')).resolves.toEqual({ destination: 'a***@e***', medium: 'EMAIL' });
    expect(sent).toEqual([{ name: 'ResendConfirmationCodeCommand', input: { ClientId: 'client-1', Username: 'opaque-username' } }]);
  });

  it('maps throttling to 429 with Retry-After', async () => {
    const { sut } = adapterWith(fail('TooManyRequestsException'));
    await expect(sut.forgotPassword(client, 'u')).rejects.toMatchObject({ status: 429, code: 'too_many_requests', headers: { 'retry-after': '30' } });
  });

  it('maps an unreachable Cognito to 503, not 500', async () => {
    const { sut } = adapterWith(fail('Error', { code: 'ECONNREFUSED' }));
    await expect(sut.signInWithPassword(client, 'u', 'p')).rejects.toMatchObject({ status: 503, code: 'identity_provider_unavailable' });
  });

  it('gives a wrong password and an unknown user the same error at sign-in', async () => {
    const wrong = adapterWith(fail('NotAuthorizedException'));
    const wrongError = await wrong.sut.signInWithPassword(client, 'u', 'p').catch((error: unknown) => error);
    vi.restoreAllMocks();
    const unknown = adapterWith(fail('UserNotFoundException'));
    const unknownError = await unknown.sut.signInWithPassword(client, 'u', 'p').catch((error: unknown) => error);
    expect(wrongError).toMatchObject({ status: 401, code: 'invalid_credentials' });
    expect(unknownError).toMatchObject({ status: 401, code: 'invalid_credentials', detail: (wrongError as { detail: string }).detail });
  });

  it('reads a revoked refresh token as invalid_refresh_token', async () => {
    const { sut } = adapterWith(fail('NotAuthorizedException'));
    await expect(sut.refresh(client, 'token')).rejects.toMatchObject({ status: 401, code: 'invalid_refresh_token' });
  });

  it('reports global sign-out as unsupported instead of failing where the provider lacks it', async () => {
    const { sut } = adapterWith(fail('CognitoLocal#Unsupported', { $metadata: { httpStatusCode: 500 } }));
    await expect(sut.signOutEverywhere({ userPoolId: 'p', region: 'r' }, 'u')).resolves.toBe(false);
  });

  it('turns a challenge into a session for the caller, and tokens into a token set', async () => {
    const challenge = adapterWith(() => ({ ChallengeName: 'SOFTWARE_TOKEN_MFA', Session: 'session-1' }));
    await expect(challenge.sut.signInWithPassword(client, 'u', 'p')).resolves.toEqual({
      kind: 'challenge',
      challenge: 'SOFTWARE_TOKEN_MFA',
      session: 'session-1',
    });
    vi.restoreAllMocks();
    const tokens = adapterWith(() => ({ AuthenticationResult: { AccessToken: 'a.b.c', IdToken: 'i', RefreshToken: 'r', ExpiresIn: 900 } }));
    await expect(tokens.sut.signInWithPassword(client, 'u', 'p')).resolves.toEqual({
      kind: 'tokens',
      tokens: { accessToken: 'a.b.c', idToken: 'i', refreshToken: 'r', expiresIn: 900, tokenType: 'Bearer' },
    });
  });

  it('treats deleting something already gone as done (idempotent provisioning undo)', async () => {
    const { sut } = adapterWith(fail('UserNotFoundException'));
    await expect(sut.deleteUser({ userPoolId: 'p', region: 'r' }, 'gone')).resolves.toBeUndefined();
  });

  // Cognito's MFA_SETUP challenge (the emulator refuses sessions here: these shapes follow Cognito's API reference).
  it('associates a TOTP key with the MFA_SETUP session and returns the secret and the next session', async () => {
    const { sut, sent } = adapterWith(() => ({ SecretCode: 'SECRET', Session: 'session-2' }));
    await expect(sut.associateSoftwareTokenInChallenge(client, 'session-1')).resolves.toEqual({ secretCode: 'SECRET', session: 'session-2' });
    expect(sent).toEqual([{ name: 'AssociateSoftwareTokenCommand', input: { Session: 'session-1' } }]);
  });

  it('verifies the code with the session, and treats a non-SUCCESS status as a wrong code', async () => {
    const ok = adapterWith(() => ({ Status: 'SUCCESS', Session: 'session-3' }));
    await expect(ok.sut.verifySoftwareTokenInChallenge(client, 'session-2', '123456')).resolves.toEqual({ session: 'session-3' });
    expect(ok.sent).toEqual([
      { name: 'VerifySoftwareTokenCommand', input: { Session: 'session-2', UserCode: '123456', FriendlyDeviceName: 'authenticator' } },
    ]);
    vi.restoreAllMocks();
    const wrong = adapterWith(() => ({ Status: 'ERROR', Session: 'session-3' }));
    await expect(wrong.sut.verifySoftwareTokenInChallenge(client, 'session-2', '000000')).rejects.toMatchObject({ status: 400, code: 'invalid_code' });
  });

  it('finishes MFA_SETUP with RespondToAuthChallenge naming only the user', async () => {
    const { sut, sent } = adapterWith(() => ({ AuthenticationResult: { AccessToken: 'a.b.c', IdToken: 'i', RefreshToken: 'r', ExpiresIn: 900 } }));
    await sut.respondToChallenge(client, { challenge: 'MFA_SETUP', session: 'session-3', username: 'opaque-1' });
    expect(sent).toEqual([
      {
        name: 'RespondToAuthChallengeCommand',
        input: { ClientId: 'client-1', ChallengeName: 'MFA_SETUP', Session: 'session-3', ChallengeResponses: { USERNAME: 'opaque-1' } },
      },
    ]);
  });

  it('resets a user’s MFA with AdminSetUserMFAPreference (TOTP off, not preferred)', async () => {
    const { sut, sent } = adapterWith(() => ({}));
    await sut.resetUserMfa({ userPoolId: 'us-east-1_pool', region: 'us-east-1' }, 'opaque-1');
    expect(sent).toEqual([
      {
        name: 'AdminSetUserMFAPreferenceCommand',
        input: { UserPoolId: 'us-east-1_pool', Username: 'opaque-1', SoftwareTokenMfaSettings: { Enabled: false, PreferredMfa: false } },
      },
    ]);
  });

  it('sets a silo pool’s MFA with TOTP as its only factor', async () => {
    const { sut, sent } = adapterWith(() => ({}));
    await sut.setPoolMfa({ userPoolId: 'us-east-1_pool', region: 'us-east-1' }, 'ON');
    await sut.setPoolMfa({ userPoolId: 'us-east-1_pool', region: 'us-east-1' }, 'OFF');
    expect(sent).toEqual([
      { name: 'SetUserPoolMfaConfigCommand', input: { UserPoolId: 'us-east-1_pool', MfaConfiguration: 'ON', SoftwareTokenMfaConfiguration: { Enabled: true } } },
      { name: 'SetUserPoolMfaConfigCommand', input: { UserPoolId: 'us-east-1_pool', MfaConfiguration: 'OFF', SoftwareTokenMfaConfiguration: { Enabled: false } } },
    ]);
  });

  it('finds an operator by exact e-mail, and never by a filter an address could break out of', async () => {
    const { sut, sent } = adapterWith(() => ({ Users: [{ Username: 'opaque-op' }] }));
    const pool = { userPoolId: 'us-east-1_ops', region: 'us-east-1' };
    await expect(sut.findUsernameByEmail(pool, 'Op@Example.test')).resolves.toBe('opaque-op');
    await expect(sut.findUsernameByEmail(pool, 'a"b@example.test')).resolves.toBeUndefined();
    expect(sent).toEqual([{ name: 'ListUsersCommand', input: { UserPoolId: 'us-east-1_ops', Filter: 'email = "op@example.test"', Limit: 2 } }]);
    vi.restoreAllMocks();
    const twice = adapterWith(() => ({ Users: [{ Username: 'one' }, { Username: 'two' }] }));
    await expect(twice.sut.findUsernameByEmail(pool, 'op@example.test')).resolves.toBeUndefined();
  });
});
