/**
 * Operators attach identity providers federated through Cognito to a bridge or
 * silo tenant: the provider in the tenant's pool (silo: its own; bridge: the
 * tier's, listed only on the tenant's own public client), the public client
 * switched to the authorization-code flow for its providers, the pool's hosted
 * UI domain, and a registry row (lookup's `cognito-hosted` entries, federated
 * users' default role).
 *
 * Consistency: each change runs inside one privileged transaction that holds
 * the tenant's row lock, so changes to one tenant are serialised, and the row
 * and its audit event commit only after Cognito accepted everything. If
 * Cognito refuses a later step, the provider created earlier in the same call
 * is deleted again; nothing is written to the database.
 */
import { Inject, Injectable, Logger } from '@nestjs/common';
import { AuditService } from '../../audit/audit.service.js';
import { EventsService } from '../../events/events.service.js';
import { TrustedIssuersService } from '../../auth/trusted-issuers.service.js';
import { ConflictError, NotFoundError } from '../../common/domain-error.js';
import { isUniqueViolation } from '../../common/database-errors.js';
import { APP_CONFIG } from '../../config/config.module.js';
import type { AppConfig } from '../../config/config.schema.js';
import { PrivilegedPrismaService } from '../../database/privileged-database.module.js';
import type { TransactionClient } from '../../database/prisma-client.js';
import { hostedUiDomainPrefix } from '../../identity/cognito/federation-requests.js';
import { IdentityProvider, type PoolRef } from '../../identity/identity-provider.js';
import { IdentityError } from '../../identity/identity.errors.js';
import { parseState } from '../provisioning/provisioning-state.js';
import { ProvisioningService } from '../provisioning/provisioning.service.js';
import { invalidTenantState, tenantNotFound, tierMoveInProgress } from '../tenants.errors.js';
import { hasEnded, parseMoveState } from '../tier-move/tier-move-state.js';
import { type ClientFederatedProvider, type FederatedClientTarget, configureFederatedClient } from './federated-client.js';
import { assertFederationAvailable, checkFederatedProvider, providerName, publicProviderView } from './federated-provider.js';
import type { AddFederatedProvider, FederatedProviderList, FederatedProviderView } from './federated-providers.dto.js';

export const federatedProviderNotFound = () => new NotFoundError('federated provider', 'federated_provider_not_found');
const nameTaken = (name: string) => new ConflictError('federated_provider_name_taken', `The tenant already has a provider named ${name}.`);
const poolNameTaken = () =>
  new ConflictError('federated_provider_name_taken', 'The tenant’s user pool already has an identity provider of this name (another tenant of the tier may use it).');
/** The identity provider (the local emulator) cannot federate: a clean 409, never a 5xx. */
const federationUnsupported = () =>
  new ConflictError('federation_not_supported_by_identity_provider', 'This deployment’s identity provider (the Cognito emulator) cannot federate sign-in.');

/** Interactive transactions here wait for Cognito; give them room on a busy machine. */
const TRANSACTION = { timeout: 60_000, maxWait: 10_000 } as const;

type ProviderRow = {
  name: string;
  type: string;
  displayName: string;
  defaultRole: string;
  settings: unknown;
  callbackUrls: string[];
  logoutUrls: string[];
  hostedUiDomain: string;
  createdAt: Date;
};

@Injectable()
export class FederatedProvidersService {
  private readonly logger = new Logger(FederatedProvidersService.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly privileged: PrivilegedPrismaService,
    private readonly identity: IdentityProvider,
    private readonly provisioning: ProvisioningService,
    private readonly audit: AuditService,
    private readonly events: EventsService,
    private readonly issuers: TrustedIssuersService,
  ) {}

  async list(tenantId: string): Promise<FederatedProviderList> {
    const tenant = await this.privileged.client.tenant.findUnique({
      where: { id: tenantId },
      select: { federatedProviders: { orderBy: { createdAt: 'asc' } } },
    });
    if (!tenant) throw tenantNotFound();
    return { items: tenant.federatedProviders.map(toView) };
  }

  async add(tenantId: string, input: AddFederatedProvider): Promise<FederatedProviderView> {
    const provider = checkFederatedProvider(input.provider);
    const name = providerName(provider);
    let view: FederatedProviderView;
    try {
      view = await this.privileged.client.$transaction(async (tx) => {
        const tenant = await this.lockTenant(tx, tenantId);
        if (tenant.federatedProviders.some((existing) => existing.name === name)) throw nameTaken(name);
        // Bridge tenants of a tier share one pool, where a provider name (and so each social type) exists once.
        if (tenant.isolationModel === 'bridge') {
          const inPool = await tx.tenantFederatedProvider.count({ where: { name, tenant: { tier: tenant.tier, isolationModel: 'bridge' } } });
          if (inPool > 0) throw nameTaken(name);
        }
        const target = this.target(tenant);
        const hostedUiDomain = await this.cognito(() =>
          this.identity.ensureHostedUiDomain(target.pool, hostedUiDomainPrefix(this.config.env.GATEHOUSE_DEPLOYMENT, tenant.slug)),
        );
        await this.cognito(() => this.identity.createFederatedProvider(target.pool, provider));
        const providers = [...tenant.federatedProviders, { name, callbackUrls: input.callbackUrls, logoutUrls: input.logoutUrls }];
        try {
          await this.cognito(() => this.configureClient(target, providers));
        } catch (error) {
          // Nothing may stay half-done in Cognito either: the client still lists the old providers only.
          await this.identity.deleteFederatedProvider(target.pool, name).catch((cleanup: unknown) => {
            this.logger.error(`could not delete provider ${name} of tenant ${tenantId} after a failed client update: ${String(cleanup)}`);
          });
          throw error;
        }
        const row = await tx.tenantFederatedProvider.create({
          data: {
            tenantId,
            name,
            type: provider.type,
            displayName: provider.displayName,
            defaultRole: provider.defaultRole,
            settings: publicProviderView(provider) as object,
            callbackUrls: input.callbackUrls,
            logoutUrls: input.logoutUrls,
            hostedUiDomain,
          },
        });
        await this.audit.record(tx, {
          action: 'tenant.federated_provider.add',
          tenantId,
          target: `federated-provider:${name}`,
          // Never a secret: the public view only.
          details: { type: provider.type, callbackUrls: input.callbackUrls, attributeMapping: provider.attributeMapping, defaultRole: provider.defaultRole },
        });
        await this.events.emit(tx, {
          type: 'identity_provider.added',
          data: { tenantId, identityProviderId: row.id, federated: { name, type: provider.type } },
        });
        return toView(row);
      }, TRANSACTION);
    } catch (error) {
      if (isUniqueViolation(error)) throw nameTaken(name);
      throw error;
    }
    await this.issuers.refreshTenant(tenantId);
    return view;
  }

