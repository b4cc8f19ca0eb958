/**
 * Creates Prisma clients on the `pg` driver adapter. One client per database
 * role: the application role (row-level security applies; its pool sends the
 * tenant settings with each statement, see TenantContextPool) and the
 * privileged role (tenants module only).
 */
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { PrismaClient } from '../generated/prisma/client.js';
import { TenantContextPool } from './tenant-context-pool.js';

export type { PrismaClient };
export type TransactionClient = Omit<
  PrismaClient,
  '$connect' | '$disconnect' | '$on' | '$transaction' | '$extends'
>;

function poolConfig(connectionString: string, poolSize: number, applicationName: string) {
  return {
    connectionString,
    max: poolSize,
    application_name: applicationName,
    // Fail fast instead of queueing forever when the pool is exhausted or the server is gone.
    connectionTimeoutMillis: 5_000,
  };
}

/**
 * `observePool` sees the `pg` pool before any connection is made (pool metrics,
 * statement spans); the client ends the pool on `$disconnect`.
 */
export function createPrismaClient(
  connectionString: string,
  poolSize: number,
  applicationName: string,
  observePool?: (pool: pg.Pool) => void,
): PrismaClient {
  const pool = new pg.Pool(poolConfig(connectionString, poolSize, applicationName));
  observePool?.(pool);
  return new PrismaClient({ adapter: new PrismaPg(pool, { disposeExternalPool: true }) });
}

/** The application role's client and the pool behind it (for tagged SQL on the same connections and settings). */
export function createTenantPrismaClient(
  connectionString: string,
  poolSize: number,
  applicationName: string,
  observePool?: (pool: pg.Pool) => void,
): { client: PrismaClient; pool: pg.Pool } {
  const pool = new TenantContextPool(poolConfig(connectionString, poolSize, applicationName));
  observePool?.(pool);
  return { client: new PrismaClient({ adapter: new PrismaPg(pool, { disposeExternalPool: true }) }), pool };
}

function delegateName(model: string): string {
  return model.charAt(0).toLowerCase() + model.slice(1);
}

/**
 * `{ tenantId_id: { tenantId, id } }` → `{ tenantId, id }`: a unique selector
 * as an ordinary filter that selects the same row.
 */
export function uniqueWhereAsFilter(where: Record<string, unknown>): Record<string, unknown> {
  const filter: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(where)) {
    const parts = key.split('_');
    const compound =
      parts.length > 1 &&
      typeof value === 'object' &&
      value !== null &&
      !Array.isArray(value) &&
      !(value instanceof Date) &&
      Object.keys(value).length === parts.length &&
      parts.every((part) => Object.hasOwn(value, part));
    if (compound) Object.assign(filter, value);
    else filter[key] = value;
  }
  return filter;
}

/**
 * The client for statements outside a transaction. Prisma batches the
 * `findUnique` calls made in one tick into one query — across callers, so
 * across requests, sent under whichever caller's tenant settings came first.
 * Here `findUnique` is the equivalent `findFirst`, which Prisma never batches.
 */
export function withoutCrossRequestBatching(client: PrismaClient): TransactionClient {
  const delegates = client as unknown as Record<string, Record<string, (args: unknown) => Promise<unknown>>>;
  const rewrite = (operation: 'findFirst' | 'findFirstOrThrow') =>
    function ({ model, args }: { model: string; args: { where?: Record<string, unknown> } }) {
      return delegates[delegateName(model)]![operation]!({ ...args, where: uniqueWhereAsFilter(args.where ?? {}) });
    };
  return client.$extends({
    query: { $allModels: { findUnique: rewrite('findFirst'), findUniqueOrThrow: rewrite('findFirstOrThrow') } },
  }) as unknown as TransactionClient;
}
