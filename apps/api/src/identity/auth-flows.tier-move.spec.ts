/**
 * Lazy password migration at sign-in while a tenant moves between tiers —
 * the decisions the end-to-end suite (test/e2e/tier-move.test.ts) cannot
 * force on the emulator: a TOTP user (whose secret cannot be exported), a
 * target that refuses the password, a source answer that does not prove the
 * password. Identity provider, mirror and move identities are small fakes.
 */
import { describe, expect, it } from 'vitest';
import type { MovingWith } from '../auth/issuer-registry.js';
import { tenantSnapshot } from '../auth/testing/tenant-snapshot.fixture.js';
import type { SynchronousHooks } from '../events/hooks/synchronous-hooks.service.js';
import type { RateLimits } from '../rate-limits/rate-limits.service.js';
import type { MoveIdentities } from '../tenants/tier-move/move-identities.js';
import type { MirroredUser, UserMirror } from '../tenants/user-mirror.js';
import { AuthFlowsService } from './auth-flows.service.js';
import type { SignInSteps } from './challenges/sign-in-steps.js';
import type { AuthOutcome, ClientRef, IdentityProvider } from './identity-provider.js';
import { IdentityError, invalidCredentials } from './identity.errors.js';
import type { TenantIdentity, TenantIdentityResolver } from './tenant-identity.js';

const PASSWORD = 'Sturdy-Password-2026';
const policy = { minimumLength: 8, requireLowercase: true, requireUppercase: true, requireNumbers: true, requireSymbols: false, temporaryPasswordValidityDays: 7 };
const tokens = (client: string): AuthOutcome => ({
  kind: 'tokens',
  tokens: { accessToken: `access-${client}`, idToken: 'id', refreshToken: `refresh-${client}`, expiresIn: 3600, tokenType: 'Bearer' },
});

function side(name: string, tenant: TenantIdentity['tenant']): TenantIdentity {
  const pool = { userPoolId: `pool-${name}`, region: 'eu-west-1' };
  return {
    tenant,
    pool,
    client: { ...pool, clientId: `gatehouse-${name}` },
    publicClient: { ...pool, clientId: `public-${name}` },
    issuer: `https://issuer.test/${name}`,
    passwordPolicy: policy,
    selfSignUp: true,
  };
}

function setup(options: { direction: 'target' | 'source'; migrated: boolean; mfaEnrolled?: boolean }) {
  const movingWith: MovingWith = {
    tier: 'other',
    model: 'silo',
    region: 'eu-west-1',
    userPoolId: 'pool-other',
    issuer: 'https://issuer.test/other',
    clientId: 'public-other',
    gatehouseClientId: 'gatehouse-other',
    direction: options.direction,
  };
  const tenant = tenantSnapshot({ id: 'tenant-1', slug: 'acme', movingWith });
  const current = side('current', tenant);
  const other = { ...side('other', tenant), direction: options.direction };
  const [target, source] = options.direction === 'target' ? [other, current] : [current, other];
  const user: MirroredUser = {
    id: 'user-1',
    tenantId: 'tenant-1',
    email: 'ann@acme.test',
    username: 'opaque-ann',
    issuer: current.issuer,
    sub: 'sub-ann',
    status: 'active',
    role: 'member',
    emailVerified: true,
    mfaEnrolled: options.mfaEnrolled ?? false,
    hookClaims: null,
  };
  const calls: string[] = [];
  const answers = new Map<string, () => AuthOutcome>([
    [source.client.clientId, () => tokens('source')],
    [target.client.clientId, () => tokens('target')],
  ]);
  let refusePassword = false;
  const identity = {
    async signInWithPassword(client: ClientRef, username: string, password: string) {
      calls.push(`signIn ${client.clientId} ${username}`);
      if (password !== PASSWORD) throw invalidCredentials();
      return answers.get(client.clientId)!();
    },
    async setPassword(pool: { userPoolId: string }, username: string, _password: string, permanent: boolean) {
      calls.push(`setPassword ${pool.userPoolId} ${username} ${permanent}`);
      if (refusePassword) throw new IdentityError(400, 'password_rejected', 'too weak');
    },
    async revokeRefreshToken(client: ClientRef, refreshToken: string) {
      calls.push(`revoke ${client.clientId} ${refreshToken}`);
    },
  };
  const migrated: { userId: string; hadTotp: boolean }[] = [];
  const moveIdentities = {
    async find() {
      return { issuer: 'x', username: user.username, sub: 'sub-other', passwordMigrated: options.migrated };
    },
    async markPasswordMigrated(_tenantId: string, userId: string, hadTotp: boolean) {
      migrated.push({ userId, hadTotp });
    },
  };
  const resolver = { forPublicRequest: () => current, forMovingSide: () => other } as unknown as TenantIdentityResolver;
  // Events and audit entries are the mirror's business, not what these specs prove.
  const mirror = { findByEmail: async () => user, recordAuthEvent: async () => true } as unknown as UserMirror;
  const limits = { assertSignInAllowed: async () => undefined, recordSignInFailure: async () => undefined, resetSignInFailures: async () => undefined } as unknown as RateLimits;
  const settled: { clientId: string; mfaRequired: boolean; outcome: AuthOutcome }[] = [];
  const steps = {
    async settle(party: { client: ClientRef; mfaRequired: boolean }, outcome: AuthOutcome) {
      settled.push({ clientId: party.client.clientId, mfaRequired: party.mfaRequired, outcome });
      return { status: 'signed_in' };
    },
  } as unknown as SignInSteps;
  const sut = new AuthFlowsService(
    identity as unknown as IdentityProvider,
    resolver,
    mirror,
    {} as never,
    {} as never,
    limits,
    steps,
    { preAuthentication: async () => ({ allowed: true }) } as unknown as SynchronousHooks,
    moveIdentities as unknown as MoveIdentities,
  );
  const signIn = (password = PASSWORD) =>
    sut.signIn({ route: { hostname: 'api.test', tenantHeader: undefined }, clientAddress: '192.0.2.1' }, { email: 'ann@acme.test', password });
  return {
    sut,
    signIn,
    calls,
    migrated,
    settled,
    answers,
    target,
    source,
    refuse: () => {
      refusePassword = true;
    },
  };
}

