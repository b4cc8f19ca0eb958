import { describe, expect, it } from 'vitest';
import { verifyMessage } from '../../apps/api/src/events/standard-webhooks.js';
import { type UserMigrationEvent, type UserMigrationSettings, migrateUser, migrationRequestFor } from './user-migration.js';

const SECRET = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
const NOW = Date.UTC(2026, 11, 2, 9, 30, 0);
const PASSWORD = 'Moving-Day-2026!';
const URL = 'https://api.example/internal/cognito-user-migration';
const ATTRIBUTES = { email: 'ann@acme.test', email_verified: 'true', 'custom:tenantId': 'tenant-1', 'custom:tenantTier': 'premium' };

function event(triggerSource: string, overrides: Partial<UserMigrationEvent> = {}): UserMigrationEvent {
  return {
    triggerSource,
    region: 'eu-west-1',
    userPoolId: 'eu-west-1_target',
    userName: 'gh1-opaque',
    callerContext: { clientId: 'public-client' },
    request: triggerSource === 'UserMigration_Authentication' ? { password: PASSWORD } : {},
    response: {},
    ...overrides,
  };
}

interface Posted {
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly body: string;
}

function settings(answer: { status: number; body: string } | Error = { status: 200, body: JSON.stringify({ userAttributes: ATTRIBUTES }) }) {
  const posted: Posted[] = [];
  const logged: string[] = [];
  const sut: UserMigrationSettings = {
    url: URL,
    secret: SECRET,
    post: async (url, headers, body) => {
      posted.push({ url, headers, body });
      if (answer instanceof Error) throw answer;
      return answer;
    },
    log: (line) => logged.push(line),
  };
  return { sut, posted, logged };
}

describe('user-migration trigger', () => {
  it('asks Gatehouse with the pool, the calling client, the username and the password of a sign-in', () => {
    expect(migrationRequestFor(event('UserMigration_Authentication'))).toEqual({
      kind: 'authentication',
      userPoolId: 'eu-west-1_target',
      clientId: 'public-client',
      username: 'gh1-opaque',
      password: PASSWORD,
    });
  });

  it('sends no password for a reset (Cognito has none)', () => {
    expect(migrationRequestFor(event('UserMigration_ForgotPassword', { request: { password: 'ignored' } }))).toEqual({
      kind: 'forgot_password',
      userPoolId: 'eu-west-1_target',
      clientId: 'public-client',
      username: 'gh1-opaque',
    });
  });

  it('refuses other trigger sources, a sign-in without a password, and an event without a client', () => {
    expect(() => migrationRequestFor(event('PreSignUp_SignUp'))).toThrow('not a user-migration event');
    expect(() => migrationRequestFor(event('UserMigration_Authentication', { request: {} }))).toThrow('no password');
    expect(() => migrationRequestFor(event('UserMigration_Authentication', { callerContext: { clientId: null } }))).toThrow('no app client');
  });

  it('signs the request so that Gatehouse’s Standard Webhooks verifier accepts it, and only as sent', async () => {
    const { sut, posted } = settings();
    await migrateUser(event('UserMigration_Authentication'), sut, NOW);
    const [request] = posted;
    expect(request!.url).toBe(URL);
    expect(verifyMessage(SECRET, request!.headers, request!.body, Math.floor(NOW / 1000))).toEqual({ ok: true });
    expect(verifyMessage(SECRET, request!.headers, request!.body.replace(PASSWORD, 'Other-Password-1'), Math.floor(NOW / 1000)).ok).toBe(false);
    expect(verifyMessage(`whsec_${Buffer.alloc(32, 8).toString('base64')}`, request!.headers, request!.body, Math.floor(NOW / 1000)).ok).toBe(false);
  });

  it('a sign-in: answers Gatehouse’s attributes, CONFIRMED with the password just proven, the message suppressed', async () => {
    const { sut } = settings();
    const result = await migrateUser(event('UserMigration_Authentication'), sut, NOW);
    expect(result.response).toEqual({ userAttributes: ATTRIBUTES, finalUserStatus: 'CONFIRMED', messageAction: 'SUPPRESS' });
  });

  it('a reset: answers the attributes with the message suppressed and no final status (Cognito sends the reset code)', async () => {
    const { sut } = settings();
    const result = await migrateUser(event('UserMigration_ForgotPassword'), sut, NOW);
    expect(result.response).toEqual({ userAttributes: ATTRIBUTES, messageAction: 'SUPPRESS' });
  });

  it.each([
    ['a refusal', { status: 403, body: JSON.stringify({ code: 'user_migration_refused' }) }, 'user not migrated'],
    ['a bad signature', { status: 401, body: '{}' }, 'user not migrated'],
    ['an answer without attributes', { status: 200, body: JSON.stringify({}) }, 'no attributes'],
    ['attributes that are not strings', { status: 200, body: JSON.stringify({ userAttributes: { email: 1 } }) }, 'malformed attributes'],
    ['an unreachable Gatehouse', new Error('ECONNREFUSED'), 'could not be asked'],
  ])('fails closed on %s: it throws, so Cognito refuses the sign-in, and never logs the password', async (_case, answer, message) => {
    const { sut, logged } = settings(answer);
    const input = event('UserMigration_Authentication');
    await expect(migrateUser(input, sut, NOW)).rejects.toThrow(message);
    expect(input.response).toEqual({});
    expect(logged.join('\n')).not.toContain(PASSWORD);
  });
});
