import { describe, expect, it } from 'vitest';
import { type ChallengeResult, type DefineAuthChallengeEvent, TOKEN_EXCHANGE_CHALLENGE_METADATA, decideNextStep, handler } from './define-auth-challenge.js';
import { TOKEN_EXCHANGE_CHALLENGE_METADATA as CREATED_METADATA } from './create-auth-challenge.js';

const passed: ChallengeResult = { challengeName: 'CUSTOM_CHALLENGE', challengeResult: true, challengeMetadata: TOKEN_EXCHANGE_CHALLENGE_METADATA };
const failed: ChallengeResult = { ...passed, challengeResult: false };
const FAIL = { issueTokens: false, failAuthentication: true };

describe('define-auth-challenge trigger (tier-move token exchange)', () => {
  it('starts with exactly one custom challenge', () => {
    expect(decideNextStep({ session: [] })).toEqual({ challengeName: 'CUSTOM_CHALLENGE', issueTokens: false, failAuthentication: false });
    expect(decideNextStep({})).toEqual({ challengeName: 'CUSTOM_CHALLENGE', issueTokens: false, failAuthentication: false });
  });

  it('issues tokens after that one challenge was answered correctly', () => {
    expect(decideNextStep({ session: [passed] })).toEqual({ issueTokens: true, failAuthentication: false });
  });

  it('fails a wrong answer at once: one attempt, no second challenge', () => {
    expect(decideNextStep({ session: [failed] })).toEqual(FAIL);
    expect(decideNextStep({ session: [failed, passed] })).toEqual(FAIL);
  });

  it('fails anything that is not the exchange: password or SRP steps, foreign challenges, extra rounds, unknown users', () => {
    expect(decideNextStep({ session: [{ challengeName: 'SRP_A', challengeResult: true }] })).toEqual(FAIL);
    expect(decideNextStep({ session: [{ challengeName: 'PASSWORD_VERIFIER', challengeResult: true }] })).toEqual(FAIL);
    expect(decideNextStep({ session: [{ ...passed, challengeMetadata: 'SOMETHING_ELSE' }] })).toEqual(FAIL);
    expect(decideNextStep({ session: [passed, passed] })).toEqual(FAIL);
    expect(decideNextStep({ session: [], userNotFound: true })).toEqual(FAIL);
  });

  it('recognises the metadata the create trigger writes (the two self-contained files agree)', () => {
    expect(CREATED_METADATA).toBe(TOKEN_EXCHANGE_CHALLENGE_METADATA);
  });

  it('replaces the whole response, so nothing pre-filled can issue tokens', async () => {
    const event: DefineAuthChallengeEvent = {
      userPoolId: 'eu-west-1_pool',
      request: { session: [failed] },
      response: { issueTokens: true, failAuthentication: false, challengeName: 'CUSTOM_CHALLENGE' },
    };
    expect((await handler(event)).response).toEqual(FAIL);
  });
});
