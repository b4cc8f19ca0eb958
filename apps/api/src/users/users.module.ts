import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module.js';
import { DatabaseModule } from '../database/database.module.js';
import { EventsModule } from '../events/events.module.js';
import { IdentityProviderModule } from '../identity/identity-provider.module.js';
import { IdentityModule } from '../identity/identity.module.js';
import { TenantsModule } from '../tenants/tenants.module.js';
import { UsersController } from './users.controller.js';
import { UsersService } from './users.service.js';

/**
 * Tenant admins' user management. Tenant data through TenantDb (row-level
 * security), never the privileged client; the tenant's pool from
 * TenantIdentityResolver (IdentityModule); the guard's user cache
 * (TenantsModule) evicted after each change.
 */
@Module({
  imports: [AuditModule, DatabaseModule, EventsModule, IdentityModule, IdentityProviderModule, TenantsModule],
  controllers: [UsersController],
  providers: [UsersService],
})
export class UsersModule {}
