/**
 * The order of a sign-up's steps and what is cleaned up when one fails —
 * paths the emulator cannot be made to take on demand (a Cognito that fails
 * after creating the user, a clean-up that fails, a claim left by a dead
 * process). The identity provider and the user mirror are small in-memory
 * fakes; the e2e suite (test/e2e/sign-up-policy.test.ts) runs the real thing.
 */
import { deriveSignInUsername } from '@gatehouse/tiers';
import { describe, expect, it } from 'vitest';
import type { TenantSnapshot } from '../auth/issuer-registry.js';
import { tenantSnapshot } from '../auth/testing/tenant-snapshot.fixture.js';
import type { SignUpDecision, SynchronousHooks } from '../events/hooks/synchronous-hooks.service.js';
import type { RateLimits } from '../rate-limits/rate-limits.service.js';
import type { MirroredUser, UserMirror } from '../tenants/user-mirror.js';
import { AuthFlowsService } from './auth-flows.service.js';
import type { IdentityProvider } from './identity-provider.js';
import { IdentityError, invalidCredentials, userNotConfirmed } from './identity.errors.js';
import type { TenantIdentity, TenantIdentityResolver } from './tenant-identity.js';

const PASSWORD = 'Sturdy-Password-2026';
const pool = { userPoolId: 'us-east-1_pool', region: 'us-east-1' };

class FakeMirror {
  readonly rows: (MirroredUser & { createdAt: Date })[] = [];
  failRelease = false;

  async findByEmail(tenantId: string, email: string) {
    return this.rows.find((row) => row.tenantId === tenantId && row.email === email.toLowerCase()) ?? null;
  }
  async claimSignUp(input: { tenantId: string; email: string; username: string; issuer: string; role: MirroredUser['role'] }) {
    if (await this.findByEmail(input.tenantId, input.email)) return null;
    const row = { ...input, id: `user-${this.rows.length + 1}`, sub: null, status: 'pending' as const, emailVerified: false, mfaEnrolled: false, hookClaims: {}, createdAt: new Date() };
    this.rows.push(row);
    return row;
  }
  async completeSignUp(tenantId: string, userId: string, sub: string) {
    const row = this.rows.find((candidate) => candidate.id === userId && candidate.tenantId === tenantId);
    if (row) Object.assign(row, { sub });
  }
  async findAbandonedClaim(tenantId: string, email: string, olderThan: Date) {
    const row = await this.findByEmail(tenantId, email);
    return row && row.sub === null && row.status === 'pending' && row.createdAt < olderThan ? row : null;
  }
  readonly events: { type: string; data: Record<string, unknown> }[] = [];
  async recordAuthEvent(event: { type: string; data: Record<string, unknown> }) {
    this.events.push(event);
    return true;
  }
  async releaseClaim(_tenantId: string, userId: string) {
    if (this.failRelease) throw new Error('database down');
    const index = this.rows.findIndex((row) => row.id === userId && row.sub === null);
    if (index >= 0) this.rows.splice(index, 1);
    return index >= 0;
  }
}

class FakeIdentity {
  readonly users = new Set<string>();
  readonly calls: string[] = [];
  failAddToGroup = false;
  failDelete = false;
  signInAnswer: () => never = () => {
    throw userNotConfirmed();
  };

  async signUp(_client: unknown, input: { username: string }) {
    this.calls.push(`signUp ${input.username}`);
    this.users.add(input.username);
    return { sub: `sub-of-${input.username}`, confirmed: false };
  }
  async addUserToGroup(_pool: unknown, username: string, group: string) {
    this.calls.push(`addUserToGroup ${username} ${group}`);
    if (this.failAddToGroup) throw new IdentityError(503, 'identity_provider_unavailable', 'down');
  }
  async deleteUser(_pool: unknown, username: string) {
    this.calls.push(`deleteUser ${username}`);
    if (this.failDelete) throw new IdentityError(503, 'identity_provider_unavailable', 'down');
    this.users.delete(username);
  }
  async resendConfirmationCode(_client: unknown, username: string) {
    this.calls.push(`resendConfirmationCode ${username}`);
    return {};
  }
  async signInWithPassword() {
    return this.signInAnswer();
  }
}

