/**
 * Operators' tenant management: create (then provision in the background),
 * read, change, suspend, reactivate, delete, retry, and tenants' own OpenID
 * Connect providers. Every change and its audit event commit in one
 * privileged transaction; changes that affect trust refresh this replica's
 * issuer registry right after the commit (other replicas follow the NOTIFY).
 */
import { Inject, Injectable } from '@nestjs/common';
import { allowedMfaPolicies, defaultMfaPolicy, findTier, mfaSettingForPolicy, parseMfaPolicy, type MfaPolicy, type TierConfig } from '@gatehouse/tiers';
import { AuditService } from '../audit/audit.service.js';
import { EventsService } from '../events/events.service.js';
import { OutboundUrlRefused, checkUrlShape, resolveHost, resolvePublicAddresses, withoutCredentials } from '../auth/outbound-url.js';
import { TrustedIssuersService, isCognitoIssuerUrl, issuerAcceptor } from '../auth/trusted-issuers.service.js';
import { isUniqueViolation } from '../common/database-errors.js';
import { APP_CONFIG } from '../config/config.module.js';
import { type AppConfig, allowedSiloRegions } from '../config/config.schema.js';
import { PrivilegedPrismaService } from '../database/privileged-database.module.js';
import type { TransactionClient } from '../database/prisma-client.js';
import type {
  CreateTenant,
  ListTenantsQuery,
  RegisterIdentityProvider,
  TenantView,
  UpdateTenant,
} from './dto/tenant.dto.js';
import { EMAIL_DOMAIN_FIELDS, EmailDomainsService, toEmailDomainView } from './domains/email-domains.service.js';
import { SignUpSettingsService } from './sign-up-settings.service.js';
import { initialState, leaseIsLive, parseState, progress } from './provisioning/provisioning-state.js';
import { ProvisioningService } from './provisioning/provisioning.service.js';
import { hasEnded, moveProgress, parseMoveState } from './tier-move/tier-move-state.js';
import { IdentityProvider } from '../identity/identity-provider.js';
import {
  emailDomainTaken,
  hostTaken,
  identityProviderNotFound,
  invalidField,
  invalidTenantState,
  issuerTaken,
  provisioningInProgress,
  slugTaken,
  tenantNotFound,
  tierMoveInProgress,
} from './tenants.errors.js';

const TENANT_INCLUDE = {
  hosts: { select: { host: true }, orderBy: { host: 'asc' } },
  emailDomains: { select: EMAIL_DOMAIN_FIELDS, orderBy: { domain: 'asc' } },
  appClients: { select: { clientId: true }, orderBy: { createdAt: 'asc' } },
  identityProviders: {
    select: { id: true, issuer: true, audience: true, jwksUri: true, claimMapping: true, enabled: true },
    orderBy: { createdAt: 'asc' },
  },
} as const;

type TenantRow = NonNullable<Awaited<ReturnType<TenantsService['findRow']>>>;

export function toTenantView(row: TenantRow): TenantView {
  return {
    id: row.id,
    slug: row.slug,
    name: row.name,
    tier: row.tier,
    isolationModel: row.isolationModel,
    status: row.status,
    region: row.region,
    userPoolId: row.userPoolId,
    issuer: row.issuer,
    mfaPolicy: parseMfaPolicy(row.mfaPolicy),
    passwordPolicy: (row.passwordPolicy ?? null) as Record<string, unknown> | null,
    hosts: row.hosts.map((entry) => entry.host),
    emailDomains: row.emailDomains.map((entry) => entry.domain),
    emailDomainDetails: row.emailDomains.map(toEmailDomainView),
    signUpPolicy: row.signUpPolicy,
    signUpDefaultRole: row.signUpDefaultRole === 'viewer' ? 'viewer' : 'member',
    appClientIds: row.appClients.map((entry) => entry.clientId),
    identityProviders: row.identityProviders.map((provider) => ({
      ...provider,
      claimMapping: (provider.claimMapping ?? {}) as TenantView['identityProviders'][number]['claimMapping'],
    })),
    provisioning: progress(row.isolationModel, parseState(row.provisioning)),
    tierMove: tierMoveView(row.tierMove),
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    suspendedAt: row.suspendedAt?.toISOString() ?? null,
    deletedAt: row.deletedAt?.toISOString() ?? null,
  };
}

function tierMoveView(raw: unknown): TenantView['tierMove'] {
  const state = parseMoveState(raw);
  return state ? moveProgress(state) : null;
}

