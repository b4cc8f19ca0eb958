import { Module } from '@nestjs/common';
import { DatabaseChangeListener } from './database-change-listener.js';
import { PrismaService } from './prisma.service.js';
import { TenantDb } from './tenant-db.js';

/**
 * The application role's database access. Import this module where tenant
 * data is needed; the privileged client lives in PrivilegedDatabaseModule and
 * only the tenants module imports that.
 */
@Module({
  providers: [PrismaService, TenantDb, DatabaseChangeListener],
  exports: [PrismaService, TenantDb, DatabaseChangeListener],
})
export class DatabaseModule {}