function setup(snapshot: Partial<TenantSnapshot> = {}) {
  const tenant = tenantSnapshot({ id: 'tenant-1', slug: 'acme', signUpPolicy: 'open', ...snapshot });
  const target: TenantIdentity = {
    tenant,
    pool,
    client: { ...pool, clientId: 'client-1' },
    publicClient: { ...pool, clientId: 'public-client-1' },
    selfSignUp: true,
    issuer: 'https://issuer.test/pool',
    passwordPolicy: { minimumLength: 8, requireLowercase: true, requireUppercase: true, requireNumbers: true, requireSymbols: false, temporaryPasswordValidityDays: 7 },
  };
  const identity = new FakeIdentity();
  const mirror = new FakeMirror();
  // Sign-in failure counting lives in RateLimits (shared store); these specs are about sign-up, so it allows everything.
  const limits = { assertSignInAllowed: async () => undefined, recordSignInFailure: async () => undefined, resetSignInFailures: async () => undefined } as unknown as RateLimits;
  const resolver = { forPublicRequest: () => target } as unknown as TenantIdentityResolver;
  // The tenant's pre sign-up hook (SynchronousHooks): allows unless a spec says otherwise.
  const hooks = { decision: { allowed: true } as SignUpDecision, preSignUp: async () => hooks.decision };
  const sut = new AuthFlowsService(
    identity as unknown as IdentityProvider,
    resolver,
    mirror as unknown as UserMirror,
    {} as never,
    {} as never,
    limits,
    {} as never,
    hooks as unknown as SynchronousHooks,
    {} as never,
    {} as never,
    {} as never,
  );
  const request = { route: { hostname: 'api.test', tenantHeader: undefined }, clientAddress: '192.0.2.1' };
  return { sut, identity, mirror, request, hooks };
}

