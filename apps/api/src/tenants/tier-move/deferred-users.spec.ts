/**
 * Binding an account the user-migration trigger had Cognito create: every
 * check that keeps it inside its own tenant and user (fakes for the database
 * and Cognito; the e2e suite binds a real one on the emulator).
 */
import { describe, expect, it } from 'vitest';
import type { AppConfig } from '../../config/config.schema.js';
import type { PrivilegedPrismaService } from '../../database/privileged-database.module.js';
import type { IdentityProvider, IdentityUser } from '../../identity/identity-provider.js';
import { DeferredUsers } from './deferred-users.js';
import type { BindOutcome, MoveIdentities } from './move-identities.js';
import { type MoveSide, initialMoveState } from './tier-move-state.js';

const TARGET_ISSUER = 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_target';

function setup(options: { tenantStatus?: string; cancelled?: boolean; record?: Partial<IdentityUser>; userStatus?: string } = {}) {
  const source: MoveSide = { tier: 'basic', model: 'pool', region: 'eu-west-1', userPoolId: 'eu-west-1_source', issuer: 'https://x/source', clientId: null, gatehouseClientId: null };
  const target: MoveSide = { tier: 'standard', model: 'bridge', region: 'eu-west-1', userPoolId: 'eu-west-1_target', issuer: TARGET_ISSUER, clientId: 'acme-public', gatehouseClientId: 'acme-gatehouse' };
  const state = { ...initialMoveState({ tier: 'standard', unmigratedUsers: 'reset_password', acceptMfaReenrolment: false }, source, target, new Date()), cancelled: options.cancelled ?? false };
  const privileged = {
    client: {
      tenant: { findUnique: async () => ({ status: options.tenantStatus ?? 'active', tierMove: state }) },
      user: { findUnique: async () => ({ status: options.userStatus ?? 'active', mfaEnrolled: false, username: 'gh1-ann' }) },
    },
  } as unknown as PrivilegedPrismaService;
  const record: IdentityUser = {
    username: 'gh1-ann',
    sub: 'sub-new',
    email: 'ann@acme.test',
    emailVerified: true,
    enabled: true,
    status: 'CONFIRMED',
    attributes: { 'custom:tenantId': 'tenant-acme' },
    ...options.record,
  };
  const added: string[] = [];
  const identity = {
    getUser: async (pool: { userPoolId: string }) => (pool.userPoolId === 'eu-west-1_target' ? record : undefined),
    listUserGroups: async () => ['member'],
    addUserToGroup: async (pool: { userPoolId: string }, username: string, group: string) => void added.push(`${pool.userPoolId} ${username} ${group}`),
  } as unknown as IdentityProvider;
  const bound: { tenantId: string; userId: string; sub: string; outcome: BindOutcome }[] = [];
  const moves = {
    findDeferred: async (issuer: string, username: string) =>
      issuer === TARGET_ISSUER && username === 'gh1-ann' ? { tenantId: 'tenant-acme', userId: 'user-ann', passwordMigrated: true } : undefined,
    bind: async (tenantId: string, userId: string, sub: string, outcome: BindOutcome) => (bound.push({ tenantId, userId, sub, outcome }), true),
  } as unknown as MoveIdentities;
  const config = { sharedPools: new Map() } as unknown as AppConfig;
  return { sut: new DeferredUsers(config, privileged, identity, moves), added, bound };
}

describe(`${DeferredUsers.name}.bindCreatedByCognito`, () => {
  it('binds the deferred user’s account reached through its tenant’s target client: groups from the source, then the identity', async () => {
    const { sut, added, bound } = setup();
    await expect(sut.bindCreatedByCognito(TARGET_ISSUER, 'acme-public', 'gh1-ann', 'sub-new')).resolves.toEqual({ tenantId: 'tenant-acme', userId: 'user-ann' });
    expect(added).toEqual(['eu-west-1_target gh1-ann member']);
    expect(bound).toEqual([{ tenantId: 'tenant-acme', userId: 'user-ann', sub: 'sub-new', outcome: { passwordMigrated: true, hadTotp: false } }]);
  });

  it.each([
    ['another issuer', { issuer: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_other' }],
    ['a username that is no deferred user', { username: 'gh1-bob' }],
    ['another tenant’s client in the same pool', { clientId: 'other-tenant-public' }],
    ['no client at all', { clientId: null }],
    ['a token subject that is not Cognito’s record of the account', { sub: 'sub-forged' }],
  ])('binds nothing for %s', async (_case, change: { issuer?: string; username?: string; clientId?: string | null; sub?: string }) => {
    const { sut, bound } = setup();
    const result = await sut.bindCreatedByCognito(change.issuer ?? TARGET_ISSUER, change.clientId === undefined ? 'acme-public' : change.clientId, change.username ?? 'gh1-ann', change.sub ?? 'sub-new');
    expect(result).toBeUndefined();
    expect(bound).toEqual([]);
  });

  it.each([
    ['an account whose immutable tenant attribute names another tenant', { record: { attributes: { 'custom:tenantId': 'tenant-other' } } }],
    ['a disabled account', { record: { enabled: false } }],
    ['a user Gatehouse disabled', { userStatus: 'disabled' }],
    ['a suspended tenant', { tenantStatus: 'suspended' }],
    ['a cancelled move', { cancelled: true }],
  ])('binds nothing for %s', async (_case, options) => {
    const { sut, bound } = setup(options);
    await expect(sut.bindCreatedByCognito(TARGET_ISSUER, 'acme-public', 'gh1-ann', 'sub-new')).resolves.toBeUndefined();
    expect(bound).toEqual([]);
  });
});