  async remove(tenantId: string, name: string): Promise<void> {
    await this.privileged.client.$transaction(async (tx) => {
      const tenant = await this.lockTenant(tx, tenantId);
      const removed = tenant.federatedProviders.find((existing) => existing.name === name);
      if (!removed) throw federatedProviderNotFound();
      const target = this.target(tenant);
      // Detach from the client first: from then on nobody can sign in through it, whatever happens next.
      await this.cognito(() => this.configureClient(target, tenant.federatedProviders.filter((existing) => existing.name !== name)));
      await this.cognito(() => this.identity.deleteFederatedProvider(target.pool, name));
      await tx.tenantFederatedProvider.delete({ where: { tenantId_name: { tenantId, name } } });
      await this.audit.record(tx, { action: 'tenant.federated_provider.remove', tenantId, target: `federated-provider:${name}` });
      await this.events.emit(tx, {
        type: 'identity_provider.removed',
        data: { tenantId, identityProviderId: removed.id, federated: { name, type: removed.type } },
      });
    }, TRANSACTION);
    await this.issuers.refreshTenant(tenantId);
  }

  private async lockTenant(tx: TransactionClient, tenantId: string) {
    const locked = await tx.$queryRaw<{ id: string }[]>`SELECT id FROM tenants WHERE id = ${tenantId}::uuid FOR UPDATE`;
    if (locked.length === 0) throw tenantNotFound();
    const tenant = await tx.tenant.findUniqueOrThrow({
      where: { id: tenantId },
      include: { appClients: true, federatedProviders: { orderBy: { createdAt: 'asc' } } },
    });
    // The pool model first: it is the answer whatever the tenant's state.
    assertFederationAvailable(tenant.isolationModel);
    if (tenant.status !== 'active' && tenant.status !== 'suspended') throw invalidTenantState(tenant.status, 'changed');
    // A move re-creates the providers it found at its start on the target: a change meanwhile would be lost on one side.
    const move = parseMoveState(tenant.tierMove);
    if (move && !hasEnded(move)) throw tierMoveInProgress();
    return tenant;
  }

  /** The tenant's pool and public client, and the contract that created that client. */
  private target(tenant: Awaited<ReturnType<FederatedProvidersService['lockTenant']>>): FederatedClientTarget {
    const pool: PoolRef | undefined =
      tenant.isolationModel === 'silo'
        ? tenant.userPoolId
          ? { userPoolId: tenant.userPoolId, region: tenant.region }
          : undefined
        : this.config.sharedPools.get(tenant.tier);
    const clientId = tenant.appClients.find((client) => client.dedicated && client.role === 'public')?.clientId;
    if (!pool || !clientId) throw invalidTenantState(tenant.status, 'given identity providers before it is provisioned');
    const contract = this.provisioning.publicClientContract({
      id: tenant.id,
      slug: tenant.slug,
      name: tenant.name,
      tier: tenant.tier,
      model: tenant.isolationModel,
      region: tenant.region,
      status: tenant.status,
      passwordPolicy: tenant.passwordPolicy,
      mfaPolicy: tenant.mfaPolicy,
    });
    const tokenValidity = parseState(tenant.provisioning).request.tokenValidity;
    return { pool: { userPoolId: pool.userPoolId, region: pool.region }, clientId, ...contract, ...(tokenValidity ? { tokenValidity } : {}) };
  }

  /** The public client with the hosted UI for exactly these providers (none left: code flow off again). */
  private configureClient(target: FederatedClientTarget, providers: readonly ClientFederatedProvider[]): Promise<void> {
    return configureFederatedClient(this.identity, target, providers);
  }

  /** The emulator's "not supported" becomes a clean 409; every other Cognito answer keeps its mapping (503 when down). */
  private async cognito<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (error instanceof IdentityError && error.code === 'not_supported_by_identity_provider') throw federationUnsupported();
      // Left unmapped by the shared Cognito mapping: a provider of that name already exists in the pool.
      if ((error as { name?: string })?.name === 'DuplicateProviderException') throw poolNameTaken();
      throw error;
    }
  }
}

function toView(row: ProviderRow): FederatedProviderView {
  return {
    name: row.name,
    type: row.type as FederatedProviderView['type'],
    displayName: row.displayName,
    defaultRole: row.defaultRole === 'viewer' ? 'viewer' : 'member',
    callbackUrls: row.callbackUrls,
    logoutUrls: row.logoutUrls,
    hostedUiDomain: row.hostedUiDomain,
    settings: (row.settings ?? {}) as Record<string, unknown>,
    createdAt: row.createdAt.toISOString(),
  };
}
