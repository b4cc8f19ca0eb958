/**
 * `npm start`'s demo data (see seedDemo below) and, first, the helpers for
 * platform operators in the local stack's operators' pool (emulator only):
 * create one with a known password and an enrolled TOTP authenticator, and
 * sign one in (password, then the SOFTWARE_TOKEN_MFA challenge).
 *
 * Why this dance: the operators' pool has MFA `ON`. Real Cognito answers a
 * new operator's first sign-in with the MFA_SETUP challenge and enrols TOTP
 * with the challenge's session; cognito-local 5.3 answers NotAuthorized
 * instead, and its AssociateSoftwareToken refuses sessions (access tokens
 * only). What does work against the emulator, with real Cognito APIs only:
 *   1. AdminCreateUser (invitation suppressed) + AdminSetUserPassword (permanent)
 *      + AdminAddUserToGroup `platform-admin`;
 *   2. AdminInitiateAuth ADMIN_USER_PASSWORD_AUTH — the emulator does not
 *      apply MFA to this admin flow (an emulator gap; real Cognito would
 *      challenge, and the app client does not even allow this flow) — which
 *      gives the access token that
 *   3. AssociateSoftwareToken + VerifySoftwareToken + SetUserMFAPreference need.
 * From then on the operator signs in like in AWS: InitiateAuth
 * USER_PASSWORD_AUTH → SOFTWARE_TOKEN_MFA → RespondToAuthChallenge with a
 * TOTP code. Local mode only; the operators' pool blueprint is unchanged.
 */
import { randomUUID } from 'node:crypto';
import {
  AdminAddUserToGroupCommand,
  AdminCreateUserCommand,
  AdminInitiateAuthCommand,
  AdminSetUserPasswordCommand,
  AssociateSoftwareTokenCommand,
  type CognitoIdentityProviderClient,
  InitiateAuthCommand,
  RespondToAuthChallengeCommand,
  SetUserMFAPreferenceCommand,
  VerifySoftwareTokenCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { generateSync } from 'otplib';

export interface OperatorsPool {
  readonly userPoolId: string;
  readonly clientId: string;
}

export interface LocalOperator {
  readonly username: string;
  readonly email: string;
  readonly password: string;
  /** Base32 TOTP secret (add it to an authenticator app to sign in by hand). */
  readonly totpSecret: string;
}

export interface OperatorTokens {
  readonly accessToken: string;
  readonly idToken: string;
  readonly refreshToken: string;
}

export function totpCode(secret: string): string {
  return generateSync({ secret });
}

export async function createLocalOperator(
  client: CognitoIdentityProviderClient,
  pool: OperatorsPool,
  input: { email: string; password: string; username?: string },
): Promise<LocalOperator> {
  const username = input.username ?? randomUUID();
  await client.send(
    new AdminCreateUserCommand({
      UserPoolId: pool.userPoolId,
      Username: username,
      MessageAction: 'SUPPRESS',
      UserAttributes: [
        { Name: 'email', Value: input.email },
        { Name: 'email_verified', Value: 'true' },
      ],
    }),
  );
  await client.send(new AdminSetUserPasswordCommand({ UserPoolId: pool.userPoolId, Username: username, Password: input.password, Permanent: true }));
  await client.send(new AdminAddUserToGroupCommand({ UserPoolId: pool.userPoolId, Username: username, GroupName: 'platform-admin' }));
  const admin = await client.send(
    new AdminInitiateAuthCommand({
      UserPoolId: pool.userPoolId,
      ClientId: pool.clientId,
      AuthFlow: 'ADMIN_USER_PASSWORD_AUTH',
      AuthParameters: { USERNAME: username, PASSWORD: input.password },
    }),
  );
  const accessToken = admin.AuthenticationResult?.AccessToken;
  if (!accessToken) throw new Error(`could not start TOTP enrolment for operator ${username} (challenge ${admin.ChallengeName ?? 'none'})`);
  const { SecretCode: totpSecret } = await client.send(new AssociateSoftwareTokenCommand({ AccessToken: accessToken }));
  if (!totpSecret) throw new Error('AssociateSoftwareToken returned no secret');
  const verified = await client.send(
    new VerifySoftwareTokenCommand({ AccessToken: accessToken, UserCode: totpCode(totpSecret), FriendlyDeviceName: 'authenticator' }),
  );
  if (verified.Status !== 'SUCCESS') throw new Error(`TOTP verification for operator ${username} answered ${verified.Status ?? 'nothing'}`);
  await client.send(
    new SetUserMFAPreferenceCommand({ AccessToken: accessToken, SoftwareTokenMfaSettings: { Enabled: true, PreferredMfa: true } }),
  );
  return { username, email: input.email, password: input.password, totpSecret };
}

/** Password, then the TOTP challenge — as an operator signs in against real Cognito. */
export async function signInLocalOperator(
  client: CognitoIdentityProviderClient,
  pool: OperatorsPool,
  operator: Pick<LocalOperator, 'username' | 'password' | 'totpSecret'>,
): Promise<OperatorTokens> {
  const started = await client.send(
    new InitiateAuthCommand({
      AuthFlow: 'USER_PASSWORD_AUTH',
      ClientId: pool.clientId,
      AuthParameters: { USERNAME: operator.username, PASSWORD: operator.password },
    }),
  );
  if (started.ChallengeName !== 'SOFTWARE_TOKEN_MFA' || !started.Session) {
    throw new Error(`operator sign-in answered ${started.ChallengeName ?? 'tokens without MFA'}, expected SOFTWARE_TOKEN_MFA`);
  }
  const answered = await client.send(
    new RespondToAuthChallengeCommand({
      ClientId: pool.clientId,
      ChallengeName: 'SOFTWARE_TOKEN_MFA',
      Session: started.Session,
      ChallengeResponses: { USERNAME: operator.username, SOFTWARE_TOKEN_MFA_CODE: totpCode(operator.totpSecret) },
    }),
  );
  const result = answered.AuthenticationResult;
  if (!result?.AccessToken || !result.IdToken || !result.RefreshToken) throw new Error('operator sign-in returned no complete token set');
  return { accessToken: result.AccessToken, idToken: result.IdToken, refreshToken: result.RefreshToken };
}
