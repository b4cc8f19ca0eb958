import { describe, expect, it } from 'vitest';
import { envSchema } from '../config/config.schema.js';
import { retryDelayMs, retrySpanMs } from './retry-schedule.js';

describe(retryDelayMs.name, () => {
  const schedule = [1000, 60_000, 3_600_000];

  it('waits the scheduled time before each retry, plus at most 10 % jitter', () => {
    expect(retryDelayMs(schedule, 1, () => 0)).toBe(1000);
    expect(retryDelayMs(schedule, 2, () => 0)).toBe(60_000);
    expect(retryDelayMs(schedule, 3, () => 0.999)).toBe(Math.round(3_600_000 * 1.0999));
  });

  it('gives up after the last scheduled retry', () => {
    expect(retryDelayMs(schedule, 4)).toBeNull();
  });

  it('retries for at least 24 hours with the default schedule (exponential-ish backoff)', () => {
    const defaults = envSchema.shape.WEBHOOK_RETRY_SCHEDULE_MS.parse(undefined);
    expect(retrySpanMs(defaults)).toBeGreaterThanOrEqual(24 * 3_600_000);
    for (let index = 1; index < defaults.length; index += 1) expect(defaults[index]!).toBeGreaterThanOrEqual(defaults[index - 1]!);
  });
});
