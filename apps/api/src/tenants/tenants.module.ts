import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module.js';
import { DatabaseModule } from '../database/database.module.js';
import { OwnerTransactions } from '../database/owner-transaction.js';
import { PrivilegedDatabaseModule } from '../database/privileged-database.module.js';
import { EventsModule } from '../events/events.module.js';
import { HookRegistry } from './hooks/hook-registry.js';
import { TenantUserDirectory } from './tenant-user-directory.js';
import { UserMirror } from './user-mirror.js';
import { IdentityProviderModule } from '../identity/identity-provider.module.js';
import { DeferredUsers } from './tier-move/deferred-users.js';
import { MoveIdentities } from './tier-move/move-identities.js';

/**
 * Operators' tenant management and the tenant registry. The only module that
 * imports the privileged database client; others use the services it exports.
 */
@Module({
  imports: [DatabaseModule, PrivilegedDatabaseModule, AuditModule, EventsModule, IdentityProviderModule],
  providers: [TenantUserDirectory, UserMirror, HookRegistry, MoveIdentities, DeferredUsers, OwnerTransactions],
  exports: [TenantUserDirectory, UserMirror, HookRegistry, MoveIdentities, DeferredUsers, OwnerTransactions],
})
export class TenantsModule {}
