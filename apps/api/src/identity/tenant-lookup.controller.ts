import { Controller, Get, Inject, Query, UseGuards } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiProblemResponse } from '../common/openapi/problem-responses.js';
import { ApiZodResponse } from '../common/openapi/response-schemas.js';
import { Public } from '../auth/access.decorators.js';
import { PublicRateLimitGuard } from '../rate-limits/public-rate-limit.guard.js';
import type { TenantSnapshot } from '../auth/issuer-registry.js';
import { TrustedIssuersService } from '../auth/trusted-issuers.service.js';
import { ApiZodQuery, ZodValidationPipe } from '../common/zod-validation.js';
import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig } from '../config/config.schema.js';
import { resolveRouteHint } from '../tenancy/route-hint.js';
import { type TenantLookupQuery, tenantLookupQuerySchema } from './dto/auth.dto.js';
import { type TenantLookup, tenantLookupSchema } from './dto/tenant-lookup.dto.js';
import { oidcSsoOptions } from './sso-options.js';
import { TenantIdentityResolver, tenantNotFound } from './tenant-identity.js';
import { type SsoOption, lookupCognito, lookupCognitoHostedSso } from './tenant-lookup.view.js';

/**
 * Public tenant routing: which tenant a host, an e-mail domain or a slug
 * belongs to, and what a client needs to talk to its Cognito pool directly.
 * Nothing secret; every lookup is an in-memory map access, so a miss costs the
 * same as a hit, and a miss is one 404 whatever was asked.
 */
@ApiTags('tenants')
@Public()
@UseGuards(PublicRateLimitGuard)
@ApiProblemResponse(429, '`too_many_requests` with Retry-After: a per-address, per-tenant or per-(tenant, e-mail) rate limit')
@Controller('v1/tenants')
export class TenantLookupController {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly issuers: TrustedIssuersService,
    private readonly tenants: TenantIdentityResolver,
  ) {}

  @Get('lookup')
  @ApiOperation({ operationId: 'lookupTenant', summary: 'Find a tenant by host, e-mail (domain) or slug, with its sign-in settings' })
  @ApiZodQuery(tenantLookupQuerySchema)
  @ApiZodResponse(200, 'TenantLookup', tenantLookupSchema)
  @ApiProblemResponse(404, '`tenant_not_found`: no active tenant for what was asked (one answer for every miss)')
  lookup(@Query(new ZodValidationPipe(tenantLookupQuerySchema)) query: TenantLookupQuery): TenantLookup {
    const registry = this.issuers.registry;
    let tenant: TenantSnapshot | undefined;
    if (query.host) {
      const hint = resolveRouteHint({ hostname: query.host, tenantHeader: undefined }, registry, this.config.env.PUBLIC_BASE_DOMAIN);
      tenant = hint.kind === 'tenant' ? hint.tenant : undefined;
    }
    else if (query.email) tenant = registry.tenantByEmailDomain(query.email.split('@').pop() ?? '');
    else if (query.slug) tenant = registry.tenantBySlug(query.slug);
    if (!tenant || tenant.status !== 'active') throw tenantNotFound();
    const target = this.tenants.forTenant(tenant);
    return {
      tenant: { slug: tenant.slug, name: tenant.name, tier: tenant.tier, model: tenant.model },
      cognito: lookupCognito(target, { mode: this.config.env.GATEHOUSE_MODE, cognitoEndpoint: this.config.env.COGNITO_ENDPOINT }),
      identityProviders: tenant.identityProviders.filter((provider) => provider.enabled).map((provider) => ({ issuer: provider.issuer })),
      sso: [...oidcSsoOptions(tenant), ...lookupCognitoHostedSso(target)] satisfies SsoOption[],
    };
  }
}
