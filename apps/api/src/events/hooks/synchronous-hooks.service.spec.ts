import { describe, expect, it } from 'vitest';
import type { AppConfig } from '../../config/config.schema.js';
import type { EffectiveHook, HookRegistry } from '../../tenants/hooks/hook-registry.js';
import type { HookCallResult } from './hook-caller.js';
import type { HookFailureMode, HookKind } from './hook-contract.js';
import { SynchronousHooks } from './synchronous-hooks.service.js';

const tenant = { id: 'tenant-1', slug: 'acme', tier: 'basic' };
const user = { id: 'user-1', email: 'ada@acme.test', role: 'member' };

function hook(kind: HookKind, failureMode: HookFailureMode): EffectiveHook {
  const at = new Date(0).toISOString();
  return { id: 'hook-1', tenantId: tenant.id, kind, url: 'http://127.0.0.1/hook', timeoutMs: 500, failureMode, enabled: true, createdAt: at, updatedAt: at, secret: 'whsec_x' };
}

/** The service with a registry holding at most `configured`, and a caller that answers `result`. */
function setup(configured: EffectiveHook | null, result: HookCallResult) {
  const registry = { effective: async (_tenantId: string, kind: HookKind) => (configured?.kind === kind ? configured : null) } as unknown as HookRegistry;
  const sut = new SynchronousHooks(registry, { isLocal: true } as AppConfig);
  const calls: unknown[] = [];
  (sut as unknown as { caller: { call: (target: unknown, payload: unknown) => Promise<HookCallResult> } }).caller = {
    call: async (_target, payload) => {
      calls.push(payload);
      return result;
    },
  };
  return { sut, calls };
}

const timeout: HookCallResult = { ok: false, reason: 'timeout', durationMs: 500 };
const answer = (body: unknown): HookCallResult => ({ ok: true, body, durationMs: 3 });

describe(SynchronousHooks.name, () => {
  it('allows everything, without calling anything, when no hook applies', async () => {
    const { sut, calls } = setup(null, timeout);
    expect(await sut.preSignUp(tenant, user.email, undefined)).toEqual({ allowed: true });
    expect(await sut.preAuthentication(tenant, user, undefined)).toEqual({ allowed: true });
    expect(await sut.tokenEnrichment(tenant, user, undefined)).toEqual({ allowed: true, claims: null });
    expect(calls).toEqual([]);
  });

  it.each([
    ['open', { allowed: true }],
    ['closed', { allowed: false }],
  ] as const)('a pre sign-up hook that times out fails %s', async (failureMode, decision) => {
    const { sut } = setup(hook('pre_sign_up', failureMode), timeout);
    expect(await sut.preSignUp(tenant, user.email, '203.0.113.4')).toEqual(decision);
  });

  it('an answer of the wrong shape is a failure, judged by the failure mode', async () => {
    const closed = setup(hook('pre_authentication', 'closed'), answer({ decision: 'allow', extra: true }));
    expect(await closed.sut.preAuthentication(tenant, user, undefined)).toEqual({ allowed: false });
    const open = setup(hook('token_enrichment', 'open'), answer({ claims: { tenant: 'other' } }));
    expect(await open.sut.tokenEnrichment(tenant, user, undefined)).toEqual({ allowed: true, claims: null });
    const closedEnrichment = setup(hook('token_enrichment', 'closed'), answer('garbage'));
    expect(await closedEnrichment.sut.tokenEnrichment(tenant, user, undefined)).toEqual({ allowed: false });
  });

  it("passes the hook's decision, role, message and claims through, and sends the tenant, user and client address", async () => {
    const signUp = setup(hook('pre_sign_up', 'closed'), answer({ decision: 'allow', role: 'viewer' }));
    expect(await signUp.sut.preSignUp(tenant, user.email, '203.0.113.4')).toEqual({ allowed: true, role: 'viewer' });
    expect(signUp.calls[0]).toMatchObject({ type: 'pre_sign_up', tenant, user: { email: user.email }, clientIp: '203.0.113.4' });
    const denied = setup(hook('pre_authentication', 'open'), answer({ decision: 'deny', message: 'Seat suspended.' }));
    expect(await denied.sut.preAuthentication(tenant, user, undefined)).toEqual({ allowed: false, message: 'Seat suspended.' });
    const enriched = setup(hook('token_enrichment', 'closed'), answer({ claims: { plan: 'pro' } }));
    expect(await enriched.sut.tokenEnrichment(tenant, user, undefined)).toEqual({ allowed: true, claims: { plan: 'pro' } });
  });

  it('never lets a post-confirmation notification fail its caller', async () => {
    const { sut, calls } = setup(hook('post_confirmation', 'open'), timeout);
    await expect(sut.postConfirmation(tenant, user, undefined)).resolves.toBeUndefined();
    expect(calls).toHaveLength(1);
  });
});
