import { type DynamicModule, Module } from '@nestjs/common';
import { AuditModule } from './audit/audit.module.js';
import { AuthModule } from './auth/auth.module.js';
import { ConfigModule } from './config/config.module.js';
import type { AppConfig } from './config/config.schema.js';
import { WebhooksModule } from './events/webhooks.module.js';
import { HealthModule } from './health/health.module.js';
import { IdentityModule } from './identity/identity.module.js';
import { ObservabilityModule } from './observability/observability.module.js';
import { ProjectsModule } from './projects/projects.module.js';
import { TenantAdministrationModule } from './tenants/tenant-administration.module.js';
import { UsersModule } from './users/users.module.js';

@Module({})
export class AppModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [ConfigModule.forRoot(config), ObservabilityModule, AuthModule, HealthModule, IdentityModule, ProjectsModule, TenantAdministrationModule, AuditModule, UsersModule, WebhooksModule],
    };
  }
}