describe(`${AuthFlowsService.name} during a tier move`, () => {
  it('checks the password at the source, sets it on the target and completes there, in one round', async () => {
    const { signIn, calls, migrated, settled } = setup({ direction: 'target', migrated: false });
    await signIn();
    expect(calls).toEqual([
      'signIn gatehouse-current opaque-ann',
      'setPassword pool-other opaque-ann true',
      'revoke gatehouse-current refresh-source',
      'signIn gatehouse-other opaque-ann',
    ]);
    expect(migrated).toEqual([{ userId: 'user-1', hadTotp: false }]);
    expect(settled).toEqual([{ clientId: 'gatehouse-other', mfaRequired: false, outcome: tokens('target') }]);
  });

  it('after cut-over the source is the other side: same migration, completed on the current (target) side', async () => {
    const { signIn, calls, settled } = setup({ direction: 'source', migrated: false });
    await signIn();
    expect(calls[0]).toBe('signIn gatehouse-other opaque-ann');
    expect(calls[1]).toBe('setPassword pool-current opaque-ann true');
    expect(settled[0]!.clientId).toBe('gatehouse-current');
  });

  it('signs a user whose password already moved in at the target only', async () => {
    const { signIn, calls, migrated } = setup({ direction: 'target', migrated: true });
    await signIn();
    expect(calls).toEqual(['signIn gatehouse-other opaque-ann']);
    expect(migrated).toEqual([]);
  });

  it('never sets a password the source refused', async () => {
    const { signIn, calls, migrated } = setup({ direction: 'target', migrated: false });
    await expect(signIn('Wrong-Password-2026')).rejects.toMatchObject({ code: 'invalid_credentials' });
    expect(calls).toEqual(['signIn gatehouse-current opaque-ann']);
    expect(migrated).toEqual([]);
  });

  it('a TOTP user (the source asks for the code): the password moves, TOTP is enrolled again on the target before any tokens leave', async () => {
    const { signIn, migrated, settled, answers, source } = setup({ direction: 'target', migrated: false });
    answers.set(source.client.clientId, () => ({ kind: 'challenge', challenge: 'SOFTWARE_TOKEN_MFA', session: 'cognito-session' }));
    await signIn();
    expect(migrated).toEqual([{ userId: 'user-1', hadTotp: true }]);
    expect(settled).toEqual([{ clientId: 'gatehouse-other', mfaRequired: true, outcome: tokens('target') }]);
  });

  it('a source answer that does not prove the password (new password required) is finished at the source, nothing moves', async () => {
    const { signIn, calls, migrated, settled, answers, source } = setup({ direction: 'target', migrated: false });
    const challenge: AuthOutcome = { kind: 'challenge', challenge: 'NEW_PASSWORD_REQUIRED', session: 'cognito-session' };
    answers.set(source.client.clientId, () => challenge);
    await signIn();
    expect(calls).toEqual(['signIn gatehouse-current opaque-ann']);
    expect(migrated).toEqual([]);
    expect(settled).toEqual([{ clientId: 'gatehouse-current', mfaRequired: false, outcome: challenge }]);
  });

  it('a target that refuses the password (stricter policy) leaves the user on the source, signed in', async () => {
    const { signIn, migrated, settled, refuse } = setup({ direction: 'target', migrated: false });
    refuse();
    await signIn();
    expect(migrated).toEqual([]);
    expect(settled).toEqual([{ clientId: 'gatehouse-current', mfaRequired: false, outcome: tokens('source') }]);
  });
});
