/**
 * Cognito create-auth-challenge trigger of the tier-move token exchange (see
 * define-auth-challenge.ts): makes the one CUSTOM_CHALLENGE a fresh random
 * nonce. The nonce goes to Gatehouse in the public challenge parameters
 * (AdminInitiateAuth's ChallengeParameters), which binds its HMAC answer to
 * this challenge, and to the verify trigger in the private ones. It is no
 * secret: without the exchange key it is worth nothing.
 *
 * Self-contained on purpose (node:crypto only): the deployment transpiles this file alone.
 */
import { randomBytes } from 'node:crypto';

export interface CreateAuthChallengeEvent {
  readonly triggerSource?: string;
  readonly userPoolId?: string;
  readonly userName?: string;
  readonly request: { readonly challengeName?: string; readonly userNotFound?: boolean };
  response: {
    publicChallengeParameters?: Record<string, string>;
    privateChallengeParameters?: Record<string, string>;
    challengeMetadata?: string;
  };
}

/** Must match define-auth-challenge.ts, which issues tokens only after a challenge carrying it. */
export const TOKEN_EXCHANGE_CHALLENGE_METADATA = 'GATEHOUSE_TOKEN_EXCHANGE';
/** 256 bits: a nonce never repeats. */
const NONCE_BYTES = 32;

export class UnexpectedChallengeError extends Error {
  override readonly name = 'UnexpectedChallengeError';
}

export function createChallenge(event: CreateAuthChallengeEvent, random: (size: number) => Buffer = randomBytes): CreateAuthChallengeEvent['response'] {
  // Define only ever asks for CUSTOM_CHALLENGE; anything else means the flow is not ours: fail it (Cognito refuses the sign-in).
  if (event.request.challengeName !== 'CUSTOM_CHALLENGE') {
    throw new UnexpectedChallengeError(`no challenge of kind ${String(event.request.challengeName)} here`);
  }
  const nonce = random(NONCE_BYTES).toString('base64url');
  return {
    publicChallengeParameters: { nonce },
    privateChallengeParameters: { nonce },
    challengeMetadata: TOKEN_EXCHANGE_CHALLENGE_METADATA,
  };
}

export async function handler(event: CreateAuthChallengeEvent): Promise<CreateAuthChallengeEvent> {
  event.response = createChallenge(event);
  return event;
}
