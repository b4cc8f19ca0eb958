/**
 * Cognito define-auth-challenge trigger of the tier-move token exchange
 * (README "Moving a tenant between tiers", "Trust during a move"): after
 * cut-over, Gatehouse moves a user who refreshes a source token to the target
 * by starting Cognito's custom flow (AdminInitiateAuth CUSTOM_AUTH) on the
 * target's confidential Gatehouse client — the only clients that allow it —
 * and answering one challenge with an HMAC only Gatehouse can produce.
 *
 * The sequence it allows is exactly that, and nothing else:
 * - no challenge yet: present one CUSTOM_CHALLENGE;
 * - that one challenge answered correctly: issue tokens;
 * - anything else (a wrong answer, a second attempt, SRP or password steps, an
 *   unknown user): fail the authentication. One attempt per session.
 *
 * Self-contained on purpose (no imports): the deployment transpiles this file alone.
 */
export interface ChallengeResult {
  readonly challengeName: string;
  readonly challengeResult: boolean;
  readonly challengeMetadata?: string;
}

export interface DefineAuthChallengeEvent {
  readonly triggerSource?: string;
  readonly userPoolId?: string;
  readonly userName?: string;
  readonly request: { readonly session?: readonly ChallengeResult[]; readonly userNotFound?: boolean };
  response: { challengeName?: string; issueTokens?: boolean; failAuthentication?: boolean };
}

/** What create-auth-challenge puts in `challengeMetadata`: the one challenge this flow knows. */
export const TOKEN_EXCHANGE_CHALLENGE_METADATA = 'GATEHOUSE_TOKEN_EXCHANGE';

export type DefineDecision =
  | { readonly challengeName: 'CUSTOM_CHALLENGE'; readonly issueTokens: false; readonly failAuthentication: false }
  | { readonly issueTokens: true; readonly failAuthentication: false }
  | { readonly issueTokens: false; readonly failAuthentication: true };

export function decideNextStep(request: DefineAuthChallengeEvent['request']): DefineDecision {
  const session = request.session ?? [];
  if (request.userNotFound) return { issueTokens: false, failAuthentication: true };
  if (session.length === 0) return { challengeName: 'CUSTOM_CHALLENGE', issueTokens: false, failAuthentication: false };
  const [only] = session;
  const passed =
    session.length === 1 &&
    only?.challengeName === 'CUSTOM_CHALLENGE' &&
    only.challengeResult === true &&
    only.challengeMetadata === TOKEN_EXCHANGE_CHALLENGE_METADATA;
  return passed ? { issueTokens: true, failAuthentication: false } : { issueTokens: false, failAuthentication: true };
}

export async function handler(event: DefineAuthChallengeEvent): Promise<DefineAuthChallengeEvent> {
  const decision = decideNextStep(event.request);
  // Replace the response wholesale: nothing Cognito pre-filled survives into the decision.
  event.response = { ...decision };
  if (decision.failAuthentication) {
    console.warn(JSON.stringify({ refused: 'token_exchange', userPoolId: event.userPoolId, rounds: event.request.session?.length ?? 0 }));
  }
  return event;
}
