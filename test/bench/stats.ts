/**
 * Small measurement helpers for the benchmarks: monotonic timing, medians,
 * and "run N rounds after a warm-up, keep each round's rate".
 */
import { performance } from 'node:perf_hooks';

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export function round(value: number, digits = 0): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

export function gc(): void {
  const collect = (globalThis as { gc?: () => void }).gc;
  if (!collect) throw new Error('run the benchmarks with node --expose-gc (npm run bench does)');
  collect();
  collect();
}

export function heapUsed(): number {
  gc();
  return process.memoryUsage().heapUsed;
}

/**
 * Runs `operation` once per input, one after another (awaiting each), and
 * returns operations per second. Serial on one thread: a rate per core.
 */
export async function rateOf<T>(inputs: readonly T[], operation: (input: T) => unknown): Promise<number> {
  const started = performance.now();
  for (const input of inputs) await operation(input);
  const elapsed = performance.now() - started;
  return (inputs.length / elapsed) * 1000;
}

export interface RoundsResult {
  readonly median: number;
  readonly rounds: number[];
}

/** `warmup` once (not recorded), then `rounds` measured rounds; the median round is the figure. */
export async function measureRounds(rounds: number, run: (round: number) => Promise<number>, warmup?: () => Promise<unknown>): Promise<RoundsResult> {
  if (warmup) await warmup();
  const results: number[] = [];
  for (let index = 0; index < rounds; index += 1) results.push(await run(index));
  return { median: median(results), rounds: results.map((value) => round(value)) };
}
