import { Module } from '@nestjs/common';
import { DatabaseModule } from '../database/database.module.js';
import { PrivilegedDatabaseModule } from '../database/privileged-database.module.js';
import { HookRegistry } from './hooks/hook-registry.js';
import { TenantUserDirectory } from './tenant-user-directory.js';
import { UserMirror } from './user-mirror.js';

/**
 * Operators' tenant management and the tenant registry. The only module that
 * imports the privileged database client; others use the services it exports.
 */
@Module({
  imports: [DatabaseModule, PrivilegedDatabaseModule],
  providers: [TenantUserDirectory, UserMirror, HookRegistry],
  exports: [TenantUserDirectory, UserMirror, HookRegistry],
})
export class TenantsModule {}
