/**
 * Operators turn a tenant's registered OpenID Connect provider into a sign-in
 * button: a public client id (registered at the provider with the front end's
 * redirect URIs), the scopes to ask for, and the endpoints from the provider's
 * discovery document. Tenant lookup then offers it as `sso: [{kind: 'oidc', …}]`,
 * and the front end runs the code flow with PKCE; the provider's access tokens
 * are already trusted as bearer tokens for this tenant (issuer + audience).
 */
import { Inject, Injectable } from '@nestjs/common';
import { AuditService } from '../audit/audit.service.js';
import { createGuardedJsonFetcher } from '../auth/guarded-jwks-fetcher.js';
import { TrustedIssuersService } from '../auth/trusted-issuers.service.js';
import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig } from '../config/config.schema.js';
import { PrivilegedPrismaService } from '../database/privileged-database.module.js';
import type { BrowserSignIn } from './dto/browser-sign-in.dto.js';
import { discoverBrowserEndpoints } from './oidc-browser-sign-in.js';
import { identityProviderNotFound, invalidTenantState, tenantNotFound } from './tenants.errors.js';
import { resolveHost } from '../auth/outbound-url.js';

export interface BrowserSignInView {
  readonly providerId: string;
  readonly issuer: string;
  readonly clientId: string | null;
  readonly scopes: readonly string[];
  readonly authorizationEndpoint: string | null;
  readonly tokenEndpoint: string | null;
}

@Injectable()
export class IdentityProviderSignInService {
  /** The DNS resolver for discovery URLs; replaced by tests that need a name to resolve somewhere chosen. */
  resolveHost = resolveHost;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly privileged: PrivilegedPrismaService,
    private readonly audit: AuditService,
    private readonly issuers: TrustedIssuersService,
  ) {}

  async enable(tenantId: string, providerId: string, input: BrowserSignIn): Promise<BrowserSignInView> {
    const provider = await this.provider(tenantId, providerId);
    const policy = { allowPrivateAddresses: this.config.isLocal };
    const fetchJson = createGuardedJsonFetcher(
      { ...policy, timeoutMs: this.config.env.JWKS_TIMEOUT_MS, resolve: (host) => this.resolveHost(host) },
      'discovery',
    );
    // Outside the transaction: a slow provider must not hold the tenant's row lock.
    const endpoints = await discoverBrowserEndpoints(provider.issuer, fetchJson, policy);
    await this.privileged.client.$transaction(async (tx) => {
      await this.lockActiveTenant(tx, tenantId);
      const { count } = await tx.tenantIdentityProvider.updateMany({
        where: { id: providerId, tenantId },
        data: { browserClientId: input.clientId, browserScopes: [...input.scopes], ...endpoints },
      });
      if (count === 0) throw identityProviderNotFound();
      await this.audit.record(tx, {
        action: 'tenant.identity_provider.browser_sign_in.enable',
        tenantId,
        target: `identity-provider:${providerId}`,
        details: { clientId: input.clientId, scopes: input.scopes, authorizationEndpoint: endpoints.authorizationEndpoint },
      });
    });
    await this.issuers.refreshTenant(tenantId);
    return this.view(tenantId, providerId);
  }

  async disable(tenantId: string, providerId: string): Promise<void> {
    await this.privileged.client.$transaction(async (tx) => {
      await this.lockActiveTenant(tx, tenantId);
      const { count } = await tx.tenantIdentityProvider.updateMany({
        where: { id: providerId, tenantId },
        data: { browserClientId: null, authorizationEndpoint: null, tokenEndpoint: null },
      });
      if (count === 0) throw identityProviderNotFound();
      await this.audit.record(tx, { action: 'tenant.identity_provider.browser_sign_in.disable', tenantId, target: `identity-provider:${providerId}` });
    });
    await this.issuers.refreshTenant(tenantId);
  }

  async view(tenantId: string, providerId: string): Promise<BrowserSignInView> {
    const provider = await this.provider(tenantId, providerId);
    return {
      providerId: provider.id,
      issuer: provider.issuer,
      clientId: provider.browserClientId,
      scopes: provider.browserScopes,
      authorizationEndpoint: provider.authorizationEndpoint,
      tokenEndpoint: provider.tokenEndpoint,
    };
  }

  private async provider(tenantId: string, providerId: string) {
    const tenant = await this.privileged.client.tenant.findUnique({ where: { id: tenantId }, select: { id: true } });
    if (!tenant) throw tenantNotFound();
    const provider = await this.privileged.client.tenantIdentityProvider.findFirst({ where: { id: providerId, tenantId } });
    if (!provider) throw identityProviderNotFound();
    return provider;
  }

  private async lockActiveTenant(tx: Parameters<Parameters<PrivilegedPrismaService['client']['$transaction']>[0]>[0], tenantId: string) {
    const rows = await tx.$queryRaw<{ status: string }[]>`SELECT status::text AS status FROM tenants WHERE id = ${tenantId}::uuid FOR UPDATE`;
    const status = rows[0]?.status;
    if (!status) throw tenantNotFound();
    if (status === 'deleting' || status === 'deleted') throw invalidTenantState(status, 'changed');
  }
}
