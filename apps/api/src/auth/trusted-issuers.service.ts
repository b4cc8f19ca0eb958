/**
 * Keeps the {@link IssuerRegistry} current: built at boot from the configured
 * shared pools and the tenant registry tables, then updated one tenant at a
 * time when Postgres notifies a change (from this replica or any other), and
 * rebuilt in full after the notification connection was lost.
 */
import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { OPERATORS_POOL_KEY, type SignInAlias, parseMfaPolicy } from '@gatehouse/tiers';
import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig } from '../config/config.schema.js';
import { DatabaseChangeListener } from '../database/database-change-listener.js';
import { PrismaService } from '../database/prisma.service.js';
import { otherSide, parseMoveState } from '../tenants/tier-move/tier-move-state.js';
import {
  type ClaimMapping,
  IssuerRegistry,
  type SharedPoolSource,
  type TenantSnapshot,
} from './issuer-registry.js';

const COGNITO_ISSUER = /^https:\/\/cognito-idp\.[a-z0-9-]+\.amazonaws\.com\/[\w-]+_[0-9A-Za-z]+$/;

const COGNITO_HOST = /^https:\/\/cognito-idp\.[a-z0-9-]+\.amazonaws\.com\//;

function emulatorIssuerPrefix(config: AppConfig): string | undefined {
  return config.env.COGNITO_ENDPOINT ? `${config.env.COGNITO_ENDPOINT.replace(/\/+$/, '')}/` : undefined;
}

/**
 * A URL on Cognito's issuer host, or (with an emulator configured) the
 * emulator's: a Cognito pool, never a tenant's own "external" provider.
 */
export function isCognitoIssuerUrl(issuer: string, config: AppConfig): boolean {
  const emulator = emulatorIssuerPrefix(config);
  return COGNITO_HOST.test(issuer) || (emulator !== undefined && issuer.startsWith(emulator));
}

/**
 * Which issuer URLs may be trusted at all. Cognito issuers: in AWS mode only
 * Cognito's own HTTPS issuers; the emulator's (which all share one published
 * signing key) only in local mode. External providers: HTTPS (plain HTTP on
 * loopback test servers in local mode), and never a Cognito URL.
 */
export function issuerAcceptor(config: AppConfig): (issuer: string, kind: 'cognito' | 'external') => boolean {
  const emulator = config.isLocal ? emulatorIssuerPrefix(config) : undefined;
  const externalScheme = config.isLocal ? /^https?:\/\/[^/\s]+/ : /^https:\/\/[^/\s]+/;
  return (issuer, kind) => {
    if (kind === 'external') return externalScheme.test(issuer) && !isCognitoIssuerUrl(issuer, config);
    return config.isLocal ? emulator !== undefined && issuer.startsWith(emulator) : COGNITO_ISSUER.test(issuer);
  };
}

export function sharedPoolSources(config: AppConfig): SharedPoolSource[] {
  return [...config.sharedPools.values()].map((pool) => {
    const clientIds = [pool.clientId, pool.gatehouseClientId].filter((id): id is string => id !== undefined);
    if (pool.key === OPERATORS_POOL_KEY) return { key: pool.key, issuer: pool.issuer, clientIds, pool: { kind: 'operators' } };
    const tier = config.tiers.tiers.find((candidate) => candidate.name === pool.key);
    const model = tier?.model === 'bridge' ? 'bridge' : 'pool';
    // A bridge tier's pool has no shared clients: each tenant registers its own two.
    return { key: pool.key, issuer: pool.issuer, clientIds: model === 'pool' ? clientIds : [], pool: { kind: 'tier', tier: pool.key, model } };
  });
}

const TENANT_INCLUDE = {
  hosts: true,
  emailDomains: true,
  appClients: true,
  identityProviders: true,
  federatedProviders: { orderBy: { createdAt: 'asc' } },
} as const;

