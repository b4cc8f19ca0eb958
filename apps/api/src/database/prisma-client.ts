/**
 * Creates Prisma clients on the `pg` driver adapter. One client per database
 * role: the application role (row-level security applies) and the privileged
 * role (tenants module only).
 */
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '../generated/prisma/client.js';

export type { PrismaClient };
export type TransactionClient = Omit<
  PrismaClient,
  '$connect' | '$disconnect' | '$on' | '$transaction' | '$extends'
>;

export function createPrismaClient(connectionString: string, poolSize: number, applicationName: string): PrismaClient {
  const adapter = new PrismaPg({
    connectionString,
    max: poolSize,
    application_name: applicationName,
    // Fail fast instead of queueing forever when the pool is exhausted or the server is gone.
    connectionTimeoutMillis: 5_000,
  });
  return new PrismaClient({ adapter });
}
