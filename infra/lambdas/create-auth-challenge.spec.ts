import { describe, expect, it } from 'vitest';
import { type CreateAuthChallengeEvent, TOKEN_EXCHANGE_CHALLENGE_METADATA, UnexpectedChallengeError, createChallenge, handler } from './create-auth-challenge.js';

const event = (challengeName: string | undefined): CreateAuthChallengeEvent => ({
  userPoolId: 'eu-west-1_pool',
  userName: 'opaque-1',
  request: { ...(challengeName ? { challengeName } : {}) },
  response: {},
});

describe('create-auth-challenge trigger (tier-move token exchange)', () => {
  it('puts one random 256-bit nonce in both the public and the private parameters, and marks the challenge', () => {
    const sut = createChallenge(event('CUSTOM_CHALLENGE'), (size) => Buffer.alloc(size, 0xab));
    const nonce = Buffer.alloc(32, 0xab).toString('base64url');
    expect(sut).toEqual({
      publicChallengeParameters: { nonce },
      privateChallengeParameters: { nonce },
      challengeMetadata: TOKEN_EXCHANGE_CHALLENGE_METADATA,
    });
  });

  it('makes a fresh nonce for every challenge', async () => {
    const first = (await handler(event('CUSTOM_CHALLENGE'))).response.privateChallengeParameters?.['nonce'];
    const second = (await handler(event('CUSTOM_CHALLENGE'))).response.privateChallengeParameters?.['nonce'];
    expect(first).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(second).not.toBe(first);
  });

  it('refuses to create any other kind of challenge (the flow is not Gatehouse’s)', () => {
    expect(() => createChallenge(event('SMS_MFA'))).toThrow(UnexpectedChallengeError);
    expect(() => createChallenge(event(undefined))).toThrow(UnexpectedChallengeError);
  });
});
