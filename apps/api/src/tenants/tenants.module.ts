import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module.js';
import { DatabaseModule } from '../database/database.module.js';
import { OwnerTransactions } from '../database/owner-transaction.js';
import { PrivilegedDatabaseModule } from '../database/privileged-database.module.js';
import { EventsModule } from '../events/events.module.js';
import { HookRegistry } from './hooks/hook-registry.js';
import { TenantUserDirectory } from './tenant-user-directory.js';
import { UserMirror } from './user-mirror.js';
import { MoveIdentities } from './tier-move/move-identities.js';

/**
 * Operators' tenant management and the tenant registry. The only module that
 * imports the privileged database client; others use the services it exports.
 */
@Module({
  imports: [DatabaseModule, PrivilegedDatabaseModule, AuditModule, EventsModule],
  providers: [TenantUserDirectory, UserMirror, HookRegistry, MoveIdentities, OwnerTransactions],
  exports: [TenantUserDirectory, UserMirror, HookRegistry, MoveIdentities, OwnerTransactions],
})
export class TenantsModule {}
