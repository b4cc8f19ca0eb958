/**
 * The answer to the tier-move token exchange's custom challenge (README
 * "Trust during a move"): proof that Gatehouse itself — the only holder of the
 * exchange key besides the verify-auth-challenge-response Lambda — asks for
 * this user's tokens, in this pool, for this one challenge, now.
 *
 *   v1.<expiresAt>.<base64url HMAC-SHA256(key, message)>
 *   message = "gatehouse-token-exchange.v1\n<userPoolId>\n<username>\n<nonce>\n<expiresAt>"
 *
 * The nonce is the one the create-auth-challenge Lambda put in the challenge's
 * public and private parameters, so an answer fits one challenge only; the
 * expiry (seconds since the epoch) keeps it short-lived. The Lambda
 * (infra/lambdas/verify-auth-challenge-response.ts) recomputes it on its own
 * copy of this format; its spec checks the two agree.
 */
import { createHmac } from 'node:crypto';

export const TOKEN_EXCHANGE_ANSWER_VERSION = 'v1';
/** How long an answer is valid: the two calls of one exchange follow each other at once. */
export const TOKEN_EXCHANGE_ANSWER_TTL_SECONDS = 60;

export interface TokenExchangeChallenge {
  readonly userPoolId: string;
  readonly username: string;
  /** `nonce` of the challenge's ChallengeParameters. */
  readonly nonce: string;
}

export function tokenExchangeMessage(challenge: TokenExchangeChallenge, expiresAt: number): string {
  return ['gatehouse-token-exchange.v1', challenge.userPoolId, challenge.username, challenge.nonce, String(expiresAt)].join('\n');
}

export function tokenExchangeAnswer(key: Buffer, challenge: TokenExchangeChallenge, nowMs: number = Date.now()): string {
  const expiresAt = Math.floor(nowMs / 1000) + TOKEN_EXCHANGE_ANSWER_TTL_SECONDS;
  const mac = createHmac('sha256', key).update(tokenExchangeMessage(challenge, expiresAt)).digest('base64url');
  return `${TOKEN_EXCHANGE_ANSWER_VERSION}.${expiresAt}.${mac}`;
}
