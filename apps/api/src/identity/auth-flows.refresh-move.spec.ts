/**
 * Refresh during a tier move: after cut-over a source refresh token moves its
 * holder to the target (the token exchange; README "Trust during a move") —
 * the decisions the emulator cannot show, since it has no custom auth flow.
 * Identity provider, verifier, principal resolver, mirror and move identities
 * are small fakes; the exact Cognito requests are cognito-identity-provider.spec.ts's.
 */
import { describe, expect, it } from 'vitest';
import type { MovingWith } from '../auth/issuer-registry.js';
import type { Principal, PrincipalResolver } from '../auth/principal-resolver.js';
import { tenantSnapshot } from '../auth/testing/tenant-snapshot.fixture.js';
import { ForbiddenError, UnauthenticatedError } from '../auth/auth.errors.js';
import type { TokenVerifier } from '../auth/token-verifier.js';
import type { MoveIdentities } from '../tenants/tier-move/move-identities.js';
import type { MirroredUser, UserMirror } from '../tenants/user-mirror.js';
import { AuthFlowsService } from './auth-flows.service.js';
import type { ClientRef, IdentityProvider, TokenSet } from './identity-provider.js';
import { IdentityError, invalidRefreshToken } from './identity.errors.js';
import type { TenantIdentity, TenantIdentityResolver } from './tenant-identity.js';

