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
import type { DeferredUsers, MovePools } from '../tenants/tier-move/deferred-users.js';
import type { BindOutcome, MoveIdentities } from '../tenants/tier-move/move-identities.js';
import { type TargetUserFacts, createTargetUser } from '../tenants/tier-move/target-user.js';
import type { MirroredUser, UserMirror } from '../tenants/user-mirror.js';
import { AuthFlowsService } from './auth-flows.service.js';
import type { SignInSteps } from './challenges/sign-in-steps.js';
import type { AuthOutcome, ClientRef, CreateUserInput, IdentityProvider, IdentityUser } from './identity-provider.js';
import { IdentityError, invalidCredentials } from './identity.errors.js';
import { PasswordMigration } from './password-migration.js';
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

interface SetupOptions {
  direction: 'target' | 'source';
  migrated: boolean;
  mfaEnrolled?: boolean;
  /** The user has no target account yet (copy_users deferred it). */
  deferred?: boolean;
  /** The target already has the user's account (made by the user-migration trigger, or by an attempt that stopped half-way). */
  targetAccount?: boolean;
}

function setup(options: SetupOptions) {
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
  const sourceRecord: IdentityUser = {
    username: 'opaque-ann',
    sub: 'sub-ann',
    email: 'ann@acme.test',
    emailVerified: true,
    enabled: true,
    status: 'CONFIRMED',
    attributes: { sub: 'sub-ann', email: 'ann@acme.test', email_verified: 'true', given_name: 'Ann', 'custom:tenantId': 'tenant-1', 'custom:tenantTier': 'current-tier' },
  };
  let targetRecord: IdentityUser | undefined = options.targetAccount ? { ...sourceRecord, sub: 'sub-target', status: 'CONFIRMED' } : undefined;
  const identity = {
    async getUser(pool: { userPoolId: string }, username: string) {
      calls.push(`getUser ${pool.userPoolId} ${username}`);
      return pool.userPoolId === source.pool.userPoolId ? sourceRecord : targetRecord;
    },
    async createUser(pool: { userPoolId: string }, input: CreateUserInput) {
      calls.push(`createUser ${pool.userPoolId} ${input.username} invite=${input.invite} ${JSON.stringify({ email: input.email, ...input.attributes })}`);
      targetRecord = { ...sourceRecord, sub: 'sub-target', status: 'FORCE_CHANGE_PASSWORD' };
      return targetRecord;
    },
    async listUserGroups(pool: { userPoolId: string }) {
      return pool.userPoolId === source.pool.userPoolId ? ['member', 'some-other-group'] : [];
    },
    async addUserToGroup(pool: { userPoolId: string }, username: string, group: string) {
      calls.push(`addUserToGroup ${pool.userPoolId} ${username} ${group}`);
    },
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
  const bound: { userId: string; sub: string; outcome: BindOutcome }[] = [];
  const moveIdentities = {
    async find() {
      const deferred = options.deferred ?? false;
      return { issuer: 'x', username: user.username, sub: deferred ? 'deferred:user-1' : 'sub-other', passwordMigrated: options.migrated, deferred };
    },
    async markPasswordMigrated(_tenantId: string, userId: string, hadTotp: boolean) {
      migrated.push({ userId, hadTotp });
    },
    async bind(_tenantId: string, userId: string, sub: string, outcome: BindOutcome) {
      bound.push({ userId, sub, outcome });
      return true;
    },
  };
  const boundByCognito: string[] = [];
  // The real shared creation code (target-user.ts) against the fake provider; binding a Cognito-made account is recorded only.
  const deferredUsers = {
    createOnTarget: (pools: MovePools, original: IdentityUser, facts: TargetUserFacts) =>
      createTargetUser(identity as unknown as IdentityProvider, pools, original, { ...facts, invite: false }),
    async bindCreatedByCognito(issuer: string, clientId: string, username: string, sub: string) {
      boundByCognito.push(`${issuer} ${clientId} ${username} ${sub}`);
      return { tenantId: 'tenant-1', userId: 'user-1' };
    },
  } as unknown as DeferredUsers;
  const resolver = { forPublicRequest: () => current, forMovingSide: () => other } as unknown as TenantIdentityResolver;
  const migration = new PasswordMigration(identity as unknown as IdentityProvider, resolver, moveIdentities as unknown as MoveIdentities, deferredUsers);
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
    migration,
    deferredUsers,
  );
  const signIn = (password = PASSWORD) =>
    sut.signIn({ route: { hostname: 'api.test', tenantHeader: undefined }, clientAddress: '192.0.2.1' }, { email: 'ann@acme.test', password });
  return {
    sut,
    signIn,
    calls,
    migrated,
    bound,
    boundByCognito,
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

  describe('a deferred user (no target account yet: its password was not known when users were copied)', () => {
    it('proves the password at the source, makes the target account from the source record, sets the password, binds it, completes at the target', async () => {
      const { signIn, calls, bound, migrated, settled } = setup({ direction: 'target', migrated: false, deferred: true });
      await signIn();
      expect(calls).toEqual([
        'signIn gatehouse-current opaque-ann',
        'getUser pool-current opaque-ann',
        'getUser pool-other opaque-ann',
        `createUser pool-other opaque-ann invite=false ${JSON.stringify({ email: 'ann@acme.test', 'custom:tenantId': 'tenant-1', 'custom:tenantTier': 'other', given_name: 'Ann', email_verified: 'true' })}`,
        'addUserToGroup pool-other opaque-ann member',
        'setPassword pool-other opaque-ann true',
        'revoke gatehouse-current refresh-source',
        'signIn gatehouse-other opaque-ann',
      ]);
      expect(bound).toEqual([{ userId: 'user-1', sub: 'sub-target', outcome: { passwordMigrated: true, hadTotp: false } }]);
      // The bind records the migration itself (one transaction).
      expect(migrated).toEqual([]);
      expect(settled).toEqual([{ clientId: 'gatehouse-other', mfaRequired: false, outcome: tokens('target') }]);
    });

    it('after cut-over: the account goes to the current (target) side, with the tier the tenant has now', async () => {
      const { signIn, calls, settled } = setup({ direction: 'source', migrated: false, deferred: true });
      await signIn();
      expect(calls[0]).toBe('signIn gatehouse-other opaque-ann');
      expect(calls.find((call) => call.startsWith('createUser'))).toContain('createUser pool-current opaque-ann invite=false');
      expect(calls.find((call) => call.startsWith('createUser'))).toContain('"custom:tenantTier":"basic"');
      expect(settled[0]!.clientId).toBe('gatehouse-current');
    });

    it('an account left by an attempt that stopped half-way is kept: only the password is set, then it is bound', async () => {
      const { signIn, calls, bound } = setup({ direction: 'target', migrated: false, deferred: true, targetAccount: true });
      await signIn();
      expect(calls.some((call) => call.startsWith('createUser'))).toBe(false);
      expect(calls).toContain('setPassword pool-other opaque-ann true');
      expect(bound).toEqual([{ userId: 'user-1', sub: 'sub-target', outcome: { passwordMigrated: true, hadTotp: false } }]);
    });

    it('a password the user-migration trigger moved: signs in at the target only and binds the account Cognito made', async () => {
      const { signIn, calls, boundByCognito, settled } = setup({ direction: 'source', migrated: true, deferred: true, targetAccount: true });
      await signIn();
      expect(calls).toEqual(['getUser pool-current opaque-ann', 'signIn gatehouse-current opaque-ann']);
      expect(boundByCognito).toEqual(['https://issuer.test/current gatehouse-current opaque-ann sub-target']);
      expect(settled[0]!.clientId).toBe('gatehouse-current');
    });

    it('a trigger that answered but whose account Cognito never made: the source proves the password as usual', async () => {
      const { signIn, calls, bound } = setup({ direction: 'source', migrated: true, deferred: true });
      await signIn();
      expect(calls[0]).toBe('getUser pool-current opaque-ann');
      expect(calls[1]).toBe('signIn gatehouse-other opaque-ann');
      expect(calls.some((call) => call.startsWith('createUser pool-current'))).toBe(true);
      expect(bound).toHaveLength(1);
    });

    it('never makes an account for a password the source refused', async () => {
      const { signIn, calls, bound } = setup({ direction: 'target', migrated: false, deferred: true });
      await expect(signIn('Wrong-Password-2026')).rejects.toMatchObject({ code: 'invalid_credentials' });
      expect(calls).toEqual(['signIn gatehouse-current opaque-ann']);
      expect(bound).toEqual([]);
    });

    it('a target that refuses the password leaves the user signed in at the source, unbound', async () => {
      const { signIn, bound, settled, refuse } = setup({ direction: 'target', migrated: false, deferred: true });
      refuse();
      await signIn();
      expect(bound).toEqual([]);
      expect(settled).toEqual([{ clientId: 'gatehouse-current', mfaRequired: false, outcome: tokens('source') }]);
    });

    it('a TOTP user: the account and password move, and TOTP is enrolled again on the target before any tokens leave', async () => {
      const { signIn, bound, settled, answers, source } = setup({ direction: 'target', migrated: false, deferred: true });
      answers.set(source.client.clientId, () => ({ kind: 'challenge', challenge: 'SOFTWARE_TOKEN_MFA', session: 'cognito-session' }));
      await signIn();
      expect(bound).toEqual([{ userId: 'user-1', sub: 'sub-target', outcome: { passwordMigrated: true, hadTotp: true } }]);
      expect(settled).toEqual([{ clientId: 'gatehouse-other', mfaRequired: true, outcome: tokens('target') }]);
    });
  });
});