describe(`${AuthFlowsService.name} sign-up`, () => {
  it('refuses by policy before touching Postgres or Cognito', async () => {
    const { sut, identity, mirror, request } = setup({ signUpPolicy: 'closed' });
    await expect(sut.signUp(request, { email: 'eve@gmail.com', password: PASSWORD })).rejects.toMatchObject({ status: 403, code: 'sign_up_not_allowed' });
    expect(identity.calls).toEqual([]);
    expect(mirror.rows).toEqual([]);
  });

  it('claims the address first, then creates the Cognito user in the default role and records its sub', async () => {
    const { sut, identity, mirror, request } = setup({ signUpDefaultRole: 'viewer' });
    await sut.signUp(request, { email: 'Bob@Acme.test', password: PASSWORD });
    expect(mirror.rows).toHaveLength(1);
    const [row] = mirror.rows;
    expect(row).toMatchObject({ email: 'bob@acme.test', role: 'viewer', sub: `sub-of-${row!.username}` });
    expect(identity.calls).toEqual([`signUp ${row!.username}`, `addUserToGroup ${row!.username} viewer`]);
  });

  it("refuses with the pre sign-up hook's message before touching Postgres or Cognito", async () => {
    const { sut, identity, mirror, request, hooks } = setup();
    hooks.decision = { allowed: false, message: 'Ask sales for a seat.' };
    await expect(sut.signUp(request, { email: 'bob@acme.test', password: PASSWORD })).rejects.toMatchObject({
      status: 403,
      code: 'sign_up_denied',
      detail: 'Ask sales for a seat.',
    });
    expect(identity.calls).toEqual([]);
    expect(mirror.rows).toEqual([]);
  });

  it("gives the account the role the pre sign-up hook chose instead of the tenant's default", async () => {
    const { sut, identity, mirror, request, hooks } = setup({ signUpDefaultRole: 'member' });
    hooks.decision = { allowed: true, role: 'viewer' };
    await sut.signUp(request, { email: 'bob@acme.test', password: PASSWORD });
    const [row] = mirror.rows;
    expect(row).toMatchObject({ role: 'viewer' });
    expect(identity.calls).toContain(`addUserToGroup ${row!.username} viewer`);
  });

  it('a taken address never reaches Cognito', async () => {
    const { sut, identity, request } = setup();
    await sut.signUp(request, { email: 'bob@acme.test', password: PASSWORD });
    identity.calls.length = 0;
    await expect(sut.signUp(request, { email: 'bob@acme.test', password: PASSWORD })).resolves.toBeUndefined();
    expect(identity.calls).toEqual([]);
  });

  it('a failure after Cognito created the user removes the Cognito user, then the claim, and reports the failure', async () => {
    const { sut, identity, mirror, request } = setup();
    identity.failAddToGroup = true;
    await expect(sut.signUp(request, { email: 'bob@acme.test', password: PASSWORD })).rejects.toMatchObject({ status: 503 });
    expect(identity.users.size).toBe(0);
    expect(mirror.rows).toEqual([]);
    expect(identity.calls.at(-1)).toMatch(/^deleteUser /);
  });

  it('when the clean-up cannot reach Cognito the claim stays, naming what is left to remove', async () => {
    const { sut, identity, mirror, request } = setup();
    identity.failAddToGroup = true;
    identity.failDelete = true;
    await expect(sut.signUp(request, { email: 'bob@acme.test', password: PASSWORD })).rejects.toMatchObject({ status: 503 });
    expect(mirror.rows).toHaveLength(1);
    expect(identity.users.has(mirror.rows[0]!.username)).toBe(true);
  });

  it('a claim abandoned long ago is cleaned up (Cognito user included) by the next sign-up of the address, which then succeeds', async () => {
    const { sut, identity, mirror, request } = setup();
    identity.failAddToGroup = true;
    identity.failDelete = true;
    await expect(sut.signUp(request, { email: 'bob@acme.test', password: PASSWORD })).rejects.toBeDefined();
    const abandoned = mirror.rows[0]!;
    // A fresh claim is left alone (its sign-up may still be running) ...
    identity.failAddToGroup = false;
    identity.failDelete = false;
    await sut.signUp(request, { email: 'bob@acme.test', password: PASSWORD });
    expect(mirror.rows).toEqual([abandoned]);
    // ... an old one is not.
    abandoned.createdAt = new Date(Date.now() - 10 * 60_000);
    identity.calls.length = 0;
    await sut.signUp(request, { email: 'bob@acme.test', password: PASSWORD });
    // The username is derived from (tenant, e-mail): the leftover Cognito user is removed first, then the account made afresh.
    const username = deriveSignInUsername('tenant-1', 'bob@acme.test');
    expect(abandoned.username).toBe(username);
    expect(identity.calls.slice(0, 2)).toEqual([`deleteUser ${username}`, `signUp ${username}`]);
    expect(mirror.rows).toHaveLength(1);
    expect(mirror.rows[0]).not.toBe(abandoned); // a new claim, not the abandoned one
    expect(mirror.rows[0]!.sub).toBe(`sub-of-${username}`);
    expect([...identity.users]).toEqual([username]);
  });
});

describe(`${AuthFlowsService.name} sign-in of an unconfirmed user`, () => {
  it('answers exactly like a wrong password and sends a new confirmation code in the background', async () => {
    const { sut, identity, mirror, request } = setup();
    await sut.signUp(request, { email: 'bob@acme.test', password: PASSWORD });
    const failure = await sut.signIn(request, { email: 'bob@acme.test', password: PASSWORD }).catch((error: unknown) => error);
    expect(failure).toMatchObject({ status: 401, code: 'invalid_credentials', detail: invalidCredentials().detail });
    await new Promise((resolve) => setImmediate(resolve));
    expect(identity.calls.at(-1)).toMatch(/^resendConfirmationCode /);
    // The tenant's receivers learn why (the caller does not).
    expect(mirror.events).toEqual([
      { type: 'user.sign_in_failed', data: { tenantId: 'tenant-1', userId: mirror.rows[0]!.id, reason: 'user_not_confirmed' } },
    ]);
  });
});
