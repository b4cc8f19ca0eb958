import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module.js';
import { DatabaseModule } from '../database/database.module.js';
import { HooksModule } from '../events/hooks/hooks.module.js';
import { RateLimitsModule } from '../rate-limits/rate-limits.module.js';
import { TenantsModule } from '../tenants/tenants.module.js';
import { AuthController } from './auth.controller.js';
import { AuthFlowsService } from './auth-flows.service.js';
import { CognitoEventsController } from './cognito-events.js';
import { IdentityProviderModule } from './identity-provider.module.js';
import { MeController } from './me.controller.js';
import { MeService } from './me.service.js';
import { PasswordMigration } from './password-migration.js';
import { ChallengeHandleLedger } from './challenges/challenge-handle-ledger.js';
import { SignInSteps } from './challenges/sign-in-steps.js';
import { OperatorAuthController } from './operator-auth.controller.js';
import { OperatorAuthService } from './operator-auth.service.js';
import { TenantIdentityResolver } from './tenant-identity.js';
import { TenantLookupController } from './tenant-lookup.controller.js';
import { UserMigrationController } from './user-migration.controller.js';
import { UserMigrationService } from './user-migration.service.js';

/** The public sign-up / sign-in API, the signed-in user's own endpoints, and public tenant routing. */
@Module({
  imports: [AuthModule, DatabaseModule, TenantsModule, IdentityProviderModule, RateLimitsModule, HooksModule],
  controllers: [AuthController, MeController, TenantLookupController, OperatorAuthController, CognitoEventsController, UserMigrationController],
  providers: [AuthFlowsService, PasswordMigration, UserMigrationService, MeService, TenantIdentityResolver, SignInSteps, ChallengeHandleLedger, OperatorAuthService],
  exports: [TenantIdentityResolver],
})
export class IdentityModule {}
