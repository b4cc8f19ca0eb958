import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module.js';
import { DatabaseModule } from '../database/database.module.js';
import { RateLimitsModule } from '../rate-limits/rate-limits.module.js';
import { TenantsModule } from '../tenants/tenants.module.js';
import { AuthController } from './auth.controller.js';
import { AuthFlowsService } from './auth-flows.service.js';
import { IdentityProviderModule } from './identity-provider.module.js';
import { MeController } from './me.controller.js';
import { MeService } from './me.service.js';
import { TenantIdentityResolver } from './tenant-identity.js';
import { TenantLookupController } from './tenant-lookup.controller.js';

/** The public sign-up / sign-in API, the signed-in user's own endpoints, and public tenant routing. */
@Module({
  imports: [AuthModule, DatabaseModule, TenantsModule, IdentityProviderModule, RateLimitsModule],
  controllers: [AuthController, MeController, TenantLookupController],
  providers: [AuthFlowsService, MeService, TenantIdentityResolver],
  exports: [TenantIdentityResolver],
})
export class IdentityModule {}
