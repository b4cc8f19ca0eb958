/**
 * Creates Prisma clients on the `pg` driver adapter. One client per database
 * role: the application role (row-level security applies) and the privileged
 * role (tenants module only).
 */
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { PrismaClient } from '../generated/prisma/client.js';

export type { PrismaClient };
export type TransactionClient = Omit<
  PrismaClient,
  '$connect' | '$disconnect' | '$on' | '$transaction' | '$extends'
>;

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
  const pool = new pg.Pool({
    connectionString,
    max: poolSize,
    application_name: applicationName,
    // Fail fast instead of queueing forever when the pool is exhausted or the server is gone.
    connectionTimeoutMillis: 5_000,
  });
  observePool?.(pool);
  const adapter = new PrismaPg(pool, { disposeExternalPool: true });
  return new PrismaClient({ adapter });
}
