/**
 * The two Cognito requests of the tier-move token exchange (README "Trust
 * during a move"), built as plain data so a unit spec can hold them to
 * Cognito's documented API — the emulator has no custom auth flow and no
 * auth-challenge triggers, so nothing local can show them:
 *
 * 1. AdminInitiateAuth, AuthFlow CUSTOM_AUTH, on the target's confidential
 *    Gatehouse client: AuthParameters USERNAME and SECRET_HASH. The
 *    define-auth-challenge trigger answers with one CUSTOM_CHALLENGE whose
 *    ChallengeParameters carry the create trigger's `nonce`.
 * 2. AdminRespondToAuthChallenge, ChallengeName CUSTOM_CHALLENGE: ChallengeResponses
 *    USERNAME, SECRET_HASH and ANSWER (token-exchange-answer.ts), with the Session of step 1.
 *
 * The admin forms (IAM-authorised, the API's role only) rather than the public
 * ones: the exchange is a server-side act, never something a client can start.
 */
import type { AdminInitiateAuthCommandInput, AdminRespondToAuthChallengeCommandInput } from '@aws-sdk/client-cognito-identity-provider';
import type { ClientRef } from '../identity-provider.js';

export function startTokenExchangeInput(client: ClientRef, username: string, secretHash: string): AdminInitiateAuthCommandInput {
  return {
    UserPoolId: client.userPoolId,
    ClientId: client.clientId,
    AuthFlow: 'CUSTOM_AUTH',
    AuthParameters: { USERNAME: username, SECRET_HASH: secretHash },
  };
}

export function answerTokenExchangeInput(
  client: ClientRef,
  username: string,
  secretHash: string,
  session: string,
  answer: string,
): AdminRespondToAuthChallengeCommandInput {
  return {
    UserPoolId: client.userPoolId,
    ClientId: client.clientId,
    ChallengeName: 'CUSTOM_CHALLENGE',
    Session: session,
    ChallengeResponses: { USERNAME: username, SECRET_HASH: secretHash, ANSWER: answer },
  };
}
