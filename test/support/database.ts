/**
 * Database clients for integration suites, on the stack started by the global
 * setup: Prisma as the application and privileged roles, raw `pg` for checks
 * that must not go through the code under test.
 */
import pg from 'pg';
import { inject } from 'vitest';
import type { AppConfig } from '../../apps/api/src/config/config.schema.js';
import { type PrismaClient, createPrismaClient } from '../../apps/api/src/database/prisma-client.js';
import { PrismaService } from '../../apps/api/src/database/prisma.service.js';
import { TenantDb } from '../../apps/api/src/database/tenant-db.js';
import { Metrics } from '../../apps/api/src/observability/metrics.js';
import { Tracing } from '../../apps/api/src/observability/tracing.js';

export function stackInfo() {
  return inject('stack');
}

export function privilegedClient(): PrismaClient {
  return createPrismaClient(stackInfo().databaseUrls.privileged, 2, 'gatehouse-test-privileged');
}

/** A TenantDb on its own PrismaService (pool size configurable to pin one connection). */
export function tenantDb(poolSize = 4): { db: TenantDb; prisma: PrismaService } {
  const config = { env: { DATABASE_URL: stackInfo().databaseUrls.app, DATABASE_POOL_SIZE: poolSize } } as unknown as AppConfig;
  const prisma = new PrismaService(config, new Metrics({ processMetrics: false }), new Tracing({ endpoint: undefined, serviceName: 'test' }));
  return { db: new TenantDb(prisma), prisma };
}

/** A raw connection as the given URL (defaults to the application role). */
export async function rawClient(url = stackInfo().databaseUrls.app): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  return client;
}

/** `url` pointed at another database on the same server (e.g. the admin URL at the test database). */
export function databaseUrlAs(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}
