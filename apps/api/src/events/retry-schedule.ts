/**
 * When a failed webhook delivery is tried again: the configured waits
 * (WEBHOOK_RETRY_SCHEDULE_MS), one per retry, each with up to 10 % random
 * jitter so that endpoints that failed together do not all retry together.
 * The default schedule spans about 27.6 hours (at least the 24 h promised).
 */

/** The delay before the next attempt after `attemptsMade` failed attempts, or null when the schedule is exhausted. */
export function retryDelayMs(schedule: readonly number[], attemptsMade: number, random: () => number = Math.random): number | null {
  const base = schedule[attemptsMade - 1];
  if (base === undefined) return null;
  return Math.round(base * (1 + 0.1 * random()));
}

/** The shortest time the schedule keeps retrying a delivery (no jitter). */
export function retrySpanMs(schedule: readonly number[]): number {
  return schedule.reduce((sum, delay) => sum + delay, 0);
}
