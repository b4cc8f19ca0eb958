/**
 * Which Cognito pool and app client serve a tenant, whatever its model, and
 * which tenant a public (unauthenticated) request is for. Public requests name
 * their tenant by host (or `X-Tenant-Id`) or by an explicit `tenant` field; a
 * body can never override a host that names another tenant.
 */
import { Inject, Injectable } from '@nestjs/common';
import { type PasswordPolicy, findTier } from '@gatehouse/tiers';
import { ForbiddenError } from '../auth/auth.errors.js';
import type { TenantSnapshot } from '../auth/issuer-registry.js';
import { TrustedIssuersService } from '../auth/trusted-issuers.service.js';
import { NotFoundError, ValidationFailedError } from '../common/domain-error.js';
import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig } from '../config/config.schema.js';
import { type RouteHintInput, resolveRouteHint } from '../tenancy/route-hint.js';
import type { ClientRef, PoolRef } from './identity-provider.js';
import { IdentityError } from './identity.errors.js';

export interface TenantIdentity {
  readonly tenant: TenantSnapshot;
  readonly pool: PoolRef;
  /** The confidential Gatehouse client: every flow the API runs for the tenant's users goes through it. */
  readonly client: ClientRef;
  /** The public client front ends use at Cognito directly (published by tenant lookup). */
  readonly publicClient: ClientRef;
  readonly issuer: string;
  readonly passwordPolicy: PasswordPolicy;
  /** The tier allows self sign-up (its pools' `AllowAdminCreateUserOnly` is false); enforced here too, since the emulator ignores it. */
  readonly selfSignUp: boolean;
}

export const tenantNotFound = () => new NotFoundError('tenant', 'tenant_not_found');

@Injectable()
export class TenantIdentityResolver {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly issuers: TrustedIssuersService,
  ) {}

  /** The tenant a public request is for; refuses a body that contradicts the host. */
  forPublicRequest(route: RouteHintInput, explicitSlug: string | undefined): TenantIdentity {
    const tenant = this.namedByPublicRequest(route, explicitSlug);
    if (!tenant) {
      throw new ValidationFailedError([{ path: 'tenant', message: 'name the tenant (its slug), or call its own host' }]);
    }
    if (tenant.status === 'suspended') throw new ForbiddenError('tenant_suspended', 'This tenant is suspended.');
    return this.forTenant(tenant);
  }

  /** The tenant a public request names by host, header or field, if any; refuses a field that contradicts the host. */
  namedByPublicRequest(route: RouteHintInput, explicitSlug: string | undefined): TenantSnapshot | undefined {
    const hint = resolveRouteHint(route, this.issuers.registry, this.config.env.PUBLIC_BASE_DOMAIN);
    if (hint.kind === 'unmatched') throw tenantNotFound();
    const explicit = explicitSlug ? this.issuers.registry.tenantBySlug(explicitSlug) : undefined;
    if (explicitSlug && !explicit) throw tenantNotFound();
    if (hint.kind === 'tenant' && explicit && explicit.id !== hint.tenant.id) {
      throw new ForbiddenError('tenant_mismatch', 'The tenant field names a different tenant than this host.');
    }
    return hint.kind === 'tenant' ? hint.tenant : explicit;
  }

  forTenantId(tenantId: string): TenantIdentity {
    const tenant = this.issuers.registry.tenant(tenantId);
    if (!tenant) throw tenantNotFound();
    return this.forTenant(tenant);
  }

  forTenant(tenant: TenantSnapshot): TenantIdentity {
    const tier = findTier(this.config.tiers, tenant.tier);
    if (!tier) throw notReady();
    const passwordPolicy: PasswordPolicy = { ...tier.passwordPolicy, ...(tenant.passwordPolicy ?? {}) };
    if (tenant.model === 'silo') {
      if (!tenant.userPoolId || !tenant.issuer) throw notReady();
      const pool = { userPoolId: tenant.userPoolId, region: tenant.region };
      return this.withClients(
        { tenant, pool, issuer: tenant.issuer, passwordPolicy, selfSignUp: tier.selfSignUp },
        tenantClient(tenant, tenant.issuer, 'gatehouse'),
        tenantClient(tenant, tenant.issuer, 'public'),
      );
    }
    const shared = this.config.sharedPools.get(tenant.tier);
    if (!shared) throw notReady();
    const pool = { userPoolId: shared.userPoolId, region: shared.region };
    const [gatehouse, publicClient] =
      tenant.model === 'bridge'
        ? [tenantClient(tenant, shared.issuer, 'gatehouse'), tenantClient(tenant, shared.issuer, 'public')]
        : [shared.gatehouseClientId, shared.clientId];
    return this.withClients({ tenant, pool, issuer: shared.issuer, passwordPolicy, selfSignUp: tier.selfSignUp }, gatehouse, publicClient);
  }

  /**
   * The other side of a tier move (the target before cut-over, the source
   * after it), as a TenantIdentity of its own; undefined when the tenant is not moving.
   */
  forMovingSide(tenant: TenantSnapshot): (TenantIdentity & { direction: 'target' | 'source' | 'abandoned' }) | undefined {
    const side = tenant.movingWith;
    if (!side || !side.userPoolId || !side.issuer) return undefined;
    const tier = findTier(this.config.tiers, side.tier);
    if (!tier) return undefined;
    const passwordPolicy: PasswordPolicy = { ...tier.passwordPolicy, ...(side.model === 'silo' ? (tenant.passwordPolicy ?? {}) : {}) };
    const pool = { userPoolId: side.userPoolId, region: side.region };
    const shared = side.model === 'pool' ? this.config.sharedPools.get(side.tier) : undefined;
    const gatehouse = side.model === 'pool' ? shared?.gatehouseClientId : (side.gatehouseClientId ?? undefined);
    const publicClient = side.model === 'pool' ? shared?.clientId : (side.clientId ?? undefined);
    if (!gatehouse || !publicClient) return undefined;
    const identity = this.withClients({ tenant, pool, issuer: side.issuer, passwordPolicy, selfSignUp: tier.selfSignUp }, gatehouse, publicClient);
    return { ...identity, direction: side.direction };
  }

  private withClients(
    facts: Omit<TenantIdentity, 'client' | 'publicClient'>,
    gatehouseClientId: string | undefined,
    publicClientId: string | undefined,
  ): TenantIdentity {
    // Fail closed: without its Gatehouse client the API would have to use a client that cannot set the tenant attributes.
    if (!gatehouseClientId || !publicClientId) throw notReady();
    return {
      ...facts,
      client: { ...facts.pool, clientId: gatehouseClientId },
      publicClient: { ...facts.pool, clientId: publicClientId },
    };
  }
}

/** The tenant's own client of a role in the pool of `issuer` (clients registered before roles existed are public). */
function tenantClient(tenant: TenantSnapshot, issuer: string, role: 'public' | 'gatehouse'): string | undefined {
  return tenant.appClients.find((candidate) => candidate.issuer === issuer && (candidate.role ?? 'public') === role)?.clientId;
}

function notReady(): IdentityError {
  return new IdentityError(409, 'tenant_not_ready', 'This tenant is not ready for sign-in yet.');
}
