import { Inject, Injectable, Module, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig } from '../config/config.schema.js';
import { type PrismaClient, createPrismaClient } from './prisma-client.js';
import { assertRoleIsConfined, readRoleFacts } from './role-check.js';

/**
 * The privileged role's client: tenant registry writes and operators' work
 * across tenants. Only the tenants module may import this module; everything
 * else reaches the registry through the services the tenants module exports.
 */
@Injectable()
export class PrivilegedPrismaService implements OnModuleInit, OnModuleDestroy {
  readonly client: PrismaClient;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    this.client = createPrismaClient(config.env.DATABASE_PRIVILEGED_URL, 4, 'gatehouse-api-privileged');
  }

  async onModuleInit(): Promise<void> {
    // Privileged does not mean owner: it must not be able to alter or drop the schema.
    assertRoleIsConfined(await readRoleFacts(this.config.env.DATABASE_PRIVILEGED_URL), 'privileged');
    await this.client.$connect();
  }

  async onModuleDestroy(): Promise<void> {
    await this.client.$disconnect();
  }
}

@Module({
  providers: [PrivilegedPrismaService],
  exports: [PrivilegedPrismaService],
})
export class PrivilegedDatabaseModule {}
