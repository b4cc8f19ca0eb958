/**
 * One rate limit (`points` per `durationSeconds` per subject) whose counters
 * live in the shared store (Redis or Postgres, through rate-limiter-flexible),
 * so every API replica counts against the same budget.
 *
 * Subjects are hashed before they reach the store: no e-mail address or client
 * address is ever written to Redis or Postgres.
 *
 * **Store outage.** A store call that fails or takes longer than `timeoutMs` is
 * decided by an in-memory limiter with the same limit, per replica. That
 * limiter counts every request of this replica all along (not only those made
 * during the outage), so a slow or flapping store never resets a count. The limit
 * therefore never fails open (every replica still enforces it; with N replicas
 * an attacker gets at most N times the budget while the store is down) and
 * never fails closed (no request is refused, and nothing answers 5xx, because
 * a counter store is unavailable). A warning is logged at most once a minute.
 */
import { createHash } from 'node:crypto';
import { RateLimiterMemory, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';

export interface LimitDecision {
  readonly allowed: boolean;
  /** Milliseconds until the subject's window resets. */
  readonly retryAfterMs: number;
}

export interface SharedLimiterOptions {
  readonly name: string;
  readonly points: number;
  readonly durationSeconds: number;
  readonly timeoutMs: number;
  /** Called when the in-memory fallback decided instead of the store. */
  readonly onFallback?: (name: string, error: unknown) => void;
}

class StoreTimeoutError extends Error {
  override readonly name = 'StoreTimeoutError';
}

function withTimeout<T>(promise: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new StoreTimeoutError(`the rate-limit store did not answer within ${timeoutMs} ms`)), timeoutMs);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** A subject as it is stored: a digest, never the address or e-mail itself. */
export function subjectKey(subject: string): string {
  return createHash('sha256').update(subject).digest('base64url').slice(0, 32);
}

export class SharedLimiter {
  private readonly fallback: RateLimiterMemory;

  constructor(
    private readonly store: RateLimiterAbstract,
    private readonly options: SharedLimiterOptions,
  ) {
    this.fallback = new RateLimiterMemory({ points: options.points, duration: options.durationSeconds, keyPrefix: options.name });
  }

  get name(): string {
    return this.options.name;
  }

  /** Counts one request of `subject`; refuses once the subject has used its points in the window. */
  async consume(subject: string): Promise<LimitDecision> {
    const key = subjectKey(subject);
    const decide = (limiter: RateLimiterAbstract) =>
      limiter.consume(key).then(
        (res): LimitDecision => ({ allowed: true, retryAfterMs: res.msBeforeNext }),
        (rejection: unknown): LimitDecision => {
          if (rejection instanceof RateLimiterRes) return { allowed: false, retryAfterMs: rejection.msBeforeNext };
          throw rejection;
        },
      );
    return this.withFallback(decide);
  }

  /** Whether `subject` has points left, without using one. */
  async check(subject: string): Promise<LimitDecision> {
    const key = subjectKey(subject);
    return this.withFallback(async (limiter) => {
      const res = await limiter.get(key);
      if (!res || res.consumedPoints < this.options.points) return { allowed: true, retryAfterMs: 0 };
      return { allowed: false, retryAfterMs: res.msBeforeNext };
    });
  }

  /** Uses one of `subject`'s points without deciding anything (e.g. a failed sign-in). */
  async record(subject: string): Promise<void> {
    const key = subjectKey(subject);
    await this.withFallback(async (limiter) => {
      await limiter.penalty(key, 1);
      return { allowed: true, retryAfterMs: 0 };
    });
  }

  /** Forgets `subject`'s count (e.g. after a successful sign-in). */
  async reset(subject: string): Promise<void> {
    const key = subjectKey(subject);
    await this.withFallback(async (limiter) => {
      await limiter.delete(key);
      return { allowed: true, retryAfterMs: 0 };
    });
  }

  private async withFallback(decide: (limiter: RateLimiterAbstract) => Promise<LimitDecision>): Promise<LimitDecision> {
    // The replica's own count is kept in step with the store's, so it is ready when the store is not.
    const local = decide(this.fallback);
    try {
      const shared = await withTimeout(decide(this.store), this.options.timeoutMs);
      await local;
      return shared;
    } catch (error) {
      this.options.onFallback?.(this.options.name, error);
      return local;
    }
  }
}
