/**
 * Cognito verify-auth-challenge-response trigger of the tier-move token
 * exchange (see define-auth-challenge.ts). The answer is correct only when it
 * is Gatehouse's HMAC (the exchange key: `GATEHOUSE_TOKEN_EXCHANGE_KEY`, base64
 * of 32 bytes, set by Pulumi as an encrypted environment variable; the API
 * holds the same key as `COGNITO_TOKEN_EXCHANGE_KEY`) over
 *
 *   this pool id, this username, this challenge's nonce and the answer's expiry,
 *
 * the expiry is still ahead and not further than MAX_ANSWER_LIFETIME_SECONDS,
 * and the MAC matches in constant time. The format is the API's
 * (apps/api/src/identity/cognito/token-exchange-answer.ts); the spec checks
 * answers the API makes. A missing or malformed key refuses everything.
 *
 * Self-contained on purpose (node:crypto only): the deployment transpiles this file alone.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export interface VerifyAuthChallengeEvent {
  readonly triggerSource?: string;
  readonly userPoolId: string;
  readonly userName: string;
  readonly request: {
    readonly privateChallengeParameters?: Readonly<Record<string, string>>;
    readonly challengeAnswer?: string;
    readonly userNotFound?: boolean;
  };
  response: { answerCorrect?: boolean };
}

/** An answer claiming a longer life than this was not made by Gatehouse (it makes 60-second ones). */
export const MAX_ANSWER_LIFETIME_SECONDS = 120;
const ANSWER = /^v1\.(\d{1,12})\.([A-Za-z0-9_-]{43})$/;

/** The exchange key from its base64 text; undefined unless it is exactly 32 bytes. */
export function parseExchangeKey(text: string | undefined): Buffer | undefined {
  if (!text || !/^[A-Za-z0-9+/]{43}=$/.test(text.trim())) return undefined;
  const key = Buffer.from(text.trim(), 'base64');
  return key.length === 32 ? key : undefined;
}

export function isCorrectAnswer(event: VerifyAuthChallengeEvent, key: Buffer | undefined, nowMs: number): boolean {
  const nonce = event.request.privateChallengeParameters?.['nonce'];
  const match = ANSWER.exec(event.request.challengeAnswer ?? '');
  if (!key || !nonce || !match || event.request.userNotFound || !event.userPoolId || !event.userName) return false;
  const expiresAt = Number(match[1]);
  const now = Math.floor(nowMs / 1000);
  if (expiresAt <= now || expiresAt > now + MAX_ANSWER_LIFETIME_SECONDS) return false;
  const message = ['gatehouse-token-exchange.v1', event.userPoolId, event.userName, nonce, String(expiresAt)].join('\n');
  const expected = createHmac('sha256', key).update(message).digest();
  const given = Buffer.from(match[2]!, 'base64url');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export async function handler(event: VerifyAuthChallengeEvent): Promise<VerifyAuthChallengeEvent> {
  const correct = isCorrectAnswer(event, parseExchangeKey(process.env['GATEHOUSE_TOKEN_EXCHANGE_KEY']), Date.now());
  event.response = { answerCorrect: correct };
  if (!correct) console.warn(JSON.stringify({ refused: 'token_exchange_answer', userPoolId: event.userPoolId }));
  return event;
}
