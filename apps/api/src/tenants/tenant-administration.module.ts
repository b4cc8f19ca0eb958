import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module.js';
import { AuthModule } from '../auth/auth.module.js';
import { PrivilegedDatabaseModule } from '../database/privileged-database.module.js';
import { EventsModule } from '../events/events.module.js';
import { IdentityProviderModule } from '../identity/identity-provider.module.js';
import { AdminAuditController } from './admin-audit.controller.js';
import { AuditRetention } from './audit-retention.js';
import { HookAdministration } from './hooks/hook-administration.service.js';
import { AdminHooksController, HooksController } from './hooks/hooks.controller.js';
import { TenantsModule } from './tenants.module.js';
import { CognitoCapacityController, CognitoCapacityService } from './cognito-capacity.js';
import { CognitoCapacityPublisher } from './cognito-capacity-metrics.js';
import { DnsTxtLookup } from './domains/dns-txt-lookup.js';
import { EmailDomainsService } from './domains/email-domains.service.js';
import { IdentityProviderSignInController } from './identity-provider-sign-in.controller.js';
import { IdentityProviderSignInService } from './identity-provider-sign-in.service.js';
import { ProvisioningFaults } from './provisioning/provisioning-faults.js';
import { ProvisioningService } from './provisioning/provisioning.service.js';
import { SignUpSettingsController } from './sign-up-settings.controller.js';
import { SignUpSettingsService } from './sign-up-settings.service.js';
import { TenantsController } from './tenants.controller.js';
import { FederatedProvidersController } from './federation/federated-providers.controller.js';
import { FederatedProvidersService } from './federation/federated-providers.service.js';
import { TenantsService } from './tenants.service.js';
import { TierMoveController } from './tier-move/tier-move.controller.js';
import { TierMoveFaults } from './tier-move/tier-move-faults.js';
import { TierMoveFederation } from './tier-move/federation-move.js';
import { TierMoveService } from './tier-move/tier-move.service.js';

/**
 * Operators' side of the tenants context: the admin API, the provisioning
 * state machine, the platform audit log.
 *
 * Why a second module next to TenantsModule: the guard (AuthModule) needs
 * TenantsModule's user directory, and this module needs AuthModule's
 * TrustedIssuersService to refresh the registry right after its commits.
 * Keeping the directory (low level, no auth dependency) and the
 * administration (depends on auth) in two modules makes the graph a line —
 * TenantsModule ← AuthModule ← TenantAdministrationModule — with no
 * forwardRef and no late-bound callback. Both hold the privileged client;
 * nothing outside apps/api/src/tenants does.
 */
@Module({
  imports: [AuthModule, AuditModule, EventsModule, IdentityProviderModule, PrivilegedDatabaseModule, TenantsModule],
  controllers: [
    TenantsController,
    TierMoveController,
    AdminAuditController,
    SignUpSettingsController,
    CognitoCapacityController,
    HooksController,
    AdminHooksController,
    IdentityProviderSignInController,
    FederatedProvidersController,
  ],
  providers: [
    TenantsService,
    ProvisioningService,
    ProvisioningFaults,
    DnsTxtLookup,
    EmailDomainsService,
    SignUpSettingsService,
    CognitoCapacityService,
    TierMoveService,
    TierMoveFaults,
    TierMoveFederation,
    CognitoCapacityPublisher,
    AuditRetention,
    HookAdministration,
    FederatedProvidersService,
    IdentityProviderSignInService,
  ],
  exports: [TenantsService, ProvisioningService, TierMoveService],
})
export class TenantAdministrationModule {}
