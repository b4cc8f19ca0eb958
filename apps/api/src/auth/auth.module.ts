import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig } from '../config/config.schema.js';
import { DatabaseModule } from '../database/database.module.js';
import { TenantsModule } from '../tenants/tenants.module.js';
import { AccessGuard } from './access.guard.js';
import { createGuardedJwksFetcher } from './guarded-jwks-fetcher.js';
import { JwksKeyStore } from './jwks-key-store.js';
import { PrincipalResolver } from './principal-resolver.js';
import { TokenVerifier, tokenVerifierOptions } from './token-verifier.js';
import { TrustedIssuersService } from './trusted-issuers.service.js';

/**
 * Authentication: trusted issuers, keys, token verification, principal
 * resolution and the global guard. Every route of the API passes through AccessGuard.
 */
@Module({
  imports: [DatabaseModule, TenantsModule],
  providers: [
    TrustedIssuersService,
    {
      provide: JwksKeyStore,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) =>
        new JwksKeyStore({
          refetchCooldownMs: config.env.JWKS_REFETCH_COOLDOWN_SECONDS * 1000,
          timeoutMs: config.env.JWKS_TIMEOUT_MS,
          // Loopback and private addresses only in local mode; checked again at every fetch.
          fetcher: createGuardedJwksFetcher({ allowPrivateAddresses: config.isLocal, timeoutMs: config.env.JWKS_TIMEOUT_MS }),
        }),
    },
    {
      provide: TokenVerifier,
      inject: [APP_CONFIG, TrustedIssuersService, JwksKeyStore],
      useFactory: (config: AppConfig, issuers: TrustedIssuersService, keys: JwksKeyStore) =>
        new TokenVerifier(issuers, keys, tokenVerifierOptions(config)),
    },
    PrincipalResolver,
    { provide: APP_GUARD, useClass: AccessGuard },
  ],
  exports: [TrustedIssuersService, JwksKeyStore, TokenVerifier, PrincipalResolver],
})
export class AuthModule {}
