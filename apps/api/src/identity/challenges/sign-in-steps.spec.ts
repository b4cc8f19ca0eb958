/**
 * The multi-step sign-in logic against a recording fake of the identity
 * provider port: the order and content of the Cognito calls for both MFA
 * set-ups (Cognito's MFA_SETUP with its session, which the emulator cannot
 * run, and Gatehouse's with held-back tokens), and that tokens never leave
 * before a TOTP check when MFA is required.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { AppConfig } from '../../config/config.schema.js';
import type { AuthOutcome, ChallengeAnswer, IdentityProvider, TokenSet } from '../identity-provider.js';
import { invalidCode } from '../identity.errors.js';
import type { ChallengeHandleLedger } from './challenge-handle-ledger.js';
import { type ReleaseHook, type SignInParty, SignInSteps } from './sign-in-steps.js';

const tokens: TokenSet = { accessToken: 'access-1', idToken: 'id-1', refreshToken: 'refresh-1', expiresIn: 3600, tokenType: 'Bearer' };
const client = { userPoolId: 'eu-west-1_silo', region: 'eu-west-1', clientId: 'client-1' };
const party: SignInParty = {
  aud: 'tenant',
  tenantId: 'tenant-1',
  userId: 'user-1',
  username: 'opaque-1',
  client,
  mfaRequired: true,
  totpIssuer: 'Gatehouse (acme)',
  totpAccount: 'ada@acme.test',
};

type Call = [string, ...unknown[]];

function fakeIdentity(answers: { respond?: (answer: ChallengeAnswer) => AuthOutcome; verify?: () => void } = {}) {
  const calls: Call[] = [];
  const fake = {
    associateSoftwareTokenInChallenge: async (...args: unknown[]) => {
      calls.push(['associateSoftwareTokenInChallenge', ...args]);
      return { secretCode: 'SECRET', session: 'session-2' };
    },
    verifySoftwareTokenInChallenge: async (...args: unknown[]) => {
      calls.push(['verifySoftwareTokenInChallenge', ...args]);
      answers.verify?.();
      return { session: 'session-3' };
    },
    respondToChallenge: async (_client: unknown, answer: ChallengeAnswer) => {
      calls.push(['respondToChallenge', answer]);
      return answers.respond?.(answer) ?? { kind: 'tokens', tokens };
    },
    associateSoftwareToken: async (...args: unknown[]) => {
      calls.push(['associateSoftwareToken', ...args]);
      return { secretCode: 'SECRET' };
    },
    verifySoftwareToken: async (...args: unknown[]) => {
      calls.push(['verifySoftwareToken', ...args]);
      answers.verify?.();
    },
    setSoftwareTokenMfa: async (...args: unknown[]) => {
      calls.push(['setSoftwareTokenMfa', ...args]);
    },
  };
  return { identity: fake as unknown as IdentityProvider, calls };
}

function stepsWith(identity: IdentityProvider) {
  const consumed = new Set<string>();
  const ledger = { consume: async (jti: string) => (consumed.has(jti) ? false : (consumed.add(jti), true)) } as unknown as ChallengeHandleLedger;
  const config = { challengeHandleKeys: [{ id: 'k1', key: randomBytes(32) }] } as unknown as AppConfig;
  return new SignInSteps(config, identity, ledger);
}

function recordingRelease() {
  const released: { tokens: TokenSet; mfaPassed: boolean }[] = [];
  const hook: ReleaseHook = async (given, mfaPassed) => {
    released.push({ tokens: given, mfaPassed });
  };
  return { hook, released };
}

describe(SignInSteps.name, () => {
  it('runs Cognito’s MFA_SETUP: associate and verify with the session, respond, then make TOTP preferred', async () => {
    const { identity, calls } = fakeIdentity();
    const sut = stepsWith(identity);
    const { hook, released } = recordingRelease();

    const started = await sut.settle(party, { kind: 'challenge', challenge: 'MFA_SETUP', session: 'session-1' }, false, hook);
    expect(started).toMatchObject({ status: 'challenge', challenge: 'MFA_SETUP', mfaSetup: { secretCode: 'SECRET' } });
    if (started.status !== 'challenge') throw new Error('expected a challenge');
    expect(started.mfaSetup?.otpauthUri).toBe(
      'otpauth://totp/Gatehouse%20(acme):ada%40acme.test?secret=SECRET&issuer=Gatehouse%20(acme)&algorithm=SHA1&digits=6&period=30',
    );
    expect(started.session).not.toContain('session-2');
    expect(calls).toEqual([['associateSoftwareTokenInChallenge', client, 'session-1']]);

    const claims = sut.open(started.session, 'tenant', 'MFA_SETUP');
    await sut.consume(claims);
    const finished = await sut.answer(party, claims, { code: '123456' }, hook);
    expect(finished).toEqual({ status: 'signed_in', tokens });
    expect(calls.slice(1)).toEqual([
      ['verifySoftwareTokenInChallenge', client, 'session-2', '123456'],
      ['respondToChallenge', { challenge: 'MFA_SETUP', session: 'session-3', username: 'opaque-1' }],
      ['setSoftwareTokenMfa', client, 'access-1', true],
    ]);
    expect(released).toEqual([{ tokens, mfaPassed: true }]);
  });

  it('holds shared-pool tokens back when MFA is required and the sign-in had no TOTP check, until the user enrols', async () => {
    const { identity, calls } = fakeIdentity();
    const sut = stepsWith(identity);
    const { hook, released } = recordingRelease();

    const started = await sut.settle(party, { kind: 'tokens', tokens }, false, hook);
    expect(started).toMatchObject({ status: 'challenge', challenge: 'MFA_SETUP', mfaSetup: { secretCode: 'SECRET' } });
    expect(JSON.stringify(started)).not.toContain('access-1');
    expect(released).toEqual([]);
    if (started.status !== 'challenge') throw new Error('expected a challenge');

    const claims = sut.open(started.session, 'tenant', 'MFA_SETUP');
    await sut.consume(claims);
    expect(await sut.answer(party, claims, { code: '654321' }, hook)).toEqual({ status: 'signed_in', tokens });
    expect(calls).toEqual([
      ['associateSoftwareToken', client, 'access-1'],
      ['verifySoftwareToken', client, 'access-1', '654321'],
      ['setSoftwareTokenMfa', client, 'access-1', true],
    ]);
    expect(released).toEqual([{ tokens, mfaPassed: true }]);
  });

  it('releases tokens at once when MFA is optional, and after a passed TOTP challenge when it is required', async () => {
    const { identity } = fakeIdentity();
    const sut = stepsWith(identity);
    const { hook, released } = recordingRelease();
    expect(await sut.settle({ ...party, mfaRequired: false }, { kind: 'tokens', tokens }, false, hook)).toEqual({ status: 'signed_in', tokens });

    const challenged = await sut.settle(party, { kind: 'challenge', challenge: 'SOFTWARE_TOKEN_MFA', session: 'session-1' }, false, hook);
    if (challenged.status !== 'challenge') throw new Error('expected a challenge');
    const claims = sut.open(challenged.session, 'tenant', 'SOFTWARE_TOKEN_MFA');
    await sut.consume(claims);
    expect(await sut.answer(party, claims, { code: '111111' }, hook)).toEqual({ status: 'signed_in', tokens });
    expect(released).toEqual([
      { tokens, mfaPassed: false },
      { tokens, mfaPassed: true },
    ]);
  });

  it('a new password does not count as MFA: a required tenant still gets the set-up after it', async () => {
    const { identity } = fakeIdentity();
    const sut = stepsWith(identity);
    const { hook, released } = recordingRelease();
    const started = await sut.settle(party, { kind: 'challenge', challenge: 'NEW_PASSWORD_REQUIRED', session: 'session-1' }, false, hook);
    if (started.status !== 'challenge') throw new Error('expected a challenge');
    const claims = sut.open(started.session, 'tenant', 'NEW_PASSWORD_REQUIRED');
    await sut.consume(claims);
    const next = await sut.answer(party, claims, { newPassword: 'New-Password-2026' }, hook);
    expect(next).toMatchObject({ status: 'challenge', challenge: 'MFA_SETUP' });
    expect(released).toEqual([]);
  });

  it('spends a handle once, refuses it for another audience or challenge, and re-issues one after a wrong code', async () => {
    let wrong = true;
    const { identity } = fakeIdentity({
      verify: () => {
        if (wrong) throw invalidCode();
      },
    });
    const sut = stepsWith(identity);
    const { hook } = recordingRelease();
    const started = await sut.settle(party, { kind: 'challenge', challenge: 'MFA_SETUP', session: 'session-1' }, false, hook);
    if (started.status !== 'challenge') throw new Error('expected a challenge');
    expect(() => sut.open(started.session, 'operator', 'MFA_SETUP')).toThrow(expect.objectContaining({ code: 'invalid_challenge' }));
    expect(() => sut.open(started.session, 'tenant', 'SOFTWARE_TOKEN_MFA')).toThrow(expect.objectContaining({ code: 'invalid_challenge' }));

    const claims = sut.open(started.session, 'tenant', 'MFA_SETUP');
    await sut.consume(claims);
    await expect(sut.consume(claims)).rejects.toMatchObject({ status: 401, code: 'invalid_challenge' });
    const failure = (await sut.answer(party, claims, { code: '000000' }, hook).catch((error: unknown) => error)) as {
      code: string;
      extensions: { session: string };
    };
    expect(failure.code).toBe('invalid_code');
    const retry = sut.open(failure.extensions.session, 'tenant', 'MFA_SETUP');
    expect(retry).toMatchObject({ attempts: 1, exp: claims.exp, username: 'opaque-1', session: 'session-2' });
    expect(retry.jti).not.toBe(claims.jti);
    wrong = false;
    await sut.consume(retry);
    expect(await sut.answer(party, retry, { code: '123456' }, hook)).toMatchObject({ status: 'signed_in' });
  });
});
