/**
 * Every rate limit of the public identity API, with its counters in the shared
 * store (see {@link SharedLimiter} for what happens when the store is down):
 *
 * | limit              | subject                | counts                                             |
 * |--------------------|------------------------|----------------------------------------------------|
 * | `address`          | client address         | every public identity request                      |
 * | `sign_in_address`  | client address         | sign-in attempts                                   |
 * | `tenant`           | tenant                 | every public identity request naming the tenant    |
 * | `user`             | (tenant, e-mail)       | sign-up, confirm, resend, forgot, confirm-forgot, challenge |
 * | `sign_in_failures` | (tenant, e-mail)       | failed sign-ins; a successful one resets it        |
 *
 * The per-tenant limit keeps one tenant from draining the Cognito quotas that
 * every tenant of the AWS account shares; the per-address limit does the same
 * for one client; the per-user limits stop password and code guessing.
 */
import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig } from '../config/config.schema.js';
import { tooManyRequests } from '../identity/identity.errors.js';
import { Metrics } from '../observability/metrics.js';
import { type RateLimitStore, createPostgresStore, createRedisStore } from './rate-limit-store.js';
import { type LimitDecision, SharedLimiter } from './shared-limiter.js';

export type LimitName = 'address' | 'sign_in_address' | 'tenant' | 'user' | 'sign_in_failures';

/** How often an outage of the store is logged (it is counted in metrics every time). */
const OUTAGE_LOG_INTERVAL_MS = 60_000;

const userSubject = (tenantId: string, email: string) => `${tenantId}\n${email.trim().toLowerCase()}`;

@Injectable()
export class RateLimits implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(RateLimits.name);
  private readonly store: RateLimitStore;
  private readonly limiters: Record<LimitName, SharedLimiter>;
  private lastOutageLogAt = 0;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly metrics: Metrics,
  ) {
    const env = config.env;
    const onStoreError = (error: unknown) => this.logOutage(error);
    this.store = env.REDIS_URL
      ? createRedisStore(env.REDIS_URL, env.RATE_LIMIT_STORE_TIMEOUT_MS, onStoreError)
      : createPostgresStore(env.DATABASE_URL, env.RATE_LIMIT_STORE_TIMEOUT_MS, onStoreError);
    const namespace = env.RATE_LIMIT_NAMESPACE ?? env.GATEHOUSE_DEPLOYMENT;
    const limit = (name: LimitName, points: number, durationSeconds: number) =>
      new SharedLimiter(this.store.limiter({ keyPrefix: `${namespace}:${name}`, points, durationSeconds }), {
        name,
        points,
        durationSeconds,
        timeoutMs: env.RATE_LIMIT_STORE_TIMEOUT_MS,
        onFallback: (limitName, error) => {
          this.metrics.rateLimitStoreFallbacks.inc({ limit: limitName });
          this.logOutage(error);
        },
      });
    this.limiters = {
      address: limit('address', env.RATE_LIMIT_PER_ADDRESS_PER_MINUTE, 60),
      sign_in_address: limit('sign_in_address', env.SIGN_IN_ATTEMPTS_PER_ADDRESS_PER_MINUTE, 60),
      tenant: limit('tenant', env.RATE_LIMIT_PER_TENANT, env.RATE_LIMIT_TENANT_WINDOW_SECONDS),
      user: limit('user', env.RATE_LIMIT_PER_USER_PER_HOUR, 3600),
      sign_in_failures: limit('sign_in_failures', env.SIGN_IN_FAILURES_PER_USER, env.SIGN_IN_FAILURE_WINDOW_SECONDS),
    };
  }

  /** Which store holds the counters (for the boot log and tests). */
  get storeKind(): 'redis' | 'postgres' {
    return this.store.kind;
  }

  async onModuleInit(): Promise<void> {
    await this.store.connect();
    this.logger.log(`rate-limit counters in ${this.store.kind}`);
  }

  async onModuleDestroy(): Promise<void> {
    await this.store.close();
  }

  /**
   * Counts one request against each named limit and its subject; throws 429
   * `too_many_requests` with the longest Retry-After when any of them is used up.
   */
  async consume(checks: readonly (readonly [LimitName, string])[]): Promise<void> {
    const decisions = await Promise.all(checks.map(([name, subject]) => this.limiters[name].consume(subject)));
    this.refuseIfAny(checks.map(([name]) => name), decisions);
  }

  /** Per (tenant, e-mail) subject for the `user` limit. */
  static userSubject(tenantId: string, email: string): string {
    return userSubject(tenantId, email);
  }

  /** Sign-in failures per (tenant, e-mail): refuse before calling Cognito once they are used up. */
  async assertSignInAllowed(tenantId: string, email: string): Promise<void> {
    const decision = await this.limiters.sign_in_failures.check(userSubject(tenantId, email));
    this.refuseIfAny(['sign_in_failures'], [decision]);
  }

  async recordSignInFailure(tenantId: string, email: string): Promise<void> {
    await this.limiters.sign_in_failures.record(userSubject(tenantId, email));
  }

  async resetSignInFailures(tenantId: string, email: string): Promise<void> {
    await this.limiters.sign_in_failures.reset(userSubject(tenantId, email));
  }

  private refuseIfAny(names: readonly LimitName[], decisions: readonly LimitDecision[]): void {
    let retryAfterMs = -1;
    decisions.forEach((decision, index) => {
      if (decision.allowed) return;
      this.metrics.rateLimitRefusals.inc({ limit: names[index] ?? 'unknown' });
      retryAfterMs = Math.max(retryAfterMs, decision.retryAfterMs);
    });
    if (retryAfterMs >= 0) throw tooManyRequests(retryAfterMs / 1000);
  }

  private logOutage(error: unknown): void {
    const now = Date.now();
    if (now - this.lastOutageLogAt < OUTAGE_LOG_INTERVAL_MS) return;
    this.lastOutageLogAt = now;
    this.logger.warn(
      `rate-limit store (${this.store?.kind ?? "starting"}) unavailable, limits are enforced per replica until it answers: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}
