import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig } from '../config/config.schema.js';
import { observeDatabasePools, traceDatabasePool } from '../observability/database-instrumentation.js';
import { Metrics } from '../observability/metrics.js';
import { Tracing } from '../observability/tracing.js';
import { type PrismaClient, type TransactionClient, createTenantPrismaClient, withoutCrossRequestBatching } from './prisma-client.js';
import { assertRoleIsConfined, readRoleFacts } from './role-check.js';
import type pg from 'pg';

/**
 * The application role's Prisma client. Services never use it directly for
 * tenant data: they go through {@link TenantDb}, which sets the tenant context
 * first. Refuses to start when the role could bypass row-level security.
 */
@Injectable()
export class PrismaService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(PrismaService.name);
  readonly client: PrismaClient;
  /** The pool behind {@link client}: it sends the tenant settings with each statement (TenantContextPool). */
  readonly pool: pg.Pool;
  /** {@link client} for statements outside a transaction (TenantDb.autocommit). */
  readonly autocommitClient: TransactionClient;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig, metrics: Metrics, tracing: Tracing) {
    ({ client: this.client, pool: this.pool } = createTenantPrismaClient(
      config.env.DATABASE_URL,
      config.env.DATABASE_POOL_SIZE,
      'gatehouse-api',
      (pool) => {
        observeDatabasePools(metrics, { application: pool });
        traceDatabasePool(pool, tracing, 'application');
      },
    ));
    this.autocommitClient = withoutCrossRequestBatching(this.client);
  }

  async onModuleInit(): Promise<void> {
    const facts = await readRoleFacts(this.config.env.DATABASE_URL);
    assertRoleIsConfined(facts, 'application');
    await this.client.$connect();
    this.logger.log(`connected as confined role "${facts.role}"`);
  }

  async onModuleDestroy(): Promise<void> {
    await this.client.$disconnect();
  }

  /** Readiness: the database answers a trivial query. */
  async ping(): Promise<void> {
    await this.client.$queryRaw`SELECT 1`;
  }
}
