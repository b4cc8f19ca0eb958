import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig } from '../config/config.schema.js';
import { DatabaseModule } from '../database/database.module.js';
import { Metrics } from '../observability/metrics.js';
import { Tracing } from '../observability/tracing.js';
import { TenantsModule } from '../tenants/tenants.module.js';
import { IdentityProviderModule } from '../identity/identity-provider.module.js';
import { AccessGuard } from './access.guard.js';
import { createGuardedJwksFetcher } from './guarded-jwks-fetcher.js';
import { JwksKeyStore } from './jwks-key-store.js';
import { PrincipalResolver } from './principal-resolver.js';
import { TokenVerifier, tokenVerifierOptions } from './token-verifier.js';
import { countVerifications, traceGuard } from './auth-telemetry.js';
import { TrustedIssuersService } from './trusted-issuers.service.js';

/**
 * Authentication: trusted issuers, keys, token verification, principal
 * resolution and the global guard. Every route of the API passes through AccessGuard.
 */
@Module({
  imports: [DatabaseModule, TenantsModule, IdentityProviderModule],
  providers: [
    TrustedIssuersService,
    {
      provide: JwksKeyStore,
      inject: [APP_CONFIG, Metrics],
      useFactory: (config: AppConfig, metrics: Metrics) =>
        new JwksKeyStore({
          refetchCooldownMs: config.env.JWKS_REFETCH_COOLDOWN_SECONDS * 1000,
          timeoutMs: config.env.JWKS_TIMEOUT_MS,
          // Loopback and private addresses only in local mode; checked again at every fetch.
          fetcher: createGuardedJwksFetcher({ allowPrivateAddresses: config.isLocal, timeoutMs: config.env.JWKS_TIMEOUT_MS }),
          onFetch: (outcome) => metrics.jwksFetches.inc({ outcome }),
        }),
    },
    {
      provide: TokenVerifier,
      inject: [APP_CONFIG, TrustedIssuersService, JwksKeyStore, Metrics],
      useFactory: (config: AppConfig, issuers: TrustedIssuersService, keys: JwksKeyStore, metrics: Metrics) =>
        countVerifications(new TokenVerifier(issuers, keys, tokenVerifierOptions(config)), metrics),
    },
    PrincipalResolver,
    AccessGuard,
    { provide: APP_GUARD, inject: [AccessGuard, Tracing], useFactory: traceGuard },
  ],
  exports: [TrustedIssuersService, JwksKeyStore, TokenVerifier, PrincipalResolver],
})
export class AuthModule {}
