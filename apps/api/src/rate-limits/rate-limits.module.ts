import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module.js';
import { PublicRateLimitGuard } from './public-rate-limit.guard.js';
import { RateLimits } from './rate-limits.service.js';

/** Rate limits shared across replicas (Redis or Postgres) and the guard of the public identity routes. */
@Module({
  imports: [AuthModule],
  providers: [RateLimits, PublicRateLimitGuard],
  exports: [RateLimits, PublicRateLimitGuard],
})
export class RateLimitsModule {}
