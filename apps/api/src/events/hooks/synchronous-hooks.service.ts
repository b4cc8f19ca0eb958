/**
 * Runs the synchronous hooks the identity flows ask for, and turns whatever
 * happens into a decision: the hook's validated answer, or — when there is no
 * usable answer (timeout, refused URL, network error, non-2xx or redirect,
 * oversized, not JSON, not the expected shape) — the hook's failure mode:
 * `open` goes on as if no hook were configured, `closed` refuses. Nothing a
 * hook does becomes a 5xx or a hang: calls are bounded by the hook's own
 * timeout (at most 5 s) and never throw.
 */
import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG } from '../../config/config.module.js';
import type { AppConfig } from '../../config/config.schema.js';
import { type EffectiveHook, HookRegistry } from '../../tenants/hooks/hook-registry.js';
import { HookCaller, type HookFailureReason } from './hook-caller.js';
import {
  ANSWER_SCHEMAS,
  HOOK_PAYLOAD_VERSION,
  type HookClaims,
  type HookKind,
  type HookRequest,
  type HookTenant,
  type PreAuthenticationAnswer,
  type PreSignUpAnswer,
} from './hook-contract.js';

export interface HookUser {
  readonly id?: string;
  readonly email: string;
  readonly role?: string;
}

export type SignUpDecision = { readonly allowed: true; readonly role?: 'member' | 'viewer' } | { readonly allowed: false; readonly message?: string };
export type SignInDecision = { readonly allowed: true } | { readonly allowed: false; readonly message?: string };
/** `claims` null: no token-enrichment hook applies (or it failed open); the user's claims are cleared. */
export type EnrichmentDecision = { readonly allowed: true; readonly claims: HookClaims | null } | { readonly allowed: false };

type Outcome<T> = { readonly kind: 'none' } | { readonly kind: 'answer'; readonly answer: T } | { readonly kind: 'failed'; readonly hook: EffectiveHook; readonly reason: HookFailureReason | 'invalid_answer' };

@Injectable()
export class SynchronousHooks {
  private readonly logger = new Logger(SynchronousHooks.name);
  readonly caller: HookCaller;

  constructor(
    private readonly registry: HookRegistry,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.caller = new HookCaller({ allowPrivateAddresses: config.isLocal });
  }

  async preSignUp(tenant: HookTenant, email: string, clientIp: string | undefined): Promise<SignUpDecision> {
    const outcome = await this.run<PreSignUpAnswer>('pre_sign_up', tenant, { email }, clientIp);
    if (outcome.kind === 'none') return { allowed: true };
    if (outcome.kind === 'failed') return outcome.hook.failureMode === 'open' ? { allowed: true } : { allowed: false };
    const answer = outcome.answer;
    if (answer.decision === 'deny') return { allowed: false, ...(answer.message ? { message: answer.message } : {}) };
    return { allowed: true, ...(answer.role ? { role: answer.role } : {}) };
  }

  async preAuthentication(tenant: HookTenant, user: HookUser, clientIp: string | undefined): Promise<SignInDecision> {
    const outcome = await this.run<PreAuthenticationAnswer>('pre_authentication', tenant, user, clientIp);
    if (outcome.kind === 'none') return { allowed: true };
    if (outcome.kind === 'failed') return outcome.hook.failureMode === 'open' ? { allowed: true } : { allowed: false };
    return outcome.answer.decision === 'allow' ? { allowed: true } : { allowed: false, ...(outcome.answer.message ? { message: outcome.answer.message } : {}) };
  }

  async tokenEnrichment(tenant: HookTenant, user: HookUser, clientIp: string | undefined): Promise<EnrichmentDecision> {
    const outcome = await this.run<{ claims: HookClaims }>('token_enrichment', tenant, user, clientIp);
    if (outcome.kind === 'none') return { allowed: true, claims: null };
    if (outcome.kind === 'failed') return outcome.hook.failureMode === 'open' ? { allowed: true, claims: null } : { allowed: false };
    return { allowed: true, claims: outcome.answer.claims };
  }

  /** A notification: runs in the background, its answer and failures are only logged. */
  postConfirmation(tenant: HookTenant, user: HookUser, clientIp: string | undefined): Promise<void> {
    return this.run('post_confirmation', tenant, user, clientIp).then(
      () => undefined,
      (error: unknown) => this.logger.warn(`post_confirmation hook of tenant ${tenant.id} could not run: ${String(error)}`),
    );
  }

  private async run<T>(kind: HookKind, tenant: HookTenant, user: HookUser, clientIp: string | undefined): Promise<Outcome<T>> {
    const hook = await this.registry.effective(tenant.id, kind);
    if (!hook) return { kind: 'none' };
    const payload: HookRequest = {
      type: kind,
      version: HOOK_PAYLOAD_VERSION,
      timestamp: new Date().toISOString(),
      tenant: { id: tenant.id, slug: tenant.slug, tier: tenant.tier },
      user,
      ...(clientIp ? { clientIp } : {}),
    };
    const result = await this.caller.call(hook, payload);
    if (!result.ok) return this.failed(hook, result.reason, result.durationMs, result.status);
    if (kind === 'post_confirmation') return { kind: 'answer', answer: undefined as T };
    const parsed = ANSWER_SCHEMAS[kind].safeParse(result.body);
    if (!parsed.success) return this.failed(hook, 'invalid_answer', result.durationMs);
    return { kind: 'answer', answer: parsed.data as T };
  }

  private failed<T>(hook: EffectiveHook, reason: HookFailureReason | 'invalid_answer', durationMs: number, status?: number): Outcome<T> {
    // The hook's id, never its URL (it may carry a token in its path or query).
    this.logger.warn(
      `${hook.kind} hook ${hook.id} failed (${reason}${status !== undefined ? ` ${status}` : ''}, ${durationMs} ms); failing ${hook.failureMode}`,
    );
    return { kind: 'failed', hook, reason };
  }
}
