import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { PassportModule } from '@nestjs/passport';
import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig } from '../config/config.schema.js';
import { DatabaseModule } from '../database/database.module.js';
import { TenantsModule } from '../tenants/tenants.module.js';
import { AccessGuard } from './access.guard.js';
import { GatehouseJwtStrategy } from './gatehouse-jwt.strategy.js';
import { JwksKeyStore } from './jwks-key-store.js';
import { PrincipalResolver } from './principal-resolver.js';
import { TrustedIssuersService } from './trusted-issuers.service.js';

/**
 * Authentication: trusted issuers, keys, the passport-jwt strategy and the
 * global guard. Every route of the API passes through AccessGuard.
 */
@Module({
  imports: [PassportModule, DatabaseModule, TenantsModule],
  providers: [
    TrustedIssuersService,
    {
      provide: JwksKeyStore,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) =>
        new JwksKeyStore({
          refetchCooldownMs: config.env.JWKS_REFETCH_COOLDOWN_SECONDS * 1000,
          timeoutMs: config.env.JWKS_TIMEOUT_MS,
        }),
    },
    PrincipalResolver,
    GatehouseJwtStrategy,
    { provide: APP_GUARD, useClass: AccessGuard },
  ],
  exports: [TrustedIssuersService, JwksKeyStore],
})
export class AuthModule {}