@Injectable()
export class TrustedIssuersService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(TrustedIssuersService.name);
  readonly registry: IssuerRegistry;
  private readonly pendingReloads = new Map<string, Promise<void>>();
  private resyncing: Promise<void> | undefined;
  private resyncAgain = false;
  private closed = false;
  private readonly retryDelay = { initialMs: 250, maxMs: 10_000 };

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly prisma: PrismaService,
    private readonly changes: DatabaseChangeListener,
  ) {
    this.registry = new IssuerRegistry(sharedPoolSources(config), issuerAcceptor(config));
  }

  async onModuleInit(): Promise<void> {
    // Listen first, then load: a change committed in between is not lost.
    await this.changes.subscribe('gatehouse_registry', {
      onChange: (tenantId) => void this.refreshTenant(tenantId),
      onResync: () => void this.resync(),
    });
    await this.reloadAll();
  }

  onModuleDestroy(): void {
    this.closed = true;
  }

  /**
   * A full reload after the notification connection was lost. It can fail like
   * any query (failover, "the database system is starting up", a timeout): then
   * the registry keeps serving what it last loaded, and the reload is retried
   * with backoff until it succeeds. Never rejects, so a failed reload cannot
   * take the process down. A resync requested while one runs is done once more
   * after it, since changes made meanwhile may have been missed.
   */
  resync(): Promise<void> {
    if (this.resyncing) {
      this.resyncAgain = true;
      return this.resyncing;
    }
    this.resyncing = this.reloadUntilLoaded().finally(() => {
      this.resyncing = undefined;
      if (this.resyncAgain && !this.closed) {
        this.resyncAgain = false;
        void this.resync();
      }
    });
    return this.resyncing;
  }

  private async reloadUntilLoaded(): Promise<void> {
    let delayMs = this.retryDelay.initialMs;
    for (let attempt = 1; !this.closed; attempt += 1) {
      try {
        await this.reloadAll();
        if (attempt > 1) this.logger.log(`trusted issuers reloaded after ${attempt} attempts`);
        return;
      } catch (error) {
        this.logger.warn(
          `trusted issuers reload failed (attempt ${attempt}, retrying in ${delayMs} ms; serving the last loaded registry): ${describeError(error)}`,
        );
        await new Promise((resolve) => setTimeout(resolve, delayMs).unref());
        delayMs = Math.min(delayMs * 2, this.retryDelay.maxMs);
      }
    }
  }

  async reloadAll(): Promise<void> {
    const rows = await this.prisma.client.tenant.findMany({
      where: { status: { in: ['active', 'suspended'] } },
      include: TENANT_INCLUDE,
    });
    const listed = new Set(rows.map((row) => row.id));
    for (const row of rows) this.registry.upsertTenant(row.id, toSnapshot(row));
    for (const id of this.registry.tenantIds()) if (!listed.has(id)) this.registry.upsertTenant(id, null);
    this.logger.log(`trusted issuers loaded: ${this.registry.size.issuers} issuers, ${this.registry.size.tenants} tenants`);
  }

  /**
   * Re-reads one tenant. Called for every notification and, by the tenants
   * module, right after its own commits so this replica never waits for the
   * notification round trip. Concurrent calls for one tenant share one read.
   */
  refreshTenant(tenantId: string): Promise<void> {
    if (!/^[0-9a-f-]{36}$/i.test(tenantId)) return Promise.resolve();
    const pending = this.pendingReloads.get(tenantId);
    if (pending) return pending.then(() => this.refreshTenant(tenantId));
    const reload = this.prisma.client.tenant
      .findUnique({ where: { id: tenantId }, include: TENANT_INCLUDE })
      .then((row) => this.registry.upsertTenant(tenantId, row ? toSnapshot(row) : null))
      .catch((error: unknown) => {
        // Missed changes are caught up by a full resync: retried with backoff until it succeeds.
        this.logger.error(`could not refresh tenant ${tenantId}: ${describeError(error)}`);
        void this.resync();
      })
      .finally(() => this.pendingReloads.delete(tenantId));
    this.pendingReloads.set(tenantId, reload);
    return reload;
  }
}