const policy = { minimumLength: 8, requireLowercase: true, requireUppercase: true, requireNumbers: true, requireSymbols: false, temporaryPasswordValidityDays: 7 };
const tokenSet = (name: string, refreshToken?: string): TokenSet => ({
  accessToken: `access-${name}`,
  idToken: `id-${name}`,
  ...(refreshToken ? { refreshToken } : {}),
  expiresIn: 3600,
  tokenType: 'Bearer',
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

type Owner = 'ann' | 'disabled' | 'stranger' | 'bob';

/**
 * The tenant is named by the request; `current` is the side it is served from (the target after cut-over).
 * Refresh tokens name their side and owner: `<side>:<owner>`.
 */
function setup(options: { direction: 'source' | 'target'; copied?: boolean; exchange?: 'tokens' | 'cannot' | 'refused' | 'someone-else' }) {
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
  const copied = options.copied ?? true;
  const ann: MirroredUser = {
    id: 'user-ann',
    tenantId: 'tenant-1',
    email: 'ann@acme.test',
    username: 'opaque-ann',
    // After cut-over the users row holds the target identity of a copied user; the source's otherwise.
    issuer: options.direction === 'source' && copied ? current.issuer : other.issuer,
    sub: 'sub-ann',
    status: 'active',
    role: 'member',
    emailVerified: true,
    mfaEnrolled: false,
    hookClaims: null,
  };

  const calls: string[] = [];
  const identity = {
    async refresh(client: ClientRef, refreshToken: string) {
      calls.push(`refresh ${client.clientId} ${refreshToken}`);
      const [sideName, owner] = refreshToken.split(':') as [string, Owner];
      if (`gatehouse-${sideName}` !== client.clientId) throw invalidRefreshToken();
      return tokenSet(`${sideName}-${owner}`);
    },
    async exchangeForTokens(client: ClientRef, username: string) {
      calls.push(`exchange ${client.clientId} ${username}`);
      switch (options.exchange ?? 'tokens') {
        case 'cannot':
          return undefined;
        case 'refused':
          throw new IdentityError(400, 'invalid_parameter', 'Auth flow not enabled for this client');
        case 'someone-else':
          return tokenSet('current-bob', 'current:bob');
        default:
          return tokenSet('current-ann', 'current:ann');
      }
    },
    async revokeRefreshToken(client: ClientRef, refreshToken: string) {
      calls.push(`revoke ${client.clientId} ${refreshToken}`);
    },
  };
  // The verifier hands the token through; the resolver decides whose it is from its name.
  const verifier = { verify: async (token: string) => ({ token }) } as unknown as TokenVerifier;
  const principals = {
    async resolve(claims: { token: string }): Promise<Principal> {
      const owner = claims.token.split('-').at(-1) as Owner;
      if (owner === 'disabled') throw new ForbiddenError('user_disabled', 'This user is disabled.');
      if (owner === 'stranger') throw new UnauthenticatedError('invalid_token', 'not this tenant');
      return { kind: 'tenant', context: { tenantId: 'tenant-1', userId: `user-${owner}` }, mfaEnrollmentPending: false } as unknown as Principal;
    },
  } as unknown as PrincipalResolver;
  const mirror = { findById: async (_tenantId: string, userId: string) => (userId === ann.id ? ann : null) } as unknown as UserMirror;
  const audited: string[] = [];
  const moveIdentities = {
    async recordRefreshMoved(tenantId: string, userId: string) {
      audited.push(`${tenantId} ${userId}`);
    },
  } as unknown as MoveIdentities;
  const resolver = { forPublicRequest: () => current, forMovingSide: () => other } as unknown as TenantIdentityResolver;
  const sut = new AuthFlowsService(
    identity as unknown as IdentityProvider,
    resolver,
    mirror,
    verifier,
    principals,
    {} as never,
    {} as never,
    {} as never,
    moveIdentities,
    {} as never,
    {} as never,
  );
  const refresh = (refreshToken: string) =>
    sut.refresh({ route: { hostname: 'api.test', tenantHeader: undefined }, clientAddress: '192.0.2.1' }, { tenant: 'acme', refreshToken });
  return { refresh, calls, audited };
}

describe(`${AuthFlowsService.name} refresh during a tier move`, () => {
  it('after cut-over: refreshes a source token at the source, exchanges it for target tokens, revokes the source token and audits', async () => {
    const { refresh, calls, audited } = setup({ direction: 'source' });
    await expect(refresh('other:ann')).resolves.toEqual(tokenSet('current-ann', 'current:ann'));
    expect(calls).toEqual([
      'refresh gatehouse-current other:ann',
      'refresh gatehouse-other other:ann',
      'exchange gatehouse-current opaque-ann',
      'revoke gatehouse-other other:ann',
    ]);
    expect(audited).toEqual(['tenant-1 user-ann']);
  });

  it('after cut-over: a target token refreshes at the target as always, nothing is exchanged', async () => {
    const { refresh, calls, audited } = setup({ direction: 'source' });
    await expect(refresh('current:ann')).resolves.toEqual(tokenSet('current-ann'));
    expect(calls).toEqual(['refresh gatehouse-current current:ann']);
    expect(audited).toEqual([]);
  });

  it('before cut-over nothing changes: a token of either side refreshes where it was issued', async () => {
    const { refresh, calls, audited } = setup({ direction: 'target' });
    await expect(refresh('other:ann')).resolves.toEqual(tokenSet('other-ann'));
    await expect(refresh('current:ann')).resolves.toEqual(tokenSet('current-ann'));
    expect(calls.filter((call) => !call.startsWith('refresh'))).toEqual([]);
    expect(audited).toEqual([]);
  });

  it('a user with no target user yet (not copied) stays at the source', async () => {
    const { refresh, calls, audited } = setup({ direction: 'source', copied: false });
    await expect(refresh('other:ann')).resolves.toEqual(tokenSet('other-ann'));
    expect(calls.some((call) => call.startsWith('exchange') || call.startsWith('revoke'))).toBe(false);
    expect(audited).toEqual([]);
  });

  it('a provider that cannot exchange (the emulator, a region without the triggers) leaves the user at the source, token kept', async () => {
    const { refresh, calls, audited } = setup({ direction: 'source', exchange: 'cannot' });
    await expect(refresh('other:ann')).resolves.toEqual(tokenSet('other-ann'));
    expect(calls.at(-1)).toBe('exchange gatehouse-current opaque-ann');
    expect(calls.some((call) => call.startsWith('revoke'))).toBe(false);
    expect(audited).toEqual([]);
  });

  it('a target that refuses the exchange is no error for the caller: the source tokens come back', async () => {
    const { refresh, calls } = setup({ direction: 'source', exchange: 'refused' });
    await expect(refresh('other:ann')).resolves.toEqual(tokenSet('other-ann'));
    expect(calls.some((call) => call.startsWith('revoke'))).toBe(false);
  });

  it('target tokens that are not this user’s are thrown away (revoked at the target) and the source session is kept', async () => {
    const { refresh, calls, audited } = setup({ direction: 'source', exchange: 'someone-else' });
    await expect(refresh('other:ann')).resolves.toEqual(tokenSet('other-ann'));
    expect(calls.filter((call) => call.startsWith('revoke'))).toEqual(['revoke gatehouse-current current:bob']);
    expect(audited).toEqual([]);
  });

  it('a disabled user is refused as in every flow: 403, the source token revoked where it was issued, nothing exchanged', async () => {
    const { refresh, calls } = setup({ direction: 'source' });
    await expect(refresh('other:disabled')).rejects.toMatchObject({ status: 403, code: 'user_disabled' });
    expect(calls.filter((call) => !call.startsWith('refresh'))).toEqual(['revoke gatehouse-other other:disabled']);
  });

  it('another tenant’s source token is 401 invalid_refresh_token: nothing exchanged, nothing revoked', async () => {
    const { refresh, calls } = setup({ direction: 'source' });
    await expect(refresh('other:stranger')).rejects.toMatchObject({ status: 401, code: 'invalid_refresh_token' });
    expect(calls.filter((call) => !call.startsWith('refresh'))).toEqual([]);
  });
});
