/**
 * Where the rate-limit counters live: Redis when `REDIS_URL` is set, otherwise
 * the `rate_limit_counters` table in Postgres (so `npm start` needs no extra
 * service). Both are shared by every replica. Connections are made to fail
 * fast: Redis without an offline queue and with a command timeout, Postgres
 * through a small pool of its own with connection and query timeouts, so that
 * a store outage is decided by the in-memory fallback within milliseconds.
 */
import { Redis } from 'ioredis';
import pg from 'pg';
import { type RateLimiterAbstract, RateLimiterPostgres, RateLimiterRedis } from 'rate-limiter-flexible';

export interface LimitShape {
  readonly keyPrefix: string;
  readonly points: number;
  readonly durationSeconds: number;
}

export interface RateLimitStore {
  readonly kind: 'redis' | 'postgres';
  limiter(shape: LimitShape): RateLimiterAbstract;
  connect(): Promise<void>;
  close(): Promise<void>;
}

export const RATE_LIMIT_TABLE = 'rate_limit_counters';

export function createRedisStore(url: string, timeoutMs: number, onError: (error: unknown) => void): RateLimitStore {
  const client = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: Math.max(timeoutMs, 1_000),
    commandTimeout: timeoutMs,
  });
  // ioredis reconnects on its own; without a listener an 'error' event would crash the process.
  client.on('error', onError);
  return {
    kind: 'redis',
    limiter: (shape) =>
      new RateLimiterRedis({ storeClient: client, keyPrefix: shape.keyPrefix, points: shape.points, duration: shape.durationSeconds }),
    connect: () => client.connect().catch(onError),
    close: async () => {
      client.disconnect();
    },
  };
}

export function createPostgresStore(connectionString: string, timeoutMs: number, onError: (error: unknown) => void): RateLimitStore {
  const pool = new pg.Pool({
    connectionString,
    max: 4,
    application_name: 'gatehouse-api-rate-limits',
    connectionTimeoutMillis: Math.max(timeoutMs, 1_000),
    query_timeout: Math.max(timeoutMs * 4, 1_000),
  });
  pool.on('error', onError);
  let cleanerStarted = false;
  return {
    kind: 'postgres',
    limiter: (shape) => {
      // One limiter per store sweeps expired rows (hourly); the table is shared by all limits.
      const clearExpiredByTimeout = !cleanerStarted;
      cleanerStarted = true;
      return new RateLimiterPostgres({
        storeClient: pool,
        storeType: 'pool',
        tableName: RATE_LIMIT_TABLE,
        tableCreated: true,
        clearExpiredByTimeout,
        keyPrefix: shape.keyPrefix,
        points: shape.points,
        duration: shape.durationSeconds,
      });
    },
    connect: async () => undefined,
    close: () => pool.end(),
  };
}
