import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { AppConfig } from '../../config/config.schema.js';
import { Metrics } from '../../observability/metrics.js';
import { Tracing } from '../../observability/tracing.js';
import { createTargetUser } from '../../tenants/tier-move/target-user.js';
import type { IdentityUser } from '../identity-provider.js';
import { isCorrectAnswer } from '../../../../../infra/lambdas/verify-auth-challenge-response.js';
import { CognitoIdentityProvider, secretHash } from './cognito-identity-provider.js';

/**
 * The SDK client is faked at its `send` (a unit spec; the e2e suites use the real emulator).
 * DescribeUserPoolClient answers with `secret` (undefined: a public client) and is not listed in `sent`;
 * `described` counts those reads.
 */
function adapterWith(
  answer: (command: { constructor: { name: string }; input: unknown }) => unknown,
  options: { secret?: string; config?: Partial<AppConfig> } = {},
) {
  const sent: { name: string; input: unknown }[] = [];
  const described = { count: 0 };
  const fake = async (command: unknown) => {
    const typed = command as { constructor: { name: string }; input: unknown };
    if (typed.constructor.name === 'DescribeUserPoolClientCommand') {
      described.count += 1;
      return { UserPoolClient: { ClientId: 'client-1', ...(options.secret ? { ClientSecret: options.secret } : {}) } };
    }
    sent.push({ name: typed.constructor.name, input: typed.input });
    return answer(typed);
  };
  vi.spyOn(CognitoIdentityProviderClient.prototype, 'send').mockImplementation(fake as never);
  const config = {
    isLocal: true,
    cognitoTriggersByRegion: new Map(),
    env: { COGNITO_ENDPOINT: 'http://127.0.0.1:1', COGNITO_CONNECT_TIMEOUT_MS: 1000, COGNITO_REQUEST_TIMEOUT_MS: 1000, COGNITO_DEADLINE_MS: 2000 },
    ...options.config,
  } as unknown as AppConfig;
  const sut = new CognitoIdentityProvider(config, new Metrics({ processMetrics: false }), new Tracing({ endpoint: undefined, serviceName: 'test' }));
  return { sut, sent, described };
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

  describe('resendInvitation', () => {
    const pool = { userPoolId: 'us-east-1_pool', region: 'us-east-1' };
    const unsupported = fail('UnsupportedError', { message: 'AdminCreateUser with MessageAction=RESEND not supported' });
    const emulator = (command: { constructor: { name: string }; input: unknown }) => {
      switch (command.constructor.name) {
        case 'AdminCreateUserCommand':
          return (command.input as { MessageAction?: string }).MessageAction === 'RESEND'
            ? unsupported()
            : { User: { Username: 'opaque', Enabled: true, UserStatus: 'FORCE_CHANGE_PASSWORD', Attributes: [{ Name: 'sub', Value: 'sub-new' }] } };
        case 'AdminGetUserCommand':
          return {
            Username: 'opaque',
            Enabled: false,
            UserStatus: 'FORCE_CHANGE_PASSWORD',
            UserAttributes: [{ Name: 'sub', Value: 'sub-old' }, { Name: 'email', Value: 'a@x.test' }, { Name: 'email_verified', Value: 'true' }, { Name: 'custom:tenantId', Value: 't-1' }],
          };
        case 'AdminListGroupsForUserCommand':
          return { Groups: [{ GroupName: 'admin' }] };
        default:
          return {};
      }
    };

    it('sends AdminCreateUser with MessageAction RESEND and keeps the user (Cognito)', async () => {
      const { sut, sent } = adapterWith(() => ({}), { config: { isLocal: false } });
      await expect(sut.resendInvitation(pool, 'opaque')).resolves.toBeUndefined();
      expect(sent).toEqual([{ name: 'AdminCreateUserCommand', input: { UserPoolId: pool.userPoolId, Username: 'opaque', MessageAction: 'RESEND', DesiredDeliveryMediums: ['EMAIL'] } }]);
    });

    it('on the emulator, which cannot resend, makes the user again with its attributes, groups and state, and returns the new sub', async () => {
      const { sut, sent } = adapterWith(emulator);
      await expect(sut.resendInvitation(pool, 'opaque')).resolves.toBe('sub-new');
      expect(sent.map((command) => command.name)).toEqual([
        'AdminCreateUserCommand',
        'AdminGetUserCommand',
        'AdminListGroupsForUserCommand',
        'AdminDeleteUserCommand',
        'AdminCreateUserCommand',
        'AdminAddUserToGroupCommand',
        'AdminDisableUserCommand',
      ]);
      expect(sent[4]!.input).toEqual({
        UserPoolId: pool.userPoolId,
        Username: 'opaque',
        UserAttributes: [
          { Name: 'email', Value: 'a@x.test' },
          { Name: 'email_verified', Value: 'true' },
          { Name: 'custom:tenantId', Value: 't-1' },
        ],
        DesiredDeliveryMediums: ['EMAIL'],
      });
    });

    it('never re-creates a user outside local mode: an unsupported answer there is an error', async () => {
      const { sut, sent } = adapterWith(emulator, { config: { isLocal: false } });
      await expect(sut.resendInvitation(pool, 'opaque')).rejects.toMatchObject({ code: 'not_supported_by_identity_provider' });
      expect(sent.map((command) => command.name)).toEqual(['AdminCreateUserCommand']);
    });
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

  describe('through the confidential Gatehouse client (issue 14 row 3, finding 6)', () => {
    const SECRET = 'client-secret-1';
    const gatehouse = { ...client, userContext: { ipAddress: '203.0.113.7', encodedData: 'ZGV2aWNlLWRhdGE=' } };
    const hash = (username: string) => secretHash(SECRET, username, 'client-1');
    const contextData = { IpAddress: '203.0.113.7', EncodedData: 'ZGV2aWNlLWRhdGE=' };

    it('computes SECRET_HASH as Base64(HMAC-SHA256(secret, username + client id))', () => {
      // Known answer computed independently with Python's hmac module (AWS's own example script does the same).
      expect(secretHash('secret', 'user', 'client')).toBe('wvW87lzZoI+qQCVGmWVBJLlucdJ65huAVP1z+0MgA6E=');
      expect(secretHash(SECRET, 'a', 'client-1')).not.toBe(secretHash(SECRET, 'b', 'client-1'));
    });

    it('signs up with the tenant attributes, SecretHash and UserContextData', async () => {
      const { sut, sent } = adapterWith(() => ({ UserSub: 'sub-1', UserConfirmed: false }), { secret: SECRET });
      await sut.signUp(gatehouse, {
        username: 'opaque-1',
        password: 'Pw-123456789',
        email: 'a@b.example',
        tenantAttributes: { 'custom:tenantId': 'tenant-1', 'custom:tenantTier': 'basic' },
      });
      expect(sent).toEqual([
        {
          name: 'SignUpCommand',
          input: {
            ClientId: 'client-1',
            Username: 'opaque-1',
            Password: 'Pw-123456789',
            UserAttributes: [
              { Name: 'email', Value: 'a@b.example' },
              { Name: 'custom:tenantId', Value: 'tenant-1' },
              { Name: 'custom:tenantTier', Value: 'basic' },
            ],
            SecretHash: hash('opaque-1'),
            UserContextData: contextData,
          },
        },
      ]);
    });

    it('signs in with SECRET_HASH in AuthParameters and UserContextData', async () => {
      const { sut, sent } = adapterWith(() => ({ ChallengeName: 'SOFTWARE_TOKEN_MFA', Session: 's' }), { secret: SECRET });
      await sut.signInWithPassword(gatehouse, 'opaque-1', 'pw');
      expect(sent).toEqual([
        {
          name: 'InitiateAuthCommand',
          input: {
            AuthFlow: 'USER_PASSWORD_AUTH',
            ClientId: 'client-1',
            AuthParameters: { USERNAME: 'opaque-1', PASSWORD: 'pw', SECRET_HASH: hash('opaque-1') },
            UserContextData: contextData,
          },
        },
      ]);
    });

    it('answers challenges with SECRET_HASH in ChallengeResponses and UserContextData', async () => {
      const { sut, sent } = adapterWith(() => ({ AuthenticationResult: { AccessToken: 'a.b.c', IdToken: 'i', ExpiresIn: 60 } }), { secret: SECRET });
      await sut.respondToChallenge(gatehouse, { challenge: 'SOFTWARE_TOKEN_MFA', session: 's', username: 'opaque-1', code: '123456' });
      expect(sent[0]?.input).toEqual({
        ClientId: 'client-1',
        ChallengeName: 'SOFTWARE_TOKEN_MFA',
        Session: 's',
        ChallengeResponses: { USERNAME: 'opaque-1', SECRET_HASH: hash('opaque-1'), SOFTWARE_TOKEN_MFA_CODE: '123456' },
        UserContextData: contextData,
      });
    });

    it('sends SecretHash and UserContextData with every code flow; the IP alone when no device data came', async () => {
      const { sut, sent } = adapterWith(() => ({}), { secret: SECRET });
      const ipOnly = { ...client, userContext: { ipAddress: '198.51.100.1' } };
      await sut.confirmSignUp(ipOnly, 'u1', '111111');
      await sut.resendConfirmationCode(ipOnly, 'u1');
      await sut.forgotPassword(ipOnly, 'u1');
      await sut.confirmForgotPassword(ipOnly, 'u1', '222222', 'New-Password-1');
      expect(sent.map((entry) => entry.name)).toEqual([
        'ConfirmSignUpCommand',
        'ResendConfirmationCodeCommand',
        'ForgotPasswordCommand',
        'ConfirmForgotPasswordCommand',
      ]);
      for (const entry of sent) {
        expect(entry.input).toMatchObject({ ClientId: 'client-1', Username: 'u1', SecretHash: hash('u1'), UserContextData: { IpAddress: '198.51.100.1' } });
        expect((entry.input as { UserContextData: object }).UserContextData).not.toHaveProperty('EncodedData');
      }
    });

    it('refreshes with GetTokensFromRefreshToken and the client secret (no username needed), and revokes with the secret', async () => {
      const { sut, sent } = adapterWith(() => ({ AuthenticationResult: { AccessToken: 'a.b.c', IdToken: 'i', ExpiresIn: 60 } }), { secret: SECRET });
      await sut.refresh(client, 'refresh-1');
      await sut.revokeRefreshToken(client, 'refresh-1');
      expect(sent).toEqual([
        { name: 'GetTokensFromRefreshTokenCommand', input: { ClientId: 'client-1', ClientSecret: SECRET, RefreshToken: 'refresh-1' } },
        { name: 'RevokeTokenCommand', input: { ClientId: 'client-1', Token: 'refresh-1', ClientSecret: SECRET } },
      ]);
    });

    it('falls back to InitiateAuth REFRESH_TOKEN_AUTH only where the provider lacks GetTokensFromRefreshToken (the emulator)', async () => {
      const { sut, sent } = adapterWith(
        (command) => {
          if (command.constructor.name === 'GetTokensFromRefreshTokenCommand') {
            throw Object.assign(new Error('unsupported'), { name: 'CognitoLocal#Unsupported', $metadata: { httpStatusCode: 500 } });
          }
          return { AuthenticationResult: { AccessToken: 'a.b.c', IdToken: 'i', ExpiresIn: 60 } };
        },
        { secret: SECRET },
      );
      await sut.refresh(client, 'refresh-1');
      await sut.refresh(client, 'refresh-2');
      expect(sent.map((entry) => entry.name)).toEqual(['GetTokensFromRefreshTokenCommand', 'InitiateAuthCommand', 'InitiateAuthCommand']);
    });

    it('reads a client’s secret once and keeps it in memory', async () => {
      const { sut, described } = adapterWith(() => ({}), { secret: SECRET });
      await sut.forgotPassword(client, 'u1');
      await sut.forgotPassword(client, 'u2');
      expect(described.count).toBe(1);
    });

    it('sends no SecretHash for a public client', async () => {
      const { sut, sent } = adapterWith(() => ({}));
      await sut.forgotPassword(client, 'u1');
      expect(sent[0]?.input).toEqual({ ClientId: 'client-1', Username: 'u1' });
    });
  });

  it('deletes a pool’s hosted UI domain before the pool (Cognito refuses to delete a pool that has one)', async () => {
    const withDomain = adapterWith((command) => (command.constructor.name === 'DescribeUserPoolCommand' ? { UserPool: { Id: 'p', Domain: 'gh-acme' } } : {}));
    await withDomain.sut.deleteUserPool({ userPoolId: 'eu-west-1_Silo', region: 'eu-west-1' });
    expect(withDomain.sent).toEqual([
      { name: 'UpdateUserPoolCommand', input: { UserPoolId: 'eu-west-1_Silo', DeletionProtection: 'INACTIVE' } },
      { name: 'DescribeUserPoolCommand', input: { UserPoolId: 'eu-west-1_Silo' } },
      { name: 'DeleteUserPoolDomainCommand', input: { UserPoolId: 'eu-west-1_Silo', Domain: 'gh-acme' } },
      { name: 'DeleteUserPoolCommand', input: { UserPoolId: 'eu-west-1_Silo' } },
    ]);
    vi.restoreAllMocks();
    const withoutDomain = adapterWith((command) => (command.constructor.name === 'DescribeUserPoolCommand' ? { UserPool: { Id: 'p' } } : {}));
    await withoutDomain.sut.deleteUserPool({ userPoolId: 'eu-west-1_Silo', region: 'eu-west-1' });
    expect(withoutDomain.sent.map((command) => command.name)).toEqual(['UpdateUserPoolCommand', 'DescribeUserPoolCommand', 'DeleteUserPoolCommand']);
  });

  describe('copying a federated provider (tier moves)', () => {
    const pool = { userPoolId: 'eu-west-1_Source', region: 'eu-west-1' };

    it('describes it with DescribeIdentityProvider and answers a copy; a provider not there is undefined', async () => {
      const { sut, sent } = adapterWith(() => ({
        IdentityProvider: {
          ProviderName: 'Google',
          ProviderType: 'Google',
          ProviderDetails: { client_id: 'g', client_secret: 's', authorize_scopes: 'openid email', token_url: 'https://www.googleapis.com/oauth2/v4/token' },
          AttributeMapping: { email: 'email', username: 'sub' },
        },
      }));
      await expect(sut.describeFederatedProvider(pool, 'Google')).resolves.toEqual({
        name: 'Google',
        type: 'Google',
        details: { client_id: 'g', client_secret: 's', authorize_scopes: 'openid email' },
        attributeMapping: { email: 'email', username: 'sub' },
        idpIdentifiers: [],
      });
      expect(sent).toEqual([{ name: 'DescribeIdentityProviderCommand', input: { UserPoolId: 'eu-west-1_Source', ProviderName: 'Google' } }]);
      vi.restoreAllMocks();
      const missing = adapterWith(fail('ResourceNotFoundException'));
      await expect(missing.sut.describeFederatedProvider(pool, 'Google')).resolves.toBeUndefined();
    });

    it('creates and updates it from a copy; a name already taken stays DuplicateProviderException for the caller', async () => {
      const copy = { name: 'Google', type: 'Google' as const, details: { client_id: 'g', client_secret: 's', authorize_scopes: 'openid' }, attributeMapping: { email: 'email' }, idpIdentifiers: [] };
      const target = { userPoolId: 'eu-west-1_Target', region: 'eu-west-1' };
      const { sut, sent } = adapterWith(() => ({}));
      await sut.createFederatedProviderCopy(target, copy);
      await sut.updateFederatedProviderCopy(target, copy);
      expect(sent.map((command) => command.name)).toEqual(['CreateIdentityProviderCommand', 'UpdateIdentityProviderCommand']);
      expect(sent[0]?.input).toMatchObject({ UserPoolId: 'eu-west-1_Target', ProviderName: 'Google', ProviderType: 'Google', ProviderDetails: copy.details });
      vi.restoreAllMocks();
      const taken = adapterWith(fail('DuplicateProviderException'));
      await expect(taken.sut.createFederatedProviderCopy(target, copy)).rejects.toMatchObject({ name: 'DuplicateProviderException' });
    });
  });

  it("creates silo pools wired to the trigger functions of the pool's own region (row 7: silo regions)", async () => {
    const triggers = {
      preSignUp: 'arn:aws:lambda:eu-west-1:123456789012:function:p',
      preTokenGeneration: 'arn:aws:lambda:eu-west-1:123456789012:function:t',
    };
    const elsewhere = {
      preSignUp: 'arn:aws:lambda:us-east-1:123456789012:function:p',
      preTokenGeneration: 'arn:aws:lambda:us-east-1:123456789012:function:t',
    };
    const cognitoTriggersByRegion = new Map([
      ['us-east-1', elsewhere],
      ['eu-west-1', triggers],
    ]);
    const { sut, sent } = adapterWith(() => ({ UserPool: { Id: 'eu-west-1_new' } }), { config: { cognitoTriggers: elsewhere, cognitoTriggersByRegion } });
    const { loadTierConfigurationFile, siloPoolBlueprint } = await import('@gatehouse/tiers');
    const tier = loadTierConfigurationFile().tiers.find((candidate) => candidate.model === 'silo')!;
    await sut.createUserPool('eu-west-1', siloPoolBlueprint(tier, 'acme', { deployment: 'gh', deletionProtection: true }));
    expect(sent[0]?.input).toMatchObject({
      LambdaConfig: { PreSignUp: triggers.preSignUp, PreTokenGenerationConfig: { LambdaVersion: 'V2_0', LambdaArn: triggers.preTokenGeneration } },
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: false },
      UserAttributeUpdateSettings: { AttributesRequireVerificationBeforeUpdate: ['email'] },
    });
  });

  // A tier move's target accounts: what Cognito receives (the emulator ignores MessageAction, so these shapes follow the API reference).
  describe('tier move: the target account of a moved user (target-user.ts through the adapter)', () => {
    const source = { userPoolId: 'eu-west-1_source', region: 'eu-west-1' };
    const target = { userPoolId: 'eu-west-1_target', region: 'eu-west-1' };
    const original: IdentityUser = {
      username: 'gh1-opaque',
      sub: 'sub-source',
      email: 'ann@acme.test',
      emailVerified: true,
      enabled: false,
      status: 'CONFIRMED',
      attributes: { sub: 'sub-source', email: 'ann@acme.test', email_verified: 'true', name: 'Ann Example', 'custom:tenantId': 'tenant-1', 'custom:tenantTier': 'basic', 'custom:role': 'x' },
    };
    const answers = (command: { constructor: { name: string } }) => {
      switch (command.constructor.name) {
        case 'AdminGetUserCommand':
          return fail('UserNotFoundException')();
        case 'AdminCreateUserCommand':
          return { User: { Username: 'gh1-opaque', Attributes: [{ Name: 'sub', Value: 'sub-target' }], UserStatus: 'FORCE_CHANGE_PASSWORD', Enabled: true } };
        case 'AdminListGroupsForUserCommand':
          return { Groups: [{ GroupName: 'admin' }, { GroupName: 'us-east-1_x_Google' }] };
        default:
          return {};
      }
    };

    it('creates it with AdminCreateUser: same username, profile and tenant attributes (target tier), the message suppressed; then its role groups and disabled state', async () => {
      const { sut, sent } = adapterWith(answers);
      const copy = await createTargetUser(sut, { source, target }, original, { tenantId: 'tenant-1', targetTier: 'premium', fallbackEmail: 'x@acme.test', invite: false });
      expect(copy.sub).toBe('sub-target');
      expect(sent).toEqual([
        { name: 'AdminGetUserCommand', input: { UserPoolId: 'eu-west-1_target', Username: 'gh1-opaque' } },
        {
          name: 'AdminCreateUserCommand',
          input: {
            UserPoolId: 'eu-west-1_target',
            Username: 'gh1-opaque',
            UserAttributes: [
              { Name: 'email', Value: 'ann@acme.test' },
              { Name: 'custom:tenantId', Value: 'tenant-1' },
              { Name: 'custom:tenantTier', Value: 'premium' },
              { Name: 'name', Value: 'Ann Example' },
              { Name: 'email_verified', Value: 'true' },
            ],
            MessageAction: 'SUPPRESS',
          },
        },
        { name: 'AdminListGroupsForUserCommand', input: { UserPoolId: 'eu-west-1_source', Username: 'gh1-opaque' } },
        { name: 'AdminAddUserToGroupCommand', input: { UserPoolId: 'eu-west-1_target', Username: 'gh1-opaque', GroupName: 'admin' } },
        { name: 'AdminDisableUserCommand', input: { UserPoolId: 'eu-west-1_target', Username: 'gh1-opaque' } },
      ]);
    });

    it('with the invitation (a deferred user who never signed in, at remove_source): Cognito e-mails a temporary password, nothing suppressed', async () => {
      const { sut, sent } = adapterWith(answers);
      await createTargetUser(sut, { source, target }, { ...original, enabled: true }, { tenantId: 'tenant-1', targetTier: 'premium', fallbackEmail: 'x@acme.test', invite: true });
      const create = sent.find((command) => command.name === 'AdminCreateUserCommand')!.input as Record<string, unknown>;
      expect(create['DesiredDeliveryMediums']).toEqual(['EMAIL']);
      expect(create).not.toHaveProperty('MessageAction');
      expect(create).not.toHaveProperty('TemporaryPassword');
    });

    it('sets the password proven at the source with AdminSetUserPassword, permanent', async () => {
      const { sut, sent } = adapterWith(() => ({}));
      await sut.setPassword(target, 'gh1-opaque', 'Moving-Day-2026!', true);
      expect(sent).toEqual([
        { name: 'AdminSetUserPasswordCommand', input: { UserPoolId: 'eu-west-1_target', Username: 'gh1-opaque', Password: 'Moving-Day-2026!', Permanent: true } },
      ]);
    });
  });

  // The tier-move token exchange (custom auth): the emulator has none, so these requests follow Cognito's API reference.
  describe('token exchange', () => {
    const EXCHANGE_KEY = Buffer.alloc(32, 9);
    const target = { userPoolId: 'us-east-1_target', region: 'us-east-1', clientId: 'client-1' };
    const withTriggers = {
      isLocal: false,
      tokenExchangeKey: EXCHANGE_KEY,
      cognitoTriggersByRegion: new Map([
        [
          'us-east-1',
          {
            preSignUp: 'arn:aws:lambda:us-east-1:123456789012:function:pre-sign-up',
            preTokenGeneration: 'arn:aws:lambda:us-east-1:123456789012:function:pre-token-generation',
            defineAuthChallenge: 'arn:aws:lambda:us-east-1:123456789012:function:define',
            createAuthChallenge: 'arn:aws:lambda:us-east-1:123456789012:function:create',
            verifyAuthChallengeResponse: 'arn:aws:lambda:us-east-1:123456789012:function:verify',
          },
        ],
      ]),
    } as Partial<AppConfig>;
    const tokens = { AuthenticationResult: { AccessToken: 'a.b.c', IdToken: 'i', RefreshToken: 'target-refresh', ExpiresIn: 900 } };
    const custom = (name: string) => (name === 'AdminInitiateAuthCommand' ? { ChallengeName: 'CUSTOM_CHALLENGE', Session: 'session-1', ChallengeParameters: { nonce: 'nonce-1' } } : tokens);

    it('starts CUSTOM_AUTH and answers with an HMAC the verify trigger accepts for that pool, user and nonce', async () => {
      const { sut, sent } = adapterWith((command) => custom(command.constructor.name), { secret: 'client-secret', config: withTriggers });
      await expect(sut.exchangeForTokens(target, 'opaque-ann')).resolves.toEqual({
        accessToken: 'a.b.c',
        idToken: 'i',
        refreshToken: 'target-refresh',
        expiresIn: 900,
        tokenType: 'Bearer',
      });
      const hash = secretHash('client-secret', 'opaque-ann', 'client-1');
      expect(sent[0]).toEqual({
        name: 'AdminInitiateAuthCommand',
        input: { UserPoolId: 'us-east-1_target', ClientId: 'client-1', AuthFlow: 'CUSTOM_AUTH', AuthParameters: { USERNAME: 'opaque-ann', SECRET_HASH: hash } },
      });
      expect(sent[1]).toMatchObject({
        name: 'AdminRespondToAuthChallengeCommand',
        input: { UserPoolId: 'us-east-1_target', ClientId: 'client-1', ChallengeName: 'CUSTOM_CHALLENGE', Session: 'session-1' },
      });
      const responses = (sent[1]!.input as { ChallengeResponses: Record<string, string> }).ChallengeResponses;
      expect(Object.keys(responses).sort()).toEqual(['ANSWER', 'SECRET_HASH', 'USERNAME']);
      expect(responses).toMatchObject({ USERNAME: 'opaque-ann', SECRET_HASH: hash });
      const verify = (userPoolId: string, userName: string, nonce: string) =>
        isCorrectAnswer({ userPoolId, userName, request: { privateChallengeParameters: { nonce }, challengeAnswer: responses['ANSWER'] }, response: {} }, EXCHANGE_KEY, Date.now());
      expect(verify('us-east-1_target', 'opaque-ann', 'nonce-1')).toBe(true);
      expect(verify('us-east-1_other', 'opaque-ann', 'nonce-1')).toBe(false);
      expect(verify('us-east-1_target', 'opaque-ann', 'nonce-2')).toBe(false);
    });

    it('calls nothing where the pool’s region has no auth-challenge triggers (local mode, the emulator)', async () => {
      const { sut, sent, described } = adapterWith((command) => custom(command.constructor.name), { secret: 'client-secret', config: { tokenExchangeKey: EXCHANGE_KEY } });
      await expect(sut.exchangeForTokens(target, 'opaque-ann')).resolves.toBeUndefined();
      expect(sent).toEqual([]);
      expect(described.count).toBe(0);
    });

    it('reads a provider without the custom flow as "cannot", once, and stops asking', async () => {
      const { sut, sent } = adapterWith(fail('CognitoLocal#Unsupported', { $metadata: { httpStatusCode: 500 } }), { secret: 'client-secret', config: withTriggers });
      await expect(sut.exchangeForTokens(target, 'opaque-ann')).resolves.toBeUndefined();
      await expect(sut.exchangeForTokens(target, 'opaque-bob')).resolves.toBeUndefined();
      expect(sent.map((entry) => entry.name)).toEqual(['AdminInitiateAuthCommand']);
    });

    it('gives up on anything but the one custom challenge, and on an answer without tokens (e.g. MFA asked next)', async () => {
      const other = adapterWith(() => ({ ChallengeName: 'MFA_SETUP', Session: 's' }), { secret: 'client-secret', config: withTriggers });
      await expect(other.sut.exchangeForTokens(target, 'opaque-ann')).resolves.toBeUndefined();
      expect(other.sent.map((entry) => entry.name)).toEqual(['AdminInitiateAuthCommand']);
      vi.restoreAllMocks();
      const mfaAfter = adapterWith(
        (command) => (command.constructor.name === 'AdminInitiateAuthCommand' ? custom('AdminInitiateAuthCommand') : { ChallengeName: 'SOFTWARE_TOKEN_MFA', Session: 's2' }),
        { secret: 'client-secret', config: withTriggers },
      );
      await expect(mfaAfter.sut.exchangeForTokens(target, 'opaque-ann')).resolves.toBeUndefined();
    });

    it('never runs through a client without a secret (a public client cannot run the flow)', async () => {
      const { sut, sent } = adapterWith((command) => custom(command.constructor.name), { config: withTriggers });
      await expect(sut.exchangeForTokens(target, 'opaque-ann')).resolves.toBeUndefined();
      expect(sent).toEqual([]);
    });

    it('surfaces Cognito’s refusal as a mapped error for the caller to fall back on', async () => {
      const { sut } = adapterWith(fail('NotAuthorizedException'), { secret: 'client-secret', config: withTriggers });
      await expect(sut.exchangeForTokens(target, 'opaque-ann')).rejects.toMatchObject({ status: 401 });
    });
  });
});
