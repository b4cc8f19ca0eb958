import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CHALLENGE_HANDLE_TTL_SECONDS, ChallengeHandleSealer, type NewChallengeHandle } from './challenge-handle.js';

const NOW = 1_800_000_000_000;
const oldKey = { id: 'k1', key: randomBytes(32) };
const newKey = { id: 'k2', key: randomBytes(32) };

const input: NewChallengeHandle = {
  aud: 'tenant',
  tenantId: 'tenant-1',
  userId: 'user-1',
  username: 'opaque-1',
  challenge: 'NEW_PASSWORD_REQUIRED',
  session: 'cognito-session',
  mfaPassed: false,
};

function expectInvalid(action: () => unknown): void {
  expect(action).toThrow(expect.objectContaining({ status: 401, code: 'invalid_challenge' }));
}

describe(ChallengeHandleSealer.name, () => {
  it('round-trips the claims, with a fresh jti and a five-minute expiry, and reveals nothing in the handle', () => {
    const sut = new ChallengeHandleSealer([newKey], () => NOW);
    const first = sut.seal(input);
    const second = sut.seal(input);
    expect(first.handle).toMatch(/^gh1\.k2\.[A-Za-z0-9_-]+$/);
    expect(first.handle).not.toContain('opaque-1');
    expect(Buffer.from(first.handle.split('.')[2]!, 'base64url').toString('latin1')).not.toContain('cognito-session');
    expect(first.claims.jti).not.toBe(second.claims.jti);
    expect(sut.open(first.handle)).toEqual({ ...input, attempts: 0, jti: first.claims.jti, exp: NOW / 1000 + CHALLENGE_HANDLE_TTL_SECONDS });
  });

  it('refuses a made-up, truncated or altered handle', () => {
    const sut = new ChallengeHandleSealer([newKey], () => NOW);
    const { handle } = sut.seal(input);
    expectInvalid(() => sut.open('a-cognito-session-someone-made-up'));
    expectInvalid(() => sut.open(handle.slice(0, -4)));
    const body = Buffer.from(handle.split('.')[2]!, 'base64url');
    body[20] = body[20]! ^ 1;
    expectInvalid(() => sut.open(`gh1.k2.${body.toString('base64url')}`));
    // The key id is authenticated: relabelling a handle does not help.
    expectInvalid(() => new ChallengeHandleSealer([newKey, { id: 'k9', key: newKey.key }], () => NOW).open(handle.replace('gh1.k2.', 'gh1.k9.')));
  });

  it('refuses a handle sealed with a key it does not hold', () => {
    const stranger = new ChallengeHandleSealer([{ id: 'k2', key: randomBytes(32) }], () => NOW);
    expectInvalid(() => new ChallengeHandleSealer([newKey], () => NOW).open(stranger.seal(input).handle));
  });

  it('refuses an expired handle, and a re-issued handle keeps the original expiry', () => {
    let now = NOW;
    const sut = new ChallengeHandleSealer([newKey], () => now);
    const { handle, claims } = sut.seal(input);
    const reissued = sut.seal({ ...input, attempts: 1, exp: claims.exp });
    now = NOW + CHALLENGE_HANDLE_TTL_SECONDS * 1000;
    expectInvalid(() => sut.open(handle));
    expectInvalid(() => sut.open(reissued.handle));
  });

  it('opens handles sealed with a rotated-out key while sealing with the new one', () => {
    const before = new ChallengeHandleSealer([oldKey], () => NOW);
    const after = new ChallengeHandleSealer([newKey, oldKey], () => NOW);
    const { handle } = before.seal(input);
    expect(after.open(handle).username).toBe('opaque-1');
    expect(after.seal(input).handle.startsWith('gh1.k2.')).toBe(true);
  });
});
