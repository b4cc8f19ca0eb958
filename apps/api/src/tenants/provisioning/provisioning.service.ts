/**
 * Runs the provisioning state machine (provisioning-state.ts) for one tenant
 * at a time: claim a lease on the row, then for each step not done yet do its
 * Cognito part, then record it — with the step's database rows, in one
 * privileged transaction that compare-and-sets the state's `version`. A crash
 * or an error at any point leaves the row saying exactly what exists:
 *
 * - a pool or client created but not recorded is found again by its name
 *   (names are `<deployment>-tenant-<slug>`, and slugs are never reused);
 * - the first admin's opaque username is recorded BEFORE AdminCreateUser, so
 *   a resume looks the user up (AdminGetUser) instead of inviting twice;
 * - database effects commit together with the step that made them.
 *
 * Cognito calls go through a small semaphore (at most 4 at once per replica);
 * the SDK's adaptive retry mode retries throttling with backoff, and a step
 * that still fails with a retryable error (429/503) is retried here a few
 * times before the tenant is marked `failed` (resumable with POST …/retry).
 *
 * Deleting runs the teardown steps the same way.
 */
import { randomUUID } from 'node:crypto';
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { PeriodicSweep } from '../periodic-sweep.js';
import {
  type AppClientRole,
  type PoolClientBlueprints,
  TENANT_ROLES,
  type AppClientBlueprint,
  type UserPoolBlueprint,
  bridgeClientBlueprints,
  deriveSignInUsername,
  findTier,
  mfaSettingForPolicy,
  parseMfaPolicy,
  sharedPoolBlueprints,
  siloPoolBlueprint,
} from '@gatehouse/tiers';
import { AuditService } from '../../audit/audit.service.js';
import { EventsService } from '../../events/events.service.js';
import { TrustedIssuersService } from '../../auth/trusted-issuers.service.js';
import { DomainError } from '../../common/domain-error.js';
import { APP_CONFIG } from '../../config/config.module.js';
import { type AppConfig, cognitoIssuer } from '../../config/config.schema.js';
import { PrivilegedPrismaService } from '../../database/privileged-database.module.js';
import type { TransactionClient } from '../../database/prisma-client.js';
import { IdentityProvider, type PoolRef } from '../../identity/identity-provider.js';
import { NON_RETRYABLE_CODES } from '../../identity/identity.errors.js';
import { Metrics } from '../../observability/metrics.js';
import { LeaseLostError, provisioningInProgress, tenantNotFound } from '../tenants.errors.js';
import { ProvisioningFaults } from './provisioning-faults.js';
import {
  type AnyStep,
  type CreatedResources,
  type ProvisioningState,
  leaseIsLive,
  nextStep,
  nextTeardownStep,
  parseState,
} from './provisioning-state.js';
import { Semaphore } from './semaphore.js';

const MAX_STEP_TRIES = 3;
const COGNITO_CONCURRENCY = 4;

export interface TenantFacts {
  readonly id: string;
  readonly slug: string;
  /** Display name: a silo pool's e-mails are sent in the tenant's name. */
  readonly name: string;
  readonly tier: string;
  readonly model: 'silo' | 'pool' | 'bridge';
  readonly region: string;
  readonly status: string;
  readonly passwordPolicy: unknown;
  readonly mfaPolicy: string;
}

interface SharedPoolRef extends PoolRef {
  readonly issuer: string;
  readonly clientId: string | undefined;
}

function isRetryable(error: unknown): boolean {
  // A used-up quota does not come back within the retries: fail now with a clear code (issue 14 row 7).
  if (error instanceof DomainError && NON_RETRYABLE_CODES.has(error.code)) return false;
  return error instanceof DomainError && (error.status === 429 || error.status === 503);
}

/**
 * Work nobody is doing: a runner's lease expired (it crashed or hung), or no
 * runner ever claimed the row within a lease period (a crash between the insert
 * and the claim). A fresh row without a lease is left to the replica that just
 * created it. Failed runs wait for `…/retry`.
 */
export function isAbandoned(state: ProvisioningState, updatedAt: Date, now: Date, leaseMs: number): boolean {
  if (state.lastError !== null) return false;
  if (state.lease !== null) return !leaseIsLive(state, now);
  return now.getTime() - updatedAt.getTime() >= leaseMs;
}

