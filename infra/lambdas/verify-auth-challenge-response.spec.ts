import { afterEach, describe, expect, it } from 'vitest';
import { tokenExchangeAnswer } from '../../apps/api/src/identity/cognito/token-exchange-answer.js';
import { MAX_ANSWER_LIFETIME_SECONDS, type VerifyAuthChallengeEvent, handler, isCorrectAnswer, parseExchangeKey } from './verify-auth-challenge-response.js';

const KEY = Buffer.alloc(32, 7);
const OTHER_KEY = Buffer.alloc(32, 8);
const NOW = Date.UTC(2026, 11, 1, 12, 0, 0);
const challenge = { userPoolId: 'eu-west-1_target', username: 'opaque-ann', nonce: 'nonce-1' };

function event(answer: string, overrides: Partial<VerifyAuthChallengeEvent> = {}, nonce = challenge.nonce): VerifyAuthChallengeEvent {
  return {
    userPoolId: challenge.userPoolId,
    userName: challenge.username,
    request: { privateChallengeParameters: { nonce }, challengeAnswer: answer },
    response: {},
    ...overrides,
  };
}

afterEach(() => {
  delete process.env['GATEHOUSE_TOKEN_EXCHANGE_KEY'];
});

describe('verify-auth-challenge-response trigger (tier-move token exchange)', () => {
  it('accepts the answer the API makes for this pool, user and nonce', () => {
    expect(isCorrectAnswer(event(tokenExchangeAnswer(KEY, challenge, NOW)), KEY, NOW)).toBe(true);
  });

  it('refuses an answer made with another key, for another pool, another user or another challenge', () => {
    expect(isCorrectAnswer(event(tokenExchangeAnswer(OTHER_KEY, challenge, NOW)), KEY, NOW)).toBe(false);
    expect(isCorrectAnswer(event(tokenExchangeAnswer(KEY, { ...challenge, userPoolId: 'eu-west-1_other' }, NOW)), KEY, NOW)).toBe(false);
    expect(isCorrectAnswer(event(tokenExchangeAnswer(KEY, { ...challenge, username: 'opaque-bob' }, NOW)), KEY, NOW)).toBe(false);
    expect(isCorrectAnswer(event(tokenExchangeAnswer(KEY, challenge, NOW), {}, 'nonce-2'), KEY, NOW)).toBe(false);
  });

  it('refuses an expired answer, and one claiming a longer life than Gatehouse gives', () => {
    const answer = tokenExchangeAnswer(KEY, challenge, NOW);
    expect(isCorrectAnswer(event(answer), KEY, NOW + 61_000)).toBe(false);
    const expiresAt = Math.floor(NOW / 1000) + MAX_ANSWER_LIFETIME_SECONDS + 1;
    const [, , mac] = tokenExchangeAnswer(KEY, challenge, (expiresAt - 60) * 1000).split('.');
    expect(isCorrectAnswer(event(`v1.${expiresAt}.${mac}`), KEY, NOW)).toBe(false);
  });

  it('refuses a changed expiry or MAC, malformed answers and a missing nonce', () => {
    const [version, expiresAt, mac] = tokenExchangeAnswer(KEY, challenge, NOW).split('.') as [string, string, string];
    expect(isCorrectAnswer(event(`${version}.${Number(expiresAt) + 1}.${mac}`), KEY, NOW)).toBe(false);
    const flipped = `${mac[0] === 'A' ? 'B' : 'A'}${mac.slice(1)}`;
    expect(isCorrectAnswer(event(`${version}.${expiresAt}.${flipped}`), KEY, NOW)).toBe(false);
    for (const answer of ['', 'v1', `v2.${expiresAt}.${mac}`, `v1.${expiresAt}.${mac}x`, `v1.-1.${mac}`]) {
      expect(isCorrectAnswer(event(answer), KEY, NOW)).toBe(false);
    }
    const withoutNonce = { ...event(tokenExchangeAnswer(KEY, challenge, NOW)), request: { challengeAnswer: tokenExchangeAnswer(KEY, challenge, NOW) } };
    expect(isCorrectAnswer(withoutNonce, KEY, NOW)).toBe(false);
  });

  it('refuses everything without a valid 32-byte key (fail closed)', () => {
    expect(parseExchangeKey(KEY.toString('base64'))).toEqual(KEY);
    expect(parseExchangeKey(undefined)).toBeUndefined();
    expect(parseExchangeKey('')).toBeUndefined();
    expect(parseExchangeKey(Buffer.alloc(16, 1).toString('base64'))).toBeUndefined();
    expect(isCorrectAnswer(event(tokenExchangeAnswer(KEY, challenge, NOW)), undefined, NOW)).toBe(false);
  });

  it('answers Cognito through the handler with the key from its environment', async () => {
    process.env['GATEHOUSE_TOKEN_EXCHANGE_KEY'] = KEY.toString('base64');
    expect((await handler(event(tokenExchangeAnswer(KEY, challenge)))).response).toEqual({ answerCorrect: true });
    expect((await handler(event(tokenExchangeAnswer(OTHER_KEY, challenge)))).response).toEqual({ answerCorrect: false });
    delete process.env['GATEHOUSE_TOKEN_EXCHANGE_KEY'];
    expect((await handler(event(tokenExchangeAnswer(KEY, challenge)))).response).toEqual({ answerCorrect: false });
  });
});
