/**
 * Applies the rate limits to the public identity routes (`@UseGuards` on their
 * controllers), before the handler or the body validation runs: a refused
 * request costs no Cognito call and no database query.
 *
 * The tenant is read the way the flows read it (host hint, else the `tenant`
 * field), from the in-memory registry only; a request that names no known
 * tenant is still limited per address, and the handler then refuses it.
 */
import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { TrustedIssuersService } from '../auth/trusted-issuers.service.js';
import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig } from '../config/config.schema.js';
import { resolveRouteHint } from '../tenancy/route-hint.js';
import { type LimitName, RateLimits } from './rate-limits.service.js';

/** Routes whose (tenant, e-mail) is limited: each sends an e-mail or checks a code or challenge answer. */
const PER_USER_ROUTES: ReadonlySet<string> = new Set([
  '/v1/auth/sign-up',
  '/v1/auth/confirm-sign-up',
  '/v1/auth/resend-code',
  '/v1/auth/forgot-password',
  '/v1/auth/confirm-forgot-password',
  '/v1/auth/challenge',
]);
const SIGN_IN_ROUTE = '/v1/auth/sign-in';

function stringField(body: unknown, field: string): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const value = (body as Record<string, unknown>)[field];
  return typeof value === 'string' && value.length > 0 && value.length <= 320 ? value : undefined;
}

@Injectable()
export class PublicRateLimitGuard implements CanActivate {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly issuers: TrustedIssuersService,
    private readonly limits: RateLimits,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const route = request.routeOptions.url ?? '';
    const checks: [LimitName, string][] = [['address', request.ip]];
    if (route === SIGN_IN_ROUTE) checks.push(['sign_in_address', request.ip]);

    const tenantId = this.tenantOf(request);
    if (tenantId) {
      checks.push(['tenant', tenantId]);
      const email = stringField(request.body, 'email');
      if (email && PER_USER_ROUTES.has(route)) checks.push(['user', RateLimits.userSubject(tenantId, email)]);
    }
    await this.limits.consume(checks);
    return true;
  }

  private tenantOf(request: FastifyRequest): string | undefined {
    const registry = this.issuers.registry;
    const hint = resolveRouteHint(
      { hostname: request.hostname, tenantHeader: request.headers['x-tenant-id'] },
      registry,
      this.config.env.PUBLIC_BASE_DOMAIN,
    );
    if (hint.kind === 'tenant') return hint.tenant.id;
    const slug = stringField(request.body, 'tenant');
    return slug ? registry.tenantBySlug(slug)?.id : undefined;
  }
}
