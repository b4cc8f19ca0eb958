/**
 * Database telemetry on a `pg` pool: pool use as gauges read at scrape time,
 * and, with tracing on, a client span per SQL statement (the statement's first
 * word only: statements carry no values, but they are not needed either).
 */
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type pg from 'pg';
import type { Metrics } from './metrics.js';
import type { Tracing } from './tracing.js';

type Query = (...args: unknown[]) => unknown;

function operationOf(args: unknown[]): string {
  const first = args[0];
  const text = typeof first === 'string' ? first : (first as { text?: unknown } | undefined)?.text;
  const word = typeof text === 'string' ? /^\s*([A-Za-z]+)/.exec(text)?.[1] : undefined;
  return word ? word.toUpperCase() : 'QUERY';
}

/** Spans for every statement of every connection the pool opens (nothing is installed when tracing is off). */
export function traceDatabasePool(pool: pg.Pool, tracing: Tracing, database: string): void {
  if (!tracing.enabled) return;
  pool.on('connect', (client) => {
    const original = client.query.bind(client) as Query;
    (client as unknown as { query: Query }).query = (...args: unknown[]) => {
      const operation = operationOf(args);
      const span = tracing.startSpan(`db ${operation}`, SpanKind.CLIENT, { 'db.system': 'postgresql', 'db.operation': operation, 'db.namespace': database });
      if (!span) return original(...args);
      const end = (error: unknown) => {
        if (error) span.setStatus({ code: SpanStatusCode.ERROR, message: String((error as { code?: unknown }).code ?? 'error') });
        span.end();
      };
      const callback = args[args.length - 1];
      if (typeof callback === 'function') {
        // pg's own Pool.query calls the client with a callback.
        args[args.length - 1] = (error: unknown, result: unknown) => {
          end(error);
          (callback as (error: unknown, result: unknown) => void)(error, result);
        };
        return original(...args);
      }
      const result = original(...args);
      Promise.resolve(result).then(() => end(undefined), end);
      return result;
    };
  });
}

/** Pool size, idle and waiting connections, per pool, read when scraped. */
export function observeDatabasePools(metrics: Metrics, pools: Record<string, pg.Pool>): void {
  metrics.observeGauge('gatehouse_db_pool_connections', 'Database pool connections by pool and state (total, idle, waiting clients).', ['pool', 'state'], (set) => {
    for (const [name, pool] of Object.entries(pools)) {
      set({ pool: name, state: 'total' }, pool.totalCount);
      set({ pool: name, state: 'idle' }, pool.idleCount);
      set({ pool: name, state: 'waiting' }, pool.waitingCount);
    }
  });
}