/** The aliases provisioning recorded with the tenant's silo pool; anything unexpected counts as none (fail closed). */
function recordedSignInAliases(provisioning: unknown): SignInAlias[] {
  const created = (provisioning as { created?: { signInAliases?: unknown } } | null)?.created;
  const aliases = created?.signInAliases;
  return Array.isArray(aliases) && aliases.includes('email') ? ['email'] : [];
}

/** The first line of an error's message: database errors carry multi-line details. */
function describeError(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n').find((line) => line.trim() !== '')?.trim() ?? 'unknown error';
}

type TenantRow = NonNullable<Awaited<ReturnType<PrismaService['client']['tenant']['findFirst']>>> & {
  hosts: { host: string }[];
  emailDomains: { domain: string; status: 'pending' | 'verified' }[];
  appClients: { clientId: string; issuer: string; userPoolId: string; role: string }[];
  identityProviders: {
    issuer: string;
    audience: string;
    jwksUri: string;
    claimMapping: unknown;
    enabled: boolean;
    browserClientId?: string | null;
    browserScopes?: string[];
    authorizationEndpoint?: string | null;
    tokenEndpoint?: string | null;
  }[];
  federatedProviders?: { name: string; displayName: string; defaultRole: string; callbackUrls: string[]; hostedUiDomain: string }[];
};

export function toSnapshot(row: TenantRow): TenantSnapshot {
  return {
    id: row.id,
    slug: row.slug,
    name: row.name,
    tier: row.tier,
    model: row.isolationModel,
    status: row.status,
    region: row.region,
    userPoolId: row.userPoolId,
    issuer: row.issuer,
    hosts: row.hosts.map((host) => host.host),
    // A pending domain is only a claim: it neither routes nor admits anyone until DNS proved it.
    emailDomains: row.emailDomains.filter((domain) => domain.status === 'verified').map((domain) => domain.domain),
    signUpPolicy: row.signUpPolicy,
    signUpDefaultRole: row.signUpDefaultRole === 'admin' ? 'member' : row.signUpDefaultRole,
    passwordPolicy: (row.passwordPolicy ?? null) as TenantSnapshot['passwordPolicy'],
    mfaPolicy: parseMfaPolicy(row.mfaPolicy),
    signInAliases: recordedSignInAliases(row.provisioning),
    appClients: row.appClients.map(({ clientId, issuer, userPoolId, role }) => ({
      clientId,
      issuer,
      userPoolId,
      role: role === 'gatehouse' ? ('gatehouse' as const) : ('public' as const),
    })),
    identityProviders: row.identityProviders.map((provider) => ({
      issuer: provider.issuer,
      audience: provider.audience,
      jwksUri: provider.jwksUri,
      claimMapping: (provider.claimMapping ?? {}) as ClaimMapping,
      enabled: provider.enabled,
      ...(provider.browserClientId && provider.authorizationEndpoint && provider.tokenEndpoint
        ? {
            browserSignIn: {
              clientId: provider.browserClientId,
              scopes: provider.browserScopes ?? ['openid'],
              authorizationEndpoint: provider.authorizationEndpoint,
              tokenEndpoint: provider.tokenEndpoint,
            },
          }
        : {}),
    })),
    federatedProviders: (row.federatedProviders ?? []).map((provider) => ({
      name: provider.name,
      displayName: provider.displayName,
      defaultRole: provider.defaultRole === 'viewer' ? ('viewer' as const) : ('member' as const),
      callbackUrls: provider.callbackUrls,
      hostedUiDomain: provider.hostedUiDomain,
    })),
    movingWith: otherSide(parseMoveState(row.tierMove)),
  };
}