function errorCode(error: unknown): string {
  if (error instanceof DomainError) return error.code;
  return (error as { name?: string })?.name ?? 'error';
}

@Injectable()
export class ProvisioningService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ProvisioningService.name);
  private readonly cognitoCalls = new Semaphore(COGNITO_CONCURRENCY);
  private readonly runs = new Map<string, Promise<void>>();
  /** This replica's identity in leases. */
  private readonly owner = randomUUID();
  private readonly sweeper = new PeriodicSweep('abandoned provisioning', () => this.resumeAbandoned(), this.logger);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly privileged: PrivilegedPrismaService,
    private readonly identity: IdentityProvider,
    private readonly audit: AuditService,
    private readonly issuers: TrustedIssuersService,
    private readonly faults: ProvisioningFaults,
    private readonly metrics: Metrics,
    private readonly events: EventsService,
  ) {}

  /** A run that reached its end (active, deleted) or stopped failed, with its duration from the first step. */
  private countRun(outcome: 'active' | 'deleted' | 'failed', state: ProvisioningState): void {
    this.metrics.provisioningRuns.inc({ outcome });
    const startedAt = Date.parse(state.startedAt);
    if (Number.isFinite(startedAt)) this.metrics.provisioningDuration.observe({ outcome }, Math.max(0, Date.now() - startedAt) / 1000);
  }

  /**
   * Picks up work a crashed replica left behind, at boot and then every
   * PROVISIONING_SWEEP_INTERVAL_MS, so a replica that died mid-run is taken over
   * by the survivors within a lease plus a sweep interval, without any restart.
   */
  onApplicationBootstrap(): void {
    this.sweeper.start(this.config.env.PROVISIONING_SWEEP_INTERVAL_MS);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.sweeper.stop();
    await Promise.allSettled([...this.runs.values()]);
  }

  private async resumeAbandoned(): Promise<void> {
    const rows = await this.privileged.client.tenant.findMany({
      where: { status: { in: ['provisioning', 'deleting'] } },
      select: { id: true, provisioning: true, updatedAt: true },
    });
    const now = new Date();
    for (const row of rows) {
      if (this.runs.has(row.id)) continue;
      if (isAbandoned(parseState(row.provisioning), row.updatedAt, now, this.config.env.PROVISIONING_LEASE_MS)) void this.start(row.id);
    }
  }

  /**
   * Runs the tenant's machine to its end (active, failed, deleted) in the
   * background of the caller, joining a run already going in this replica.
   * The returned promise never rejects; read the tenant row for the outcome.
   */
  start(tenantId: string): Promise<void> {
    const running = this.runs.get(tenantId);
    if (running) return running;
    const run = this.runToEnd(tenantId)
      .catch((error: unknown) => {
        if (error instanceof LeaseLostError) return;
        if (error instanceof DomainError && error.code === 'provisioning_in_progress') return;
        this.logger.error(`provisioning of tenant ${tenantId} stopped: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      })
      .finally(() => this.runs.delete(tenantId));
    this.runs.set(tenantId, run);
    return run;
  }

  /** True while this replica runs the tenant's machine. */
  isRunning(tenantId: string): boolean {
    return this.runs.has(tenantId);
  }

  private async runToEnd(tenantId: string): Promise<void> {
    const claimed = await this.claim(tenantId);
    if (!claimed) return;
    const { tenant } = claimed;
    let state = claimed.state;
    for (;;) {
      const step: AnyStep | undefined = state.teardown ? nextTeardownStep(state) : nextStep(tenant.model, state);
      if (!step) return;
      for (let attempt = 1; ; attempt += 1) {
        try {
          state = await this.runStep(tenant, state, step);
          break;
        } catch (error) {
          if (error instanceof LeaseLostError) throw error;
          if (isRetryable(error) && attempt < MAX_STEP_TRIES) {
            await new Promise((resolve) => setTimeout(resolve, 250 * 4 ** (attempt - 1)));
            state = await this.reload(tenant.id);
            continue;
          }
          await this.fail(tenant, await this.reload(tenant.id), step, error);
          return;
        }
      }
    }
  }

  private async claim(tenantId: string): Promise<{ tenant: TenantFacts; state: ProvisioningState } | undefined> {
    const row = await this.privileged.client.tenant.findUnique({ where: { id: tenantId } });
    if (!row) throw tenantNotFound();
    if (row.status !== 'provisioning' && row.status !== 'deleting') return undefined;
    const state = parseState(row.provisioning);
    const now = new Date();
    if (leaseIsLive(state, now) && state.lease?.owner !== this.owner) throw provisioningInProgress();
    // Another runner's lease ran out with work left: it crashed (or hung), and this is a takeover.
    const takeover = state.lease !== null && state.lease.owner !== this.owner;
    if (takeover) this.logger.warn(`tenant ${row.slug}: resuming provisioning abandoned by runner ${state.lease!.owner}`);
    const tenant: TenantFacts = {
      id: row.id,
      slug: row.slug,
      name: row.name,
      tier: row.tier,
      model: row.isolationModel,
      region: row.region,
      status: row.status,
      passwordPolicy: row.passwordPolicy,
      mfaPolicy: row.mfaPolicy,
    };
    const resumed = takeover ? { resumes: state.resumes + 1, lastResumedAt: now.toISOString() } : {};
    return { tenant, state: await this.persist(tenant.id, state, { lastError: null, ...resumed }) };
  }

  private async reload(tenantId: string): Promise<ProvisioningState> {
    const row = await this.privileged.client.tenant.findUniqueOrThrow({ where: { id: tenantId }, select: { provisioning: true } });
    const state = parseState(row.provisioning);
    if (state.lease?.owner !== this.owner) throw new LeaseLostError('another runner took the tenant over');
    return state;
  }

  /**
   * Writes the next state (compare-and-set on `version`, lease renewed) and,
   * in the same transaction, the step's database effects.
   */
  private async persist(
    tenantId: string,
    state: ProvisioningState,
    change: Partial<Omit<ProvisioningState, 'version' | 'created'>> & { created?: Partial<CreatedResources> },
    effects?: (tx: TransactionClient, next: ProvisioningState) => Promise<void>,
  ): Promise<ProvisioningState> {
    const now = new Date();
    const next: ProvisioningState = {
      ...state,
      ...change,
      created: { ...state.created, ...change.created },
      version: state.version + 1,
      lease:
        change.lease === undefined
          ? { owner: this.owner, until: new Date(now.getTime() + this.config.env.PROVISIONING_LEASE_MS).toISOString() }
          : change.lease,
    };
    await this.privileged.client.$transaction(async (tx) => {
      const { count } = await tx.tenant.updateMany({
        where: { id: tenantId, provisioning: { path: ['version'], equals: state.version } },
        data: { provisioning: next as object },
      });
      if (count !== 1) throw new LeaseLostError(`tenant ${tenantId}: the provisioning state changed under this runner`);
      await effects?.(tx, next);
    });
    return next;
  }

  private done(state: ProvisioningState, step: AnyStep): Pick<ProvisioningState, 'done'> {
    return { done: { ...state.done, [step]: new Date().toISOString() } };
  }

  private cognito<T>(call: () => Promise<T>): Promise<T> {
    return this.cognitoCalls.run(call);
  }

  private async fault(tenant: TenantFacts, state: ProvisioningState, step: AnyStep, when: 'before' | 'after-effect'): Promise<void> {
    await this.faults.check({ tenantId: tenant.id, slug: tenant.slug, step, when, attempt: state.attempt });
  }

  // ---- pools, blueprints -----------------------------------------------------

  private sharedPool(tier: string): SharedPoolRef {
    const pool = this.config.sharedPools.get(tier);
    if (!pool) throw new Error(`no shared pool is configured for tier "${tier}"`);
    return { userPoolId: pool.userPoolId, region: pool.region, issuer: pool.issuer, clientId: pool.clientId };
  }

  private siloBlueprint(tenant: TenantFacts): UserPoolBlueprint {
    const tier = findTier(this.config.tiers, tenant.tier);
    if (!tier) throw new Error(`tier "${tenant.tier}" is not configured`);
    const email = this.config.env.COGNITO_EMAIL?.[tenant.region];
    return siloPoolBlueprint(
      tier,
      tenant.slug,
      { deployment: this.config.env.GATEHOUSE_DEPLOYMENT, deletionProtection: !this.config.isLocal, ...(email ? { email } : {}) },
      {
        ...(tenant.passwordPolicy ? { passwordPolicy: tenant.passwordPolicy as object } : {}),
        mfa: mfaSettingForPolicy(parseMfaPolicy(tenant.mfaPolicy)),
        senderName: tenant.name,
      },
    );
  }

  private sharedBlueprint(tier: string): UserPoolBlueprint {
    const blueprint = sharedPoolBlueprints(this.config.tiers, {
      deployment: this.config.env.GATEHOUSE_DEPLOYMENT,
      deletionProtection: !this.config.isLocal,
    }).find((candidate) => candidate.key === tier);
    if (!blueprint) throw new Error(`tier "${tier}" has no shared pool blueprint`);
    return blueprint;
  }

  /**
   * The contract of the tenant's public client and of the pool it lives in: federation re-sends it whole
   * with the hosted UI switched on (Cognito resets whatever an UpdateUserPoolClient omits).
   */
  publicClientContract(tenant: TenantFacts): { blueprint: UserPoolBlueprint; client: AppClientBlueprint } {
    const blueprint = tenant.model === 'silo' ? this.siloBlueprint(tenant) : this.sharedBlueprint(tenant.tier);
    return { blueprint, client: this.tenantClients(tenant).public };
  }

  /** The tenant's two clients (public, Gatehouse): in its silo pool, or its own in the bridge tier's pool. */
  private tenantClients(tenant: TenantFacts): PoolClientBlueprints {
    if (tenant.model === 'silo') return this.siloBlueprint(tenant).clients;
    return bridgeClientBlueprints(this.sharedBlueprint(tenant.tier), tenant.slug, { deployment: this.config.env.GATEHOUSE_DEPLOYMENT });
  }

  /** The pool the tenant's users live in (silo: its own, once created; else its tier's). */
  private userPool(tenant: TenantFacts, state: ProvisioningState): PoolRef & { issuer: string } {
    if (tenant.model === 'silo') {
      const userPoolId = state.created.userPoolId;
      if (!userPoolId) throw new Error(`tenant ${tenant.id} has no pool recorded`);
      return { userPoolId, region: tenant.region, issuer: cognitoIssuer(this.config.env, tenant.region, userPoolId) };
    }
    return this.sharedPool(tenant.tier);
  }

  // ---- steps ------------------------------------------------------------------

  private async runStep(tenant: TenantFacts, state: ProvisioningState, step: AnyStep): Promise<ProvisioningState> {
    await this.fault(tenant, state, step, 'before');
    switch (step) {
      case 'create_pool':
        return this.createPool(tenant, state);
      case 'create_app_client':
        return this.createAppClient(tenant, state, 'public');
      case 'create_gatehouse_client':
        return this.createAppClient(tenant, state, 'gatehouse');
      case 'create_groups':
        return this.createGroups(tenant, state);
      case 'invite_admin':
        return this.inviteAdmin(tenant, state);
      case 'mirror_admin':
        return this.mirrorAdmin(tenant, state);
      case 'register_issuer':
        return this.registerIssuer(tenant, state);
      case 'activate':
        return this.activate(tenant, state);
      case 'delete_users':
        return this.deleteUsers(tenant, state);
      case 'delete_app_client':
        return this.deleteAppClient(tenant, state);
      case 'delete_pool':
        return this.deletePool(tenant, state);
      case 'delete_rows':
        return this.deleteRows(tenant, state);
    }
  }

  /**
   * The tenant's pool, found by its stored id, never by listing the region on this path
   * (issue 14 row 7). CreateUserPool is not idempotent, so the intent is recorded first: a
   * run that finds the mark but no id was interrupted around the call, and only then is a
   * leftover looked for (name + this deployment's tenant tags) and replaced — it may lack its
   * MFA configuration, and nothing uses it yet (later steps need the recorded id).
   */
  private async createPool(tenant: TenantFacts, state: ProvisioningState): Promise<ProvisioningState> {
    const blueprint = this.siloBlueprint(tenant);
    let current = state;
    let userPoolId = state.created.userPoolId;
    if (!userPoolId) {
      if (current.created.poolRequestedAt) {
        const leftover = await this.findLeftoverPool(tenant);
        if (leftover) await this.cognito(() => this.identity.deleteUserPool({ userPoolId: leftover, region: tenant.region }));
      } else {
        current = await this.persist(tenant.id, current, { created: { poolRequestedAt: new Date().toISOString() } });
      }
      userPoolId = (await this.cognito(() => this.identity.createUserPool(tenant.region, blueprint))).userPoolId;
    }
    await this.fault(tenant, current, 'create_pool', 'after-effect');
    const poolId = userPoolId;
    // A pool recorded by an earlier attempt keeps what was recorded with it (its aliases are immutable).
    const created = state.created.userPoolId ? { userPoolId: poolId } : { userPoolId: poolId, signInAliases: [...blueprint.signInAliases] };
    return this.persist(tenant.id, current, { ...this.done(current, 'create_pool'), created }, async (tx) => {
      await tx.tenant.update({ where: { id: tenant.id }, data: { userPoolId: poolId } });
    });
  }

  /** Recovery path only: the pool an interrupted attempt may have created (its name and tags are the tenant's). */
  private findLeftoverPool(tenant: TenantFacts): Promise<string | undefined> {
    const blueprint = this.siloBlueprint(tenant);
    return this.cognito(() => this.identity.findTaggedUserPool(tenant.region, blueprint.poolName, blueprint.tags));
  }

  /**
   * One of the tenant's two app clients. Like the pool, the intent is recorded before
   * CreateUserPoolClient; only a run that finds the mark without an id looks the client up by
   * name (client names are unique per tenant, and slugs are never reused).
   */
  private async createAppClient(tenant: TenantFacts, state: ProvisioningState, role: AppClientRole): Promise<ProvisioningState> {
    const silo = tenant.model === 'silo';
    const pool: PoolRef = silo ? this.userPool(tenant, state) : this.sharedPool(tenant.tier);
    const blueprint = silo ? this.siloBlueprint(tenant) : this.sharedBlueprint(tenant.tier);
    const client = this.tenantClients(tenant)[role];
    const step = role === 'public' ? 'create_app_client' : 'create_gatehouse_client';
    const intent = role === 'public' ? 'publicClientRequestedAt' : 'gatehouseClientRequestedAt';
    let current = state;
    let clientId = role === 'public' ? state.created.clientId : state.created.gatehouseClientId;
    if (!clientId) {
      if (current.created[intent]) {
        clientId = await this.cognito(() => this.identity.findUserPoolClientByName(pool, client.name));
      } else {
        current = await this.persist(tenant.id, current, { created: { [intent]: new Date().toISOString() } });
      }
      clientId ??= (
        await this.cognito(() =>
          this.identity.createUserPoolClient(pool, blueprint, client, {
            ...(current.request.tokenValidity ? { tokenValidity: current.request.tokenValidity } : {}),
          }),
        )
      ).clientId;
    }
    await this.fault(tenant, current, step, 'after-effect');
    const created = role === 'public' ? { clientId } : { gatehouseClientId: clientId };
    return this.persist(tenant.id, current, { ...this.done(current, step), created });
  }

  private async createGroups(tenant: TenantFacts, state: ProvisioningState): Promise<ProvisioningState> {
    const pool = this.userPool(tenant, state);
    for (const role of TENANT_ROLES) await this.cognito(() => this.identity.ensureGroup(pool, role));
    await this.fault(tenant, state, 'create_groups', 'after-effect');
    return this.persist(tenant.id, state, this.done(state, 'create_groups'));
  }

  private async inviteAdmin(tenant: TenantFacts, state: ProvisioningState): Promise<ProvisioningState> {
    const pool = this.userPool(tenant, state);
    let current = state;
    if (!current.created.adminUsername) {
      // Decide the opaque username first and record it: a resume then finds the user instead of inviting twice.
      // It is the derived one (tenant + e-mail), so the admin can also sign in at Cognito directly.
      current = await this.persist(tenant.id, current, { created: { adminUsername: deriveSignInUsername(tenant.id, current.request.firstAdminEmail) } });
    }
    const username = current.created.adminUsername!;
    const user =
      (await this.cognito(() => this.identity.getUser(pool, username))) ??
      (await this.cognito(() =>
        this.identity.createUser(pool, {
          username,
          email: current.request.firstAdminEmail,
          attributes: { 'custom:tenantId': tenant.id, 'custom:tenantTier': tenant.tier },
          invite: true,
        }),
      ));
    await this.cognito(() => this.identity.addUserToGroup(pool, username, 'admin'));
    await this.fault(tenant, current, 'invite_admin', 'after-effect');
    return this.persist(tenant.id, current, { ...this.done(current, 'invite_admin'), created: { adminSub: user.sub } });
  }

  private async mirrorAdmin(tenant: TenantFacts, state: ProvisioningState): Promise<ProvisioningState> {
    const pool = this.userPool(tenant, state);
    const email = state.request.firstAdminEmail.toLowerCase();
    await this.fault(tenant, state, 'mirror_admin', 'after-effect');
    return this.persist(tenant.id, state, this.done(state, 'mirror_admin'), async (tx) => {
      // The row commits with this step's `done`, so a resume finds either both or neither; upsert anyway.
      await tx.user.upsert({
        where: { tenantId_email: { tenantId: tenant.id, email } },
        create: {
          tenantId: tenant.id,
          email,
          username: state.created.adminUsername!,
          issuer: pool.issuer,
          sub: state.created.adminSub ?? null,
          status: 'pending',
          role: 'admin',
          emailVerified: false,
        },
        update: {},
      });
    });
  }

  private async registerIssuer(tenant: TenantFacts, state: ProvisioningState): Promise<ProvisioningState> {
    const pool = this.userPool(tenant, state);
    // Public first: clients are listed oldest first, and the public one is what front ends are given.
    const clients: [string, AppClientRole][] = [
      [state.created.clientId!, 'public'],
      [state.created.gatehouseClientId!, 'gatehouse'],
    ];
    await this.fault(tenant, state, 'register_issuer', 'after-effect');
    return this.persist(tenant.id, state, this.done(state, 'register_issuer'), async (tx) => {
      await tx.tenant.update({ where: { id: tenant.id }, data: { userPoolId: pool.userPoolId, issuer: pool.issuer } });
      for (const [clientId, role] of clients) {
        await tx.tenantAppClient.upsert({
          where: { clientId },
          create: { tenantId: tenant.id, clientId, userPoolId: pool.userPoolId, issuer: pool.issuer, dedicated: true, role },
          update: {},
        });
      }
    });
  }

  private async activate(tenant: TenantFacts, state: ProvisioningState): Promise<ProvisioningState> {
    await this.fault(tenant, state, 'activate', 'after-effect');
    const durationMs = Date.now() - Date.parse(state.startedAt);
    const next = await this.persist(tenant.id, state, { ...this.done(state, 'activate'), durationMs, lease: null }, async (tx) => {
      await tx.tenant.update({ where: { id: tenant.id }, data: { status: 'active' } });
      await this.audit.record(tx, {
        action: 'tenant.provision',
        tenantId: tenant.id,
        target: `tenant:${tenant.id}`,
        details: { model: tenant.model, attempt: state.attempt, durationMs },
      });
      await this.events.emit(tx, { type: 'tenant.activated', data: { tenantId: tenant.id, model: tenant.model } });
    });
    // Trusted from this moment on this replica; other replicas follow the NOTIFY.
    await this.issuers.refreshTenant(tenant.id);
    this.logger.log(`tenant ${tenant.slug} (${tenant.model}) provisioned in ${durationMs} ms`);
    this.countRun('active', state);
    return next;
  }

  private async deleteUsers(tenant: TenantFacts, state: ProvisioningState): Promise<ProvisioningState> {
    if (tenant.model !== 'silo') {
      // Shared pools: remove exactly this tenant's users (its silo pool, if any, takes its users with it).
      const pool = this.sharedPool(tenant.tier);
      const rows = await this.privileged.client.user.findMany({
        where: { tenantId: tenant.id, issuer: pool.issuer },
        select: { username: true },
      });
      const usernames = new Set(rows.map((row) => row.username));
      if (state.created.adminUsername) usernames.add(state.created.adminUsername);
      for (const username of usernames) await this.cognito(() => this.identity.deleteUser(pool, username));
    }
    await this.fault(tenant, state, 'delete_users', 'after-effect');
    return this.persist(tenant.id, state, this.done(state, 'delete_users'));
  }

  private async deleteAppClient(tenant: TenantFacts, state: ProvisioningState): Promise<ProvisioningState> {
    if (tenant.model === 'bridge') {
      // Both of the tenant's clients in the shared pool (a silo tenant's go with its pool).
      const pool = this.sharedPool(tenant.tier);
      const clients = this.tenantClients(tenant);
      const recorded = [
        [state.created.clientId, state.created.publicClientRequestedAt, clients.public.name],
        [state.created.gatehouseClientId, state.created.gatehouseClientRequestedAt, clients.gatehouse.name],
      ] as const;
      for (const [known, requested, name] of recorded) {
        // No id and no mark: the client was never asked for, so there is nothing to look up.
        const clientId = known ?? (requested ? await this.cognito(() => this.identity.findUserPoolClientByName(pool, name)) : undefined);
        if (clientId) await this.cognito(() => this.identity.deleteUserPoolClient({ ...pool, clientId }));
      }
    }
    await this.fault(tenant, state, 'delete_app_client', 'after-effect');
    return this.persist(tenant.id, state, this.done(state, 'delete_app_client'));
  }

  private async deletePool(tenant: TenantFacts, state: ProvisioningState): Promise<ProvisioningState> {
    if (tenant.model === 'silo') {
      // No id and no mark: CreateUserPool was never called for this tenant, so nothing is looked up.
      const userPoolId = state.created.userPoolId ?? (state.created.poolRequestedAt ? await this.findLeftoverPool(tenant) : undefined);
      if (userPoolId) await this.cognito(() => this.identity.deleteUserPool({ userPoolId, region: tenant.region }));
    }
    await this.fault(tenant, state, 'delete_pool', 'after-effect');
    return this.persist(tenant.id, state, this.done(state, 'delete_pool'));
  }

  private async deleteRows(tenant: TenantFacts, state: ProvisioningState): Promise<ProvisioningState> {
    await this.fault(tenant, state, 'delete_rows', 'after-effect');
    const next = await this.persist(tenant.id, state, { ...this.done(state, 'delete_rows'), lease: null }, async (tx) => {
      const where = { tenantId: tenant.id };
      await tx.task.deleteMany({ where });
      await tx.project.deleteMany({ where });
      await tx.user.deleteMany({ where });
      await tx.tenantHost.deleteMany({ where });
      await tx.tenantEmailDomain.deleteMany({ where });
      await tx.tenantAppClient.deleteMany({ where });
      await tx.tenantIdentityProvider.deleteMany({ where });
      // The row stays as a tombstone: its slug is never given to another tenant (see README "Operating tenants").
      await tx.tenant.update({ where: { id: tenant.id }, data: { status: 'deleted', deletedAt: new Date() } });
      await this.audit.record(tx, { action: 'tenant.deleted', tenantId: tenant.id, target: `tenant:${tenant.id}`, details: { model: tenant.model } });
      await this.events.emit(tx, { type: 'tenant.deleted', data: { tenantId: tenant.id } });
    });
    await this.issuers.refreshTenant(tenant.id);
    this.countRun('deleted', state);
    return next;
  }

  private async fail(tenant: TenantFacts, state: ProvisioningState, step: AnyStep, error: unknown): Promise<void> {
    const code = errorCode(error);
    const message = error instanceof Error ? error.message.slice(0, 500) : String(error).slice(0, 500);
    this.logger.warn(`tenant ${tenant.slug}: step ${step} failed (${code}): ${message}`);
    await this.persist(
      tenant.id,
      state,
      { lastError: { step, code, message, at: new Date().toISOString() }, lease: null },
      async (tx) => {
        // A failed teardown stays `deleting` (still refused everywhere); a failed provisioning becomes `failed`.
        if (!state.teardown) await tx.tenant.update({ where: { id: tenant.id }, data: { status: 'failed' } });
        await this.audit.record(tx, {
          action: state.teardown ? 'tenant.delete' : 'tenant.provision',
          tenantId: tenant.id,
          target: `tenant:${tenant.id}`,
          outcome: 'failure',
          details: { step, code, attempt: state.attempt },
        });
      },
    );
    this.countRun('failed', state);
  }
}
