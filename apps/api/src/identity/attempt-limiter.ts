/**
 * Sliding-window attempt counting for sign-in throttling. In memory, per API
 * replica: with N replicas behind a load balancer the effective limit is up to
 * N times higher, which the per-address limit and Cognito's own lockout cover;
 * a shared store (Redis) can replace this class without touching callers.
 */
import { tooManyRequests } from './identity.errors.js';

export interface AttemptLimiterOptions {
  readonly limit: number;
  readonly windowMs: number;
  /** Keys tracked at most; the oldest are dropped first (bounded memory under a flood). */
  readonly maxKeys?: number;
  readonly now?: () => number;
}

export class AttemptLimiter {
  private readonly attempts = new Map<string, number[]>();
  private readonly now: () => number;

  constructor(private readonly options: AttemptLimiterOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Throws 429 with Retry-After when `key` has used up its attempts in the window. */
  assertAllowed(key: string): void {
    const recent = this.recent(key);
    if (recent.length >= this.options.limit) {
      const oldest = recent[0] ?? this.now();
      throw tooManyRequests((oldest + this.options.windowMs - this.now()) / 1000);
    }
  }

  record(key: string): void {
    const recent = this.recent(key);
    recent.push(this.now());
    this.attempts.delete(key);
    this.attempts.set(key, recent);
    const maxKeys = this.options.maxKeys ?? 100_000;
    while (this.attempts.size > maxKeys) {
      const oldest = this.attempts.keys().next().value;
      if (oldest === undefined) break;
      this.attempts.delete(oldest);
    }
  }

  reset(key: string): void {
    this.attempts.delete(key);
  }

  private recent(key: string): number[] {
    const since = this.now() - this.options.windowMs;
    return (this.attempts.get(key) ?? []).filter((time) => time > since);
  }
}