@Injectable()
export class TenantsService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly privileged: PrivilegedPrismaService,
    private readonly audit: AuditService,
    private readonly issuers: TrustedIssuersService,
    private readonly provisioning: ProvisioningService,
    private readonly domains: EmailDomainsService,
    private readonly signUp: SignUpSettingsService,
    private readonly identity: IdentityProvider,
    private readonly events: EventsService,
  ) {}

  findRow(id: string) {
    return this.privileged.client.tenant.findUnique({ where: { id }, include: TENANT_INCLUDE });
  }

  private async row(id: string): Promise<TenantRow> {
    return (await this.findRow(id)) ?? Promise.reject(tenantNotFound());
  }

  async get(id: string): Promise<TenantView> {
    return toTenantView(await this.row(id));
  }

  async list(query: ListTenantsQuery): Promise<{ items: TenantView[]; nextCursor: string | null }> {
    const rows = await this.privileged.client.tenant.findMany({
      where: {
        ...(query.tier ? { tier: query.tier } : {}),
        ...(query.status ? { status: query.status } : {}),
        ...(query.q
          ? { OR: [{ name: { contains: query.q, mode: 'insensitive' } }, { slug: { contains: query.q.toLowerCase() } }] }
          : {}),
      },
      include: TENANT_INCLUDE,
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: query.limit + 1,
      ...(query.cursor ? { cursor: { id: query.cursor }, skip: 1 } : {}),
    });
    const items = rows.slice(0, query.limit).map(toTenantView);
    return { items, nextCursor: rows.length > query.limit ? (items.at(-1)?.id ?? null) : null };
  }

  /**
   * Inserts the tenant (claiming its slug, hosts and e-mail domains: the
   * unique indexes decide races, so of two concurrent creates one gets 409)
   * and starts provisioning. Returns at once with status `provisioning`;
   * `provisioned` resolves when the machine stops (for the seed and tests).
   */
  async create(input: CreateTenant): Promise<{ tenant: TenantView; provisioned: Promise<void> }> {
    const tier = findTier(this.config.tiers, input.tier);
    if (!tier) {
      throw invalidField('tier', `unknown tier "${input.tier}": expected one of ${this.config.tiers.tiers.map((t) => t.name).join(', ')}`);
    }
    const silo = tier.model === 'silo';
    if (!silo) {
      if (input.passwordPolicy !== undefined) {
        throw invalidField('passwordPolicy', `only silo tiers have a pool per tenant; tier "${tier.name}" uses the ${tier.model} model`);
      }
      if (tier.model === 'pool' && input.tokenValidity !== undefined) {
        throw invalidField('tokenValidity', `pool-model tenants share their tier's app client; tier "${tier.name}" has no per-tenant token lifetimes`);
      }
    }
    const mfaPolicy = input.mfaPolicy ?? defaultMfaPolicy(tier);
    assertMfaPolicyFits(tier, mfaPolicy);
    const shared = silo ? undefined : this.config.sharedPools.get(tier.name);
    if (!silo && !shared) throw invalidField('tier', `tier "${tier.name}" has no shared pool configured`);
    if (input.region !== undefined && !silo && input.region !== shared?.region) {
      throw invalidField('region', `tier "${tier.name}" shares the pool in ${shared?.region}; only silo tenants choose their region`);
    }
    const siloRegions = allowedSiloRegions(this.config.env);
    if (silo && input.region !== undefined && !siloRegions.includes(input.region)) {
      // Refused now, not at provisioning: the IAM role may create pools only in these regions.
      throw invalidField('region', `silo tenants' pools can be created in ${siloRegions.join(', ')} only`);
    }
    const home = this.config.env.AWS_REGION;
    const region = silo ? (input.region ?? (siloRegions.includes(home) ? home : (siloRegions[0] ?? home))) : shared!.region;

    const state = initialState(
      { firstAdminEmail: input.firstAdminEmail, ...(input.tokenValidity ? { tokenValidity: input.tokenValidity } : {}) },
      new Date(),
    );
    let id: string;
    try {
      id = await this.privileged.client.$transaction(async (tx) => {
        await this.domains.assertClaimable(tx, undefined, input.emailDomains);
        const created = await tx.tenant.create({
          data: {
            slug: input.slug,
            name: input.name,
            tier: tier.name,
            isolationModel: tier.model,
            status: 'provisioning',
            region,
            userPoolId: shared?.userPoolId ?? null,
            issuer: shared?.issuer ?? null,
            passwordPolicy: input.passwordPolicy ?? undefined,
            mfaPolicy,
            provisioning: state as object,
            hosts: { create: input.hosts.map((host) => ({ host })) },
            // Claims only: pending until a DNS TXT record proves each one.
            emailDomains: { create: this.domains.newClaims(input.emailDomains) },
            signUpPolicy: input.signUpPolicy,
            signUpDefaultRole: input.signUpDefaultRole,
          },
          select: { id: true },
        });
        await this.audit.record(tx, {
          action: 'tenant.create',
          tenantId: created.id,
          target: `tenant:${created.id}`,
          details: {
            slug: input.slug,
            tier: tier.name,
            model: tier.model,
            hosts: input.hosts,
            emailDomains: input.emailDomains,
            signUpPolicy: input.signUpPolicy,
            signUpDefaultRole: input.signUpDefaultRole,
            mfaPolicy,
          },
        });
        await this.events.emit(tx, { type: 'tenant.created', data: { tenantId: created.id, slug: input.slug, tier: tier.name, model: tier.model } });
        return created.id;
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw await this.explainConflict(input.slug, input.hosts, input.emailDomains);
      throw error;
    }
    const provisioned = this.provisioning.start(id);
    return { tenant: await this.get(id), provisioned };
  }

  private async explainConflict(slug: string | undefined, hosts: readonly string[], domains: readonly string[]) {
    const db = this.privileged.client;
    if (slug && (await db.tenant.count({ where: { slug } })) > 0) return slugTaken();
    const host = await db.tenantHost.findFirst({ where: { host: { in: [...hosts] } }, select: { host: true } });
    if (host) return hostTaken(host.host);
    const domain = await db.tenantEmailDomain.findFirst({ where: { domain: { in: [...domains] }, status: 'verified' }, select: { domain: true } });
    if (domain) return emailDomainTaken(domain.domain);
    return slugTaken();
  }

  async update(id: string, input: UpdateTenant): Promise<TenantView> {
    try {
      await this.privileged.client.$transaction(async (tx) => {
        const current = await this.lockRow(tx, id);
        if (current.status === 'deleting' || current.status === 'deleted') throw invalidTenantState(current.status, 'changed');
        if (input.mfaPolicy !== undefined) await this.changeMfaPolicy(tx, id, input.mfaPolicy);
        if (input.name !== undefined) await tx.tenant.update({ where: { id }, data: { name: input.name } });
        if (input.hosts !== undefined) {
          await tx.tenantHost.deleteMany({ where: { tenantId: id } });
          await tx.tenantHost.createMany({ data: input.hosts.map((host) => ({ tenantId: id, host })) });
        }
        if (input.emailDomains !== undefined) await this.domains.replace(tx, id, input.emailDomains);
        await this.signUp.apply(tx, id, input);
        const { mfaPolicy: _audited, ...changed } = input; // the policy change has its own audit event
        if (Object.keys(changed).length > 0) {
          await this.audit.record(tx, { action: 'tenant.update', tenantId: id, target: `tenant:${id}`, details: { ...changed } });
        }
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw await this.explainConflict(undefined, input.hosts ?? [], input.emailDomains ?? []);
      throw error;
    }
    await this.issuers.refreshTenant(id);
    return this.get(id);
  }

  /**
   * Inside the locked update: a silo tenant's pool follows the policy first
   * (if Cognito refuses, the transaction rolls back and nothing changed);
   * shared pools need nothing in Cognito, Gatehouse enforces the policy.
   */
  private async changeMfaPolicy(tx: TransactionClient, id: string, to: MfaPolicy): Promise<void> {
    const row = await tx.tenant.findUniqueOrThrow({
      where: { id },
      select: { tier: true, isolationModel: true, userPoolId: true, region: true, mfaPolicy: true, status: true },
    });
    const tier = findTier(this.config.tiers, row.tier);
    if (!tier) throw invalidField('mfaPolicy', `tier "${row.tier}" is not configured`);
    assertMfaPolicyFits(tier, to);
    const from = parseMfaPolicy(row.mfaPolicy);
    if (from === to) return;
    if (row.isolationModel === 'silo') {
      // A provisioning run read the policy when it started: changing it before the pool is recorded could be lost.
      if (!row.userPoolId && row.status === 'provisioning') throw provisioningInProgress();
      // Without a pool (a failed provisioning), the retry creates it from the row's new policy.
      if (row.userPoolId) await this.identity.setPoolMfa({ userPoolId: row.userPoolId, region: row.region }, mfaSettingForPolicy(to));
    }
    await tx.tenant.update({ where: { id }, data: { mfaPolicy: to } });
    await this.audit.record(tx, { action: 'tenant.mfa_policy.change', tenantId: id, target: `tenant:${id}`, details: { from, to } });
  }

  /** Locks the tenant row for the transaction, so status changes serialise. */
  private async lockRow(tx: TransactionClient, id: string) {
    const rows = await tx.$queryRaw<{ status: string; provisioning: unknown; tier_move: unknown }[]>`
      SELECT status::text AS status, provisioning, tier_move FROM tenants WHERE id = ${id}::uuid FOR UPDATE`;
    const row = rows[0];
    if (!row) throw tenantNotFound();
    return row;
  }

  async suspend(id: string): Promise<TenantView> {
    return this.changeStatus(id, 'suspended', 'tenant.suspend');
  }

  async reactivate(id: string): Promise<TenantView> {
    return this.changeStatus(id, 'active', 'tenant.reactivate');
  }

  private async changeStatus(id: string, to: 'active' | 'suspended', action: string): Promise<TenantView> {
    const from = to === 'suspended' ? 'active' : 'suspended';
    await this.privileged.client.$transaction(async (tx) => {
      const current = await this.lockRow(tx, id);
      if (current.status === to) return; // already there: idempotent, nothing to audit
      if (current.status !== from) throw invalidTenantState(current.status, to === 'suspended' ? 'suspended' : 'reactivated');
      await tx.tenant.update({ where: { id }, data: { status: to, suspendedAt: to === 'suspended' ? new Date() : null } });
      await this.audit.record(tx, { action, tenantId: id, target: `tenant:${id}` });
      await this.events.emit(tx, { type: to === 'suspended' ? 'tenant.suspended' : 'tenant.reactivated', data: { tenantId: id } });
    });
    // Takes effect on this replica's next request; the NOTIFY carries it to the others.
    await this.issuers.refreshTenant(id);
    return this.get(id);
  }

  /**
   * Marks the tenant `deleting` (its tokens are refused from this moment: the
   * registry drops it) and tears down what provisioning created, in the
   * background. Deleting a tenant that is being deleted resumes the teardown.
   */
  async delete(id: string): Promise<{ tenant: TenantView; finished: Promise<void> }> {
    await this.privileged.client.$transaction(async (tx) => {
      const current = await this.lockRow(tx, id);
      const state = parseState(current.provisioning);
      if (current.status === 'deleted' || current.status === 'deleting') return;
      // A tenant moving between tiers has resources on two sides: cancel (or finish) the move first.
      if (current.tier_move !== null && current.tier_move !== undefined) {
        const move = parseMoveState(current.tier_move);
        if (move && !hasEnded(move)) throw tierMoveInProgress();
      }
      if (current.status === 'provisioning' && (leaseIsLive(state, new Date()) || this.provisioning.isRunning(id))) {
        throw provisioningInProgress();
      }
      const next = { ...state, version: state.version + 1, teardown: true, lastError: null, lease: null };
      await tx.tenant.update({ where: { id }, data: { status: 'deleting', provisioning: next as object } });
      await this.audit.record(tx, { action: 'tenant.delete', tenantId: id, target: `tenant:${id}`, details: { from: current.status } });
    });
    await this.issuers.refreshTenant(id);
    const finished = this.provisioning.start(id);
    return { tenant: await this.get(id), finished };
  }

  /** Resumes a failed provisioning or an interrupted deletion. */
  async retry(id: string): Promise<{ tenant: TenantView; finished: Promise<void> }> {
    await this.privileged.client.$transaction(async (tx) => {
      const current = await this.lockRow(tx, id);
      const state = parseState(current.provisioning);
      const stalled = !leaseIsLive(state, new Date()) && !this.provisioning.isRunning(id);
      const inFlight = current.status === 'provisioning' || current.status === 'deleting';
      if (inFlight && !stalled) throw provisioningInProgress();
      if (!inFlight && current.status !== 'failed') throw invalidTenantState(current.status, 'retried');
      const next = { ...state, version: state.version + 1, attempt: state.attempt + 1, lastError: null, lease: null };
      await tx.tenant.update({
        where: { id },
        // A failed provisioning goes back to `provisioning`; an interrupted one keeps its status.
        data: { provisioning: next as object, ...(current.status === 'failed' ? { status: 'provisioning' as const } : {}) },
      });
      await this.audit.record(tx, { action: 'tenant.retry', tenantId: id, target: `tenant:${id}`, details: { from: current.status, attempt: state.attempt + 1 } });
    });
    const finished = this.provisioning.start(id);
    return { tenant: await this.get(id), finished };
  }

  // ---- external identity providers ---------------------------------------------

  async registerIdentityProvider(id: string, input: RegisterIdentityProvider): Promise<TenantView> {
    const issuer = input.issuer;
    // The registry's own rules, checked here so a provider it would ignore is refused with a reason.
    if (isCognitoIssuerUrl(issuer, this.config)) throw issuerTaken();
    await this.assertFetchableUrl('issuer', issuer);
    await this.assertFetchableUrl('jwksUri', input.jwksUri);
    if (!issuerAcceptor(this.config)(issuer, 'external')) throw invalidField('issuer', 'must be an https URL');
    try {
      await this.privileged.client.$transaction(async (tx) => {
        const current = await this.lockRow(tx, id);
        if (current.status === 'deleting' || current.status === 'deleted') throw invalidTenantState(current.status, 'changed');
        if ((await tx.tenant.count({ where: { issuer } })) > 0) throw issuerTaken();
        const created = await tx.tenantIdentityProvider.create({
          data: { tenantId: id, issuer, audience: input.audience, jwksUri: input.jwksUri, claimMapping: input.claimMapping },
          select: { id: true },
        });
        await this.audit.record(tx, {
          action: 'tenant.identity_provider.register',
          tenantId: id,
          target: `identity-provider:${created.id}`,
          // Refused above when they carry credentials; stripped here as well, since audit events live forever.
          details: { issuer: withoutCredentials(issuer), audience: input.audience, jwksUri: withoutCredentials(input.jwksUri) },
        });
        await this.events.emit(tx, {
          type: 'identity_provider.added',
          data: { tenantId: id, identityProviderId: created.id, issuer: withoutCredentials(issuer) },
        });
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw issuerTaken();
      throw error;
    }
    await this.issuers.refreshTenant(id);
    return this.get(id);
  }

  /**
   * A tenant's IdP URLs must not reach this deployment's own network (AWS mode)
   * nor carry credentials (any mode). Names are resolved now and again at every
   * JWKS fetch. The reason never repeats the URL.
   */
  private async assertFetchableUrl(field: 'issuer' | 'jwksUri', raw: string): Promise<void> {
    const policy = { allowPrivateAddresses: this.config.isLocal };
    try {
      const url = checkUrlShape(raw, policy);
      // Local mode trusts its own network (the emulator and test IdPs); test IdPs may use names that do not resolve.
      if (!this.config.isLocal) await resolvePublicAddresses(url, policy, this.resolveHost);
    } catch (error) {
      if (error instanceof OutboundUrlRefused) throw invalidField(field, error.message);
      throw error;
    }
  }

  /** The DNS resolver for IdP URLs; replaced by tests that need a name to resolve somewhere chosen. */
  resolveHost = resolveHost;

  async removeIdentityProvider(id: string, providerId: string): Promise<void> {
    await this.privileged.client.$transaction(async (tx) => {
      await this.lockRow(tx, id);
      const { count } = await tx.tenantIdentityProvider.deleteMany({ where: { id: providerId, tenantId: id } });
      if (count === 0) throw identityProviderNotFound();
      await this.audit.record(tx, { action: 'tenant.identity_provider.remove', tenantId: id, target: `identity-provider:${providerId}` });
      await this.events.emit(tx, { type: 'identity_provider.removed', data: { tenantId: id, identityProviderId: providerId } });
    });
    await this.issuers.refreshTenant(id);
  }
}

/** 400 when the tier's pool cannot honour the policy (see libs/tiers mfa-policy). */
function assertMfaPolicyFits(tier: TierConfig, policy: MfaPolicy): void {
  const allowed = allowedMfaPolicies(tier);
  if (!allowed.includes(policy)) {
    throw invalidField('mfaPolicy', `tier "${tier.name}" (${tier.model}, pool MFA ${tier.mfa}) allows only: ${allowed.join(', ')}`);
  }
}
