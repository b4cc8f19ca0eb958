/**
 * Moves a live tenant between tiers (pool ↔ bridge ↔ silo): the runner of the
 * tier-move state machine (tier-move-state.ts), built like provisioning — a
 * lease on the tenant row, each step's Cognito part then its record (with
 * the step's rows, compare-and-set on the state's `version`), a sweep that
 * resumes a crashed replica's move, retryable Cognito errors retried.
 *
 * Data rows are keyed by tenant id and stay where they are; only the identity
 * side moves. Users are copied to the target with the same opaque username
 * and the same Gatehouse user id; their second identity lives in
 * `tier_move_identities` until the move ends. Passwords cannot be exported:
 * they move at sign-in (identity/auth-flows.service.ts, lazy migration).
 *
 * Resuming never duplicates: a target pool or client not recorded is found
 * again by its name; a copied user is found again by its username (AdminGetUser).
 */
import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { PeriodicSweep } from '../periodic-sweep.js';
import {
  TENANT_ROLES,
  type TierConfig,
  type UserPoolBlueprint,
  allowedMfaPolicies,
  bridgeClientBlueprints,
  findTier,
  mfaSettingForPolicy,
  parseMfaPolicy,
  sharedPoolBlueprints,
  siloPoolBlueprint,
} from '@gatehouse/tiers';
import { EventsService } from '../../events/events.service.js';
import { AuditService } from '../../audit/audit.service.js';
import { TrustedIssuersService } from '../../auth/trusted-issuers.service.js';
import { DomainError } from '../../common/domain-error.js';
import { APP_CONFIG } from '../../config/config.module.js';
import { type AppConfig, cognitoIssuer } from '../../config/config.schema.js';
import { PrivilegedPrismaService } from '../../database/privileged-database.module.js';
import type { TransactionClient } from '../../database/prisma-client.js';
import { Prisma } from '../../generated/prisma/client.js';
import { IdentityProvider, type IdentityUser, type PoolRef } from '../../identity/identity-provider.js';
import { NON_RETRYABLE_CODES } from '../../identity/identity.errors.js';
import { Semaphore } from '../provisioning/semaphore.js';
import {
  LeaseLostError,
  invalidField,
  invalidTenantState,
  mfaReenrolmentNotAccepted,
  noTierMove,
  tenantNotFound,
  tierMoveCutOver,
  tierMoveInProgress,
} from '../tenants.errors.js';
import { DEFERRED_SUB_PREFIX, MoveIdentities } from './move-identities.js';
import { copyRoleGroups, createTargetUser, hasPasswordToMove } from './target-user.js';
import { TierMoveFaults } from './tier-move-faults.js';
import { TierMoveFederation, federatedPlaceholderSub, isFederatedPlaceholder, isFederatedUser } from './federation-move.js';
import {
  type MoveSide,
  type MoveStep,
  type TierMoveRequest,
  type TierMoveState,
  canCancel,
  hasEnded,
  initialMoveState,
  isCutOver,
  moveLeaseIsLive,
  needsRunner,
  nextMoveStep,
  parseMoveState,
} from './tier-move-state.js';

const MAX_STEP_TRIES = 3;
const COGNITO_CONCURRENCY = 4;
/** Users copied between two state writes (each write renews the lease). */
const COPY_BATCH = 25;

/**
 * Runs `work` over `items` a batch at a time, the batch's items together: the
 * runner's Cognito semaphore bounds the calls in flight, and a batch finishes
 * before the next starts, so a failure stops the step after at most one batch
 * (each item's work is idempotent, so the resumed step redoes it).
 */
async function inBatches<T>(items: readonly T[], size: number, work: (item: T) => Promise<void>, afterBatch?: () => Promise<void>): Promise<void> {
  for (let start = 0; start < items.length; start += size) {
    // Every item of the batch settles before a failure is reported: nothing of a failed step is still running.
    const outcomes = await Promise.allSettled(items.slice(start, start + size).map(work));
    const failed = outcomes.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
    if (failed) throw failed.reason;
    await afterBatch?.();
  }
}

export interface MoveTenantInput {
  readonly tier: string;
  readonly unmigratedUsers: TierMoveRequest['unmigratedUsers'];
  readonly acceptMfaReenrolment: boolean;
}

interface MoveTenant {
  readonly id: string;
  readonly slug: string;
  readonly name: string;
  readonly mfaPolicy: string;
  readonly passwordPolicy: unknown;
}

/** Users appeared in the source while cut-over was being prepared: copy them, then cut over again. */
class UsersStillToCopy extends Error {
  override readonly name = 'UsersStillToCopy';
}

/** `drain_source` has nothing to do yet: the runner lets go and the sweep comes back at `waitUntil`. */
class NotYet extends Error {
  override readonly name = 'NotYet';
  constructor(readonly state: TierMoveState) {
    super('waiting');
  }
}

function isRetryable(error: unknown): boolean {
  if (error instanceof UsersStillToCopy) return true;
  if (error instanceof DomainError && NON_RETRYABLE_CODES.has(error.code)) return false;
  return error instanceof DomainError && (error.status === 429 || error.status === 503);
}

function errorCode(error: unknown): string {
  if (error instanceof DomainError) return error.code;
  return (error as { name?: string })?.name ?? 'error';
}

@Injectable()
export class TierMoveService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(TierMoveService.name);
  private readonly cognitoCalls = new Semaphore(COGNITO_CONCURRENCY);
  private readonly runs = new Map<string, Promise<void>>();
  private readonly owner = randomUUID();
  private readonly sweeper = new PeriodicSweep('tier moves', () => this.resumeAbandoned(), this.logger);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly privileged: PrivilegedPrismaService,
    private readonly identity: IdentityProvider,
    private readonly audit: AuditService,
    private readonly events: EventsService,
    private readonly issuers: TrustedIssuersService,
    private readonly faults: TierMoveFaults,
    private readonly federation: TierMoveFederation,
    private readonly moveIdentities: MoveIdentities,
  ) {}

  onApplicationBootstrap(): void {
    this.sweeper.start(this.config.env.PROVISIONING_SWEEP_INTERVAL_MS);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.sweeper.stop();
    await Promise.allSettled([...this.runs.values()]);
  }

  private async resumeAbandoned(): Promise<void> {
    const rows = await this.privileged.client.tenant.findMany({
      where: { status: { in: ['active', 'suspended'] }, tierMove: { path: ['version'], gt: 0 } },
      select: { id: true, tierMove: true },
    });
    const now = new Date();
    for (const row of rows) {
      const state = parseMoveState(row.tierMove);
      if (state && !this.runs.has(row.id) && needsRunner(state, now)) void this.start(row.id);
    }
  }

  // ---- the operators' API -------------------------------------------------------

  /** Starts moving the tenant to `input.tier`; answers at once, the move runs in the background. */
  async requestMove(tenantId: string, input: MoveTenantInput): Promise<{ finished: Promise<void> }> {
    await this.privileged.client.$transaction(async (tx) => {
      const rows = await tx.$queryRaw<{ id: string }[]>`SELECT id FROM tenants WHERE id = ${tenantId}::uuid FOR UPDATE`;
      if (rows.length === 0) throw tenantNotFound();
      const tenant = await tx.tenant.findUniqueOrThrow({ where: { id: tenantId }, include: { appClients: true } });
      if (tenant.status !== 'active') throw invalidTenantState(tenant.status, 'moved');
      const current = parseMoveState(tenant.tierMove);
      if (current && !hasEnded(current)) throw tierMoveInProgress();

      const target = this.targetTier(tenant.tier, tenant.isolationModel, input.tier, parseMfaPolicy(tenant.mfaPolicy));
      await this.federation.assertCanMove(tx, tenantId, target);
      if (!input.acceptMfaReenrolment) {
        // TOTP secrets cannot leave Cognito: users who have one enrol again on the target. The operator must say so.
        const totpUsers = await tx.user.count({ where: { tenantId, mfaEnrolled: true } });
        if (totpUsers > 0 || parseMfaPolicy(tenant.mfaPolicy) === 'required') throw mfaReenrolmentNotAccepted();
      }
      const clientOf = (role: string) => tenant.appClients.find((client) => client.issuer === tenant.issuer && client.role === role)?.clientId ?? null;
      const source: MoveSide = {
        tier: tenant.tier,
        model: tenant.isolationModel,
        region: tenant.region,
        userPoolId: tenant.userPoolId,
        issuer: tenant.issuer,
        clientId: clientOf('public'),
        gatehouseClientId: clientOf('gatehouse'),
      };
      const shared = target.model === 'silo' ? undefined : this.config.sharedPools.get(target.name);
      const targetSide: MoveSide = {
        tier: target.name,
        model: target.model,
        region: shared?.region ?? tenant.region,
        userPoolId: shared?.userPoolId ?? null,
        issuer: shared?.issuer ?? null,
        clientId: null,
        gatehouseClientId: null,
      };
      const request: TierMoveRequest = { tier: target.name, unmigratedUsers: input.unmigratedUsers, acceptMfaReenrolment: input.acceptMfaReenrolment };
      const state = initialMoveState(request, source, targetSide, new Date());
      await tx.tenant.update({ where: { id: tenantId }, data: { tierMove: state as object } });
      await this.audit.record(tx, {
        action: 'tenant.tier_move.start',
        tenantId,
        target: `tenant:${tenantId}`,
        details: { fromTier: source.tier, toTier: target.name, fromModel: source.model, toModel: target.model, unmigratedUsers: input.unmigratedUsers, acceptMfaReenrolment: input.acceptMfaReenrolment },
      });
    });
    return { finished: this.start(tenantId) };
  }

  /** Resumes a failed move from the step that failed. */
  async retry(tenantId: string): Promise<{ finished: Promise<void> }> {
    await this.changeState(tenantId, 'tenant.tier_move.retry', (state) => {
      if (hasEnded(state) || state.lastError === null) throw noTierMove();
      return { ...state, attempt: state.attempt + 1, lastError: null, lease: null, waitUntil: null };
    });
    return { finished: this.start(tenantId) };
  }

  /** Rolls a move back (before cut-over only): what the target got is removed, the tenant stays where it was. */
  async cancel(tenantId: string): Promise<{ finished: Promise<void> }> {
    await this.changeState(tenantId, 'tenant.tier_move.cancel', (state) => {
      if (isCutOver(state)) throw tierMoveCutOver();
      if (!canCancel(state)) throw noTierMove();
      // A live runner of another replica would keep going: it loses its lease on its next write (version moves on).
      return { ...state, cancelled: true, lastError: null, lease: null, waitUntil: null };
    });
    return { finished: this.start(tenantId) };
  }

  /** True while a move is under way for the tenant (the tenants service refuses deletion meanwhile). */
  async isMoving(tenantId: string): Promise<boolean> {
    const row = await this.privileged.client.tenant.findUnique({ where: { id: tenantId }, select: { tierMove: true } });
    const state = parseMoveState(row?.tierMove);
    return state !== null && !hasEnded(state);
  }

  private async changeState(tenantId: string, action: string, change: (state: TierMoveState) => TierMoveState): Promise<void> {
    await this.privileged.client.$transaction(async (tx) => {
      const rows = await tx.$queryRaw<{ tier_move: unknown }[]>`SELECT tier_move FROM tenants WHERE id = ${tenantId}::uuid FOR UPDATE`;
      if (rows.length === 0) throw tenantNotFound();
      const state = parseMoveState(rows[0]!.tier_move);
      if (!state) throw noTierMove();
      if (moveLeaseIsLive(state, new Date()) && !action.endsWith('.cancel')) throw tierMoveInProgress();
      const next = { ...change(state), version: state.version + 1 };
      await tx.tenant.update({ where: { id: tenantId }, data: { tierMove: next as object } });
      await this.audit.record(tx, { action, tenantId, target: `tenant:${tenantId}`, details: { attempt: next.attempt, toTier: state.target.tier } });
    });
    await this.issuers.refreshTenant(tenantId);
  }

  /** The target tier, checked: configured, a different tier, a model that can take this tenant, its MFA policy allowed. */
  private targetTier(currentTier: string, currentModel: string, requested: string, mfaPolicy: ReturnType<typeof parseMfaPolicy>): TierConfig {
    const tier = findTier(this.config.tiers, requested);
    if (!tier) throw invalidField('tier', `unknown tier "${requested}": expected one of ${this.config.tiers.tiers.map((t) => t.name).join(', ')}`);
    if (tier.name === currentTier) throw invalidField('tier', 'the tenant is already in this tier');
    // A silo tenant's pool is named after its slug: a second silo pool for the same tenant would take the same name.
    if (tier.model === 'silo' && currentModel === 'silo') throw invalidField('tier', 'moves between two silo tiers are not supported; move through a shared tier');
    if (tier.model !== 'silo' && !this.config.sharedPools.get(tier.name)) throw invalidField('tier', `tier "${tier.name}" has no shared pool configured`);
    if (!allowedMfaPolicies(tier).includes(mfaPolicy)) {
      throw invalidField('tier', `tier "${tier.name}" cannot honour the tenant's MFA policy (${mfaPolicy}); change the policy first`);
    }
    return tier;
  }

  // ---- the runner -----------------------------------------------------------------

  start(tenantId: string): Promise<void> {
    const running = this.runs.get(tenantId);
    if (running) return running;
    const run = this.runToEnd(tenantId)
      .catch((error: unknown) => {
        if (error instanceof LeaseLostError) return;
        if (error instanceof DomainError && error.code === 'tier_move_in_progress') return;
        this.logger.error(`tier move of tenant ${tenantId} stopped: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      })
      .finally(() => this.runs.delete(tenantId));
    this.runs.set(tenantId, run);
    return run;
  }

  private async runToEnd(tenantId: string): Promise<void> {
    const claimed = await this.claim(tenantId);
    if (!claimed) return;
    const { tenant } = claimed;
    let state = claimed.state;
    for (;;) {
      const step = nextMoveStep(state);
      if (!step) return;
      for (let attempt = 1; ; attempt += 1) {
        try {
          await this.fault(tenant, state, step, 'before');
          state = await this.runStep(tenant, state, step);
          break;
        } catch (error) {
          if (error instanceof LeaseLostError) throw error;
          if (error instanceof NotYet) {
            await this.persist(tenant.id, error.state, { lease: null });
            return;
          }
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

  private async claim(tenantId: string): Promise<{ tenant: MoveTenant; state: TierMoveState } | undefined> {
    const row = await this.privileged.client.tenant.findUnique({ where: { id: tenantId } });
    if (!row) throw tenantNotFound();
    const state = parseMoveState(row.tierMove);
    if (!state || hasEnded(state) || state.lastError !== null) return undefined;
    const now = new Date();
    if (moveLeaseIsLive(state, now) && state.lease?.owner !== this.owner) throw tierMoveInProgress();
    const takeover = state.lease !== null && state.lease.owner !== this.owner;
    if (takeover) this.logger.warn(`tenant ${row.slug}: resuming the tier move abandoned by runner ${state.lease!.owner}`);
    const tenant: MoveTenant = { id: row.id, slug: row.slug, name: row.name, mfaPolicy: row.mfaPolicy, passwordPolicy: row.passwordPolicy };
    const resumed = takeover ? { resumes: state.resumes + 1, lastResumedAt: now.toISOString() } : {};
    return { tenant, state: await this.persist(tenant.id, state, { waitUntil: null, ...resumed }) };
  }

  private async reload(tenantId: string): Promise<TierMoveState> {
    const row = await this.privileged.client.tenant.findUniqueOrThrow({ where: { id: tenantId }, select: { tierMove: true } });
    const state = parseMoveState(row.tierMove);
    if (!state || state.lease?.owner !== this.owner) throw new LeaseLostError('another runner took the move over');
    return state;
  }

  /** Writes the next state (compare-and-set on `version`, lease renewed unless given) and, in the same transaction, the step's rows. */
  private async persist(
    tenantId: string,
    state: TierMoveState,
    change: Partial<Omit<TierMoveState, 'version'>>,
    effects?: (tx: TransactionClient, next: TierMoveState) => Promise<void>,
  ): Promise<TierMoveState> {
    const now = new Date();
    const next: TierMoveState = {
      ...state,
      ...change,
      version: state.version + 1,
      lease:
        change.lease === undefined
          ? { owner: this.owner, until: new Date(now.getTime() + this.config.env.PROVISIONING_LEASE_MS).toISOString() }
          : change.lease,
    };
    await this.privileged.client.$transaction(async (tx) => {
      const { count } = await tx.tenant.updateMany({
        where: { id: tenantId, tierMove: { path: ['version'], equals: state.version } },
        data: { tierMove: next as object },
      });
      if (count !== 1) throw new LeaseLostError(`tenant ${tenantId}: the tier-move state changed under this runner`);
      await effects?.(tx, next);
    });
    return next;
  }

  private done(state: TierMoveState, step: MoveStep): Pick<TierMoveState, 'done'> {
    return { done: { ...state.done, [step]: new Date().toISOString() } };
  }

  private cognito<T>(call: () => Promise<T>): Promise<T> {
    return this.cognitoCalls.run(call);
  }

  private async fault(tenant: MoveTenant, state: TierMoveState, step: MoveStep, when: 'before' | 'after-effect'): Promise<void> {
    await this.faults.check({ tenantId: tenant.id, slug: tenant.slug, step, when, attempt: state.attempt });
  }

  // ---- blueprints ---------------------------------------------------------------

  private tier(name: string): TierConfig {
    const tier = findTier(this.config.tiers, name);
    if (!tier) throw new Error(`tier "${name}" is not configured`);
    return tier;
  }

  private siloBlueprint(tenant: MoveTenant, side: MoveSide): UserPoolBlueprint {
    const email = this.config.env.COGNITO_EMAIL?.[side.region];
    return siloPoolBlueprint(
      this.tier(side.tier),
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

  private pool(side: MoveSide): PoolRef {
    if (!side.userPoolId) throw new Error('the side of the move has no pool recorded');
    return { userPoolId: side.userPoolId, region: side.region };
  }

  // ---- forward steps ------------------------------------------------------------

  private async runStep(tenant: MoveTenant, state: TierMoveState, step: MoveStep): Promise<TierMoveState> {
    switch (step) {
      case 'create_target_pool':
        return this.createTargetPool(tenant, state);
      case 'create_target_clients':
        return this.createTargetClients(tenant, state);
      case 'create_target_groups':
        return this.createTargetGroups(tenant, state);
      case 'create_target_providers':
        return this.createTargetProviders(tenant, state);
      case 'copy_users':
        return this.copyUsersStep(tenant, state);
      case 'cut_over':
        return this.cutOver(tenant, state);
      case 'drain_source':
        return this.drainSource(tenant, state);
      case 'remove_source':
        return this.removeSource(tenant, state);
      case 'finish':
        return this.finish(tenant, state);
      case 'rollback_users':
        return this.rollbackUsers(tenant, state);
      case 'rollback_clients':
        return this.rollbackClients(tenant, state);
      case 'rollback_providers':
        return this.rollbackProviders(tenant, state);
      case 'rollback_pool':
        return this.rollbackPool(tenant, state);
      case 'rollback_finish':
        return this.rollbackFinish(tenant, state);
    }
  }

  private async createTargetPool(tenant: MoveTenant, state: TierMoveState): Promise<TierMoveState> {
    const blueprint = this.siloBlueprint(tenant, state.target);
    let userPoolId = state.target.userPoolId;
    if (!userPoolId) {
      // As in provisioning: a pool of this name not recorded was left half-made by a crashed attempt, and nothing uses it yet.
      const leftover = await this.cognito(() => this.identity.findTaggedUserPool(state.target.region, blueprint.poolName, blueprint.tags));
      if (leftover) await this.cognito(() => this.identity.deleteUserPool({ userPoolId: leftover, region: state.target.region }));
      userPoolId = (await this.cognito(() => this.identity.createUserPool(state.target.region, blueprint))).userPoolId;
    }
    await this.fault(tenant, state, 'create_target_pool', 'after-effect');
    const target: MoveSide = { ...state.target, userPoolId, issuer: cognitoIssuer(this.config.env, state.target.region, userPoolId) };
    return this.persist(tenant.id, state, { ...this.done(state, 'create_target_pool'), target });
  }

  /** The tenant's two clients on the target (its silo pool, or its own in the bridge tier's pool), found again by name on a resume. */
  private async createTargetClients(tenant: MoveTenant, state: TierMoveState): Promise<TierMoveState> {
    const pool = this.pool(state.target);
    const silo = state.target.model === 'silo';
    const blueprint = silo ? this.siloBlueprint(tenant, state.target) : this.sharedBlueprint(state.target.tier);
    const clients = silo
      ? blueprint.clients
      : bridgeClientBlueprints(blueprint, tenant.slug, { deployment: this.config.env.GATEHOUSE_DEPLOYMENT });
    const ensure = async (recorded: string | null, role: 'public' | 'gatehouse') =>
      recorded ??
      (await this.cognito(() => this.identity.findUserPoolClientByName(pool, clients[role].name))) ??
      (await this.cognito(() => this.identity.createUserPoolClient(pool, blueprint, clients[role]))).clientId;
    const clientId = await ensure(state.target.clientId, 'public');
    const gatehouseClientId = await ensure(state.target.gatehouseClientId, 'gatehouse');
    await this.fault(tenant, state, 'create_target_clients', 'after-effect');
    const target: MoveSide = { ...state.target, clientId, gatehouseClientId };
    const issuer = state.target.issuer!;
    const next = await this.persist(tenant.id, state, { ...this.done(state, 'create_target_clients'), target }, async (tx) => {
      for (const [id, role] of [[clientId, 'public'], [gatehouseClientId, 'gatehouse']] as const) {
        await tx.tenantAppClient.upsert({
          where: { clientId: id },
          create: { tenantId: tenant.id, clientId: id, userPoolId: pool.userPoolId, issuer, dedicated: true, role },
          update: {},
        });
      }
    });
    // The target's tokens are trusted for this tenant from now on (other replicas follow the NOTIFY).
    await this.issuers.refreshTenant(tenant.id);
    return next;
  }

  private async createTargetGroups(tenant: MoveTenant, state: TierMoveState): Promise<TierMoveState> {
    const pool = this.pool(state.target);
    for (const role of TENANT_ROLES) await this.cognito(() => this.identity.ensureGroup(pool, role));
    await this.fault(tenant, state, 'create_target_groups', 'after-effect');
    const next = await this.persist(tenant.id, state, this.done(state, 'create_target_groups'));
    // A silo target's issuer is trusted once its pool is complete (pool-model targets need nothing: their tier's pool is trusted).
    await this.issuers.refreshTenant(tenant.id);
    return next;
  }

  /** The tenant's providers federated through Cognito, its hosted UI domain and public client's code flow, on the target (federation-move.ts). */
  private async createTargetProviders(tenant: MoveTenant, state: TierMoveState): Promise<TierMoveState> {
    const silo = state.target.model === 'silo';
    const blueprint = silo ? this.siloBlueprint(tenant, state.target) : this.sharedBlueprint(state.target.tier);
    const client = silo ? blueprint.clients.public : bridgeClientBlueprints(blueprint, tenant.slug, { deployment: this.config.env.GATEHOUSE_DEPLOYMENT }).public;
    let current = state;
    const federation = await this.federation.recreateOnTarget(
      tenant,
      state,
      { pool: this.pool(state.target), clientId: state.target.clientId!, blueprint, client },
      {
        cognito: (call) => this.cognito(call),
        record: async (pending) => {
          current = await this.persist(tenant.id, current, { federation: pending });
        },
      },
    );
    await this.fault(tenant, current, 'create_target_providers', 'after-effect');
    return this.persist(tenant.id, current, { ...this.done(current, 'create_target_providers'), federation });
  }

  private async copyUsersStep(tenant: MoveTenant, state: TierMoveState): Promise<TierMoveState> {
    const copied = await this.copyUsers(tenant, state);
    await this.fault(tenant, copied, 'copy_users', 'after-effect');
    const next = await this.persist(tenant.id, copied, this.done(copied, 'copy_users'));
    await this.issuers.refreshTenant(tenant.id);
    return next;
  }

  /**
   * Copies every Cognito user of the tenant not copied yet (no second identity),
   * in batches that renew the lease as they go. Users with a password of their
   * own are deferred, not created (their target account needs that password,
   * which Cognito cannot export: deferred-users.ts); everyone else — invited
   * users who never chose a password, users of an identity provider, disabled
   * users — is created on the target now (target-user.ts), invitation suppressed.
   */
  private async copyUsers(tenant: MoveTenant, state: TierMoveState): Promise<TierMoveState> {
    const pools = { source: this.pool(state.source), target: this.pool(state.target) };
    const targetIssuer = state.target.issuer!;
    const federatedProviders = await this.federation.providerNames(tenant.id);
    let current = state;
    for (;;) {
      const batch = await this.privileged.client.user.findMany({
        where: { tenantId: tenant.id, issuer: state.source.issuer!, moveIdentity: null },
        select: { id: true, username: true, email: true, status: true },
        orderBy: { id: 'asc' },
        take: COPY_BATCH,
      });
      if (batch.length === 0) return current;
      let copiedNow = 0;
      await Promise.all(
        batch.map(async (user) => {
          if (isFederatedUser(user.username, federatedProviders)) {
            // Federated users have no password to copy: Cognito creates them again at their first federated sign-in on the target.
            await this.recordIdentity(tenant.id, user.id, targetIssuer, user.username, federatedPlaceholderSub(user.id));
            return;
          }
          const original = await this.cognito(() => this.identity.getUser(pools.source, user.username));
          if (!original) {
            // A sign-up claim whose Cognito user was never made: nothing to copy. Recorded so the batch moves on.
            this.logger.warn(`tenant ${tenant.slug}: user ${user.id} has no Cognito user in the source; not copied`);
            await this.recordIdentity(tenant.id, user.id, targetIssuer, user.username, `none:missing:${user.id}`);
            return;
          }
          if (isFederatedUser(user.username, federatedProviders, original.status)) {
            // Federated through a provider the tenant no longer lists: no password either, nothing to create.
            await this.recordIdentity(tenant.id, user.id, targetIssuer, user.username, federatedPlaceholderSub(user.id));
            return;
          }
          if (hasPasswordToMove(original, user.status)) {
            await this.moveIdentities.recordDeferred(tenant.id, user.id, targetIssuer, user.username);
          } else {
            const facts = { tenantId: tenant.id, targetTier: state.target.tier, fallbackEmail: user.email, invite: false };
            const copy = await createTargetUser(this.identity, pools, original, facts, (call) => this.cognito(call));
            await this.recordIdentity(tenant.id, user.id, targetIssuer, user.username, copy.sub);
          }
          copiedNow += 1;
        }),
      );
      current = await this.persist(tenant.id, current, { copiedUsers: current.copiedUsers + copiedNow });
    }
  }

  private async recordIdentity(tenantId: string, userId: string, issuer: string, username: string, sub: string): Promise<void> {
    await this.privileged.client.tierMoveIdentity.upsert({
      where: { tenantId_userId: { tenantId, userId } },
      create: { tenantId, userId, issuer, username, sub },
      update: {},
    });
  }

  /**
   * The tenant is served by the target from here on: in one transaction, every
   * user's two identities swap (users gets the target's, tier_move_identities
   * keeps the source's), the tenant row takes the target's tier, model and
   * pool, and provisioning's record names the target's resources (so deleting
   * the tenant later removes what it has then).
   */
  private async cutOver(tenant: MoveTenant, state: TierMoveState): Promise<TierMoveState> {
    // Users who signed up or were invited since copy_users.
    const caughtUp = await this.copyUsers(tenant, state);
    await this.fault(tenant, caughtUp, 'cut_over', 'after-effect');
    const now = new Date();
    const target = caughtUp.target;
    const next = await this.persist(
      tenant.id,
      caughtUp,
      { ...this.done(caughtUp, 'cut_over'), cutOverAt: now.toISOString() },
      async (tx) => {
        const [{ missing }] = await tx.$queryRaw<{ missing: bigint }[]>`
          SELECT count(*) AS missing FROM users u
          WHERE u.tenant_id = ${tenant.id}::uuid AND u.issuer = ${caughtUp.source.issuer}
            AND NOT EXISTS (SELECT 1 FROM tier_move_identities i WHERE i.tenant_id = u.tenant_id AND i.user_id = u.id)`;
        if (missing > 0n) throw new UsersStillToCopy(`${missing} users appeared during cut-over`);
        // One statement: every part sees the rows as they were before it, so `old` holds the source identities.
        // Deferred users have no target account yet: they keep the source identity until theirs is bound (move-identities.ts).
        await tx.$executeRaw`
          WITH old AS (
            SELECT u.tenant_id, u.id, u.issuer, u.sub FROM users u
            JOIN tier_move_identities i ON i.tenant_id = u.tenant_id AND i.user_id = u.id
            WHERE u.tenant_id = ${tenant.id}::uuid AND i.sub NOT LIKE 'none:%' AND i.sub NOT LIKE 'deferred:%'
          ), swapped AS (
            UPDATE users u SET issuer = i.issuer, sub = i.sub
            FROM tier_move_identities i, old
            WHERE i.tenant_id = u.tenant_id AND i.user_id = u.id AND old.tenant_id = u.tenant_id AND old.id = u.id
            RETURNING u.id
          )
          UPDATE tier_move_identities i SET issuer = old.issuer, sub = COALESCE(old.sub, 'none:' || old.id::text)
          FROM old WHERE i.tenant_id = old.tenant_id AND i.user_id = old.id`;
        await this.federation.cutOver(tx, tenant.id, caughtUp);
        const row = await tx.tenant.findUniqueOrThrow({ where: { id: tenant.id }, select: { provisioning: true } });
        const provisioning = (row.provisioning ?? {}) as { version?: number; created?: Record<string, unknown> };
        await tx.tenant.update({
          where: { id: tenant.id },
          data: {
            tier: target.tier,
            isolationModel: target.model,
            region: target.region,
            userPoolId: target.userPoolId,
            issuer: target.issuer,
            // A per-tenant password policy exists only with a pool per tenant.
            ...(target.model === 'silo' ? {} : { passwordPolicy: Prisma.DbNull }),
            provisioning: {
              ...provisioning,
              version: (provisioning.version ?? 0) + 1,
              created: {
                ...(provisioning.created ?? {}),
                userPoolId: target.model === 'silo' ? target.userPoolId : undefined,
                clientId: target.clientId ?? undefined,
                gatehouseClientId: target.gatehouseClientId ?? undefined,
              },
            } as object,
          },
        });
        await this.audit.record(tx, {
          action: 'tenant.tier_move.cut_over',
          tenantId: tenant.id,
          target: `tenant:${tenant.id}`,
          details: { fromTier: caughtUp.source.tier, toTier: target.tier, users: caughtUp.copiedUsers },
        });
      },
    );
    await this.issuers.refreshTenant(tenant.id);
    return next;
  }

  /**
   * The source stays until its tokens have expired (TIER_MOVE_SOURCE_GRACE_MS
   * after cut-over) and, with `keep_source`, until every user has signed in
   * once (their password moved). Until then the runner lets go and the sweep
   * comes back later.
   */
  private async drainSource(tenant: MoveTenant, state: TierMoveState): Promise<TierMoveState> {
    const now = Date.now();
    const graceEnds = Date.parse(state.cutOverAt ?? new Date(0).toISOString()) + this.config.env.TIER_MOVE_SOURCE_GRACE_MS;
    if (now < graceEnds) throw new NotYet({ ...state, waitUntil: new Date(graceEnds).toISOString() });
    if (state.request.unmigratedUsers === 'keep_source') {
      // Users with a password of their own; invited users who never chose one get the invitation again instead (remove_source).
      // Federated users (`none:federated:…`, copy_users) have no password: Cognito re-creates them at their next federated sign-in.
      const waiting = await this.privileged.client.tierMoveIdentity.count({
        where: { tenantId: tenant.id, passwordMigratedAt: null, NOT: { sub: { startsWith: 'none:' } }, user: { status: 'active' } },
      });
      if (waiting > 0) {
        throw new NotYet({ ...state, waitUntil: new Date(now + this.config.env.PROVISIONING_SWEEP_INTERVAL_MS).toISOString() });
      }
    }
    await this.fault(tenant, state, 'drain_source', 'after-effect');
    return this.persist(tenant.id, state, { ...this.done(state, 'drain_source'), waitUntil: null });
  }

  /**
   * Removes the source with the care of a tenant deletion: exactly this
   * tenant's users in a shared pool (by the usernames recorded for it), its
   * own clients in a bridge pool (by recorded id), its silo pool (by recorded
   * id). Deferred users get their target account first (settleDeferredUsers).
   * Users whose password never moved get the target's invitation again
   * (`reset_password`): a new temporary password by e-mail.
   */
  private async removeSource(tenant: MoveTenant, state: TierMoveState): Promise<TierMoveState> {
    const source = state.source;
    const target = this.pool(state.target);
    // A batch at a time, each renewing the lease: a large tenant's removal outlives one lease, and no other runner may start it again meanwhile.
    let current = state;
    const renewLease = async () => {
      current = await this.persist(tenant.id, current, {});
    };
    const invitedNow = await this.settleDeferredUsers(tenant, state, renewLease);
    const identities = await this.privileged.client.tierMoveIdentity.findMany({
      where: { tenantId: tenant.id },
      select: { userId: true, username: true, issuer: true, sub: true, passwordMigratedAt: true, user: { select: { status: true } } },
    });
    await inBatches(identities, COPY_BATCH, async (identity) => {
      if (identity.passwordMigratedAt !== null || identity.user.status === 'disabled' || isFederatedPlaceholder(identity.sub) || invitedNow.has(identity.userId)) return;
      // `reset_password`: everyone whose password did not move. Either way: invited users who never chose a password (theirs was the source's).
      const reset = state.request.unmigratedUsers === 'reset_password' || identity.user.status === 'pending';
      if (!reset) return;
      const remade = await this.cognito(() => this.identity.resendInvitation(target, identity.username));
      if (remade) await this.moveIdentities.replaceTargetSubject(tenant.id, identity.userId, state.target.issuer!, remade);
    }, renewLease);
    if (source.model === 'silo') {
      if (source.userPoolId) await this.cognito(() => this.identity.deleteUserPool({ userPoolId: source.userPoolId!, region: source.region }));
    } else {
      const pool = this.pool(source);
      await inBatches(identities, COPY_BATCH, async (identity) => {
        if (identity.issuer === source.issuer) await this.cognito(() => this.identity.deleteUser(pool, identity.username));
      }, renewLease);
      if (source.model === 'bridge') {
        for (const clientId of [source.clientId, source.gatehouseClientId]) {
          if (clientId) await this.cognito(() => this.identity.deleteUserPoolClient({ ...pool, clientId }));
        }
        await this.federation.removeFromSource(tenant.id, state, (call) => this.cognito(call));
      }
    }
    await this.fault(tenant, current, 'remove_source', 'after-effect');
    const next = await this.persist(tenant.id, current, this.done(current, 'remove_source'), async (tx) => {
      if (source.issuer) await tx.tenantAppClient.deleteMany({ where: { tenantId: tenant.id, issuer: source.issuer } });
      await tx.tierMoveIdentity.deleteMany({ where: { tenantId: tenant.id } });
    });
    await this.issuers.refreshTenant(tenant.id);
    return next;
  }

  /**
   * Before the source goes, every deferred user gets its target account and is
   * bound (the source identity then sits in tier_move_identities, so the
   * source's users are removed like everyone else's). An account already there
   * (made by the user-migration trigger, or by a sign-in that stopped half-way)
   * is bound as it is; otherwise the user never signed in during the move and
   * is created with Cognito's invitation — a temporary password by e-mail —
   * unless disabled (created disabled, no e-mail). Returns who was invited.
   */
  private async settleDeferredUsers(tenant: MoveTenant, state: TierMoveState, afterBatch: () => Promise<void>): Promise<Set<string>> {
    const pools = { source: this.pool(state.source), target: this.pool(state.target) };
    const deferred = await this.privileged.client.tierMoveIdentity.findMany({
      where: { tenantId: tenant.id, sub: { startsWith: DEFERRED_SUB_PREFIX } },
      select: { userId: true, username: true, user: { select: { email: true, status: true, mfaEnrolled: true } } },
    });
    const invited = new Set<string>();
    await inBatches(deferred, COPY_BATCH, async (row) => {
      const existing = await this.cognito(() => this.identity.getUser(pools.target, row.username));
      let account: IdentityUser;
      if (!existing) {
        const original = await this.cognito(() => this.identity.getUser(pools.source, row.username));
        if (!original) {
          this.logger.warn(`tenant ${tenant.slug}: deferred user ${row.userId} has no Cognito user in the source any more; nothing to move`);
          return;
        }
        const invite = row.user.status !== 'disabled';
        const facts = { tenantId: tenant.id, targetTier: state.target.tier, fallbackEmail: row.user.email, invite };
        account = await createTargetUser(this.identity, pools, { ...original, enabled: original.enabled && invite }, facts, (call) => this.cognito(call));
        if (invite) invited.add(row.userId);
      } else {
        account = existing;
        await copyRoleGroups(this.identity, pools.source, pools.target, row.username, (call) => this.cognito(call));
        // Made by a sign-in that stopped before the password was set: nobody knows its temporary password.
        if (existing.status === 'FORCE_CHANGE_PASSWORD' && row.user.status !== 'disabled') {
          const remade = await this.cognito(() => this.identity.resendInvitation(pools.target, row.username));
          if (remade) account = { ...existing, sub: remade };
          invited.add(row.userId);
        }
      }
      // A confirmed account already there has the user's own password (set at a sign-in, or by the trigger's answer).
      const passwordMigrated = existing?.status === 'CONFIRMED';
      await this.moveIdentities.bind(tenant.id, row.userId, account.sub, { passwordMigrated, hadTotp: row.user.mfaEnrolled });
    }, afterBatch);
    return invited;
  }

  private async finish(tenant: MoveTenant, state: TierMoveState): Promise<TierMoveState> {
    await this.fault(tenant, state, 'finish', 'after-effect');
    return this.persist(tenant.id, state, { ...this.done(state, 'finish'), finishedAt: new Date().toISOString(), lease: null }, async (tx) => {
      await this.recordMoved(tx, tenant.id, state);
    });
  }

  /** The one place a finished move is announced: the audit entry and the `tenant.moved` event, in the move's last transaction. */
  private async recordMoved(tx: TransactionClient, tenantId: string, state: TierMoveState): Promise<void> {
    await this.audit.record(tx, {
      action: 'tenant.moved',
      tenantId,
      target: `tenant:${tenantId}`,
      details: {
        fromTier: state.source.tier,
        toTier: state.target.tier,
        fromModel: state.source.model,
        toModel: state.target.model,
        users: state.copiedUsers,
        durationMs: Date.now() - Date.parse(state.startedAt),
      },
    });
    await this.events.emit(tx, { type: 'tenant.moved', data: { tenantId, fromTier: state.source.tier, toTier: state.target.tier } });
  }

  // ---- rollback (cancel before cut-over) -------------------------------------------

  private async rollbackUsers(tenant: MoveTenant, state: TierMoveState): Promise<TierMoveState> {
    // A silo target's users go with its pool; in a shared target pool, exactly the copies made for this tenant.
    if (state.target.model !== 'silo' && state.target.userPoolId) {
      const pool = this.pool(state.target);
      // Recorded copies, and any copy a crashed runner made without recording it: copies carry the user's own
      // opaque username (unique to this user), so deleting the tenant's usernames there removes exactly its copies.
      const [identities, sourceUsers] = await Promise.all([
        this.privileged.client.tierMoveIdentity.findMany({ where: { tenantId: tenant.id }, select: { username: true } }),
        this.privileged.client.user.findMany({ where: { tenantId: tenant.id, issuer: state.source.issuer ?? '' }, select: { username: true } }),
      ]);
      const usernames = new Set([...identities, ...sourceUsers].map((row) => row.username));
      for (const username of usernames) await this.cognito(() => this.identity.deleteUser(pool, username));
    }
    await this.fault(tenant, state, 'rollback_users', 'after-effect');
    return this.persist(tenant.id, state, this.done(state, 'rollback_users'), async (tx) => {
      await tx.tierMoveIdentity.deleteMany({ where: { tenantId: tenant.id } });
    });
  }

  private async rollbackClients(tenant: MoveTenant, state: TierMoveState): Promise<TierMoveState> {
    if (state.target.model === 'bridge' && state.target.userPoolId) {
      const pool = this.pool(state.target);
      const clients = bridgeClientBlueprints(this.sharedBlueprint(state.target.tier), tenant.slug, { deployment: this.config.env.GATEHOUSE_DEPLOYMENT });
      const recorded = [
        [state.target.clientId, clients.public.name],
        [state.target.gatehouseClientId, clients.gatehouse.name],
      ] as const;
      for (const [known, name] of recorded) {
        const clientId = known ?? (await this.cognito(() => this.identity.findUserPoolClientByName(pool, name)));
        if (clientId) await this.cognito(() => this.identity.deleteUserPoolClient({ ...pool, clientId }));
      }
    }
    await this.fault(tenant, state, 'rollback_clients', 'after-effect');
    const next = await this.persist(tenant.id, state, this.done(state, 'rollback_clients'), async (tx) => {
      if (state.target.issuer) await tx.tenantAppClient.deleteMany({ where: { tenantId: tenant.id, issuer: state.target.issuer } });
    });
    await this.issuers.refreshTenant(tenant.id);
    return next;
  }

  private async rollbackProviders(tenant: MoveTenant, state: TierMoveState): Promise<TierMoveState> {
    await this.federation.rollbackOnTarget(tenant.id, state, (call) => this.cognito(call));
    await this.fault(tenant, state, 'rollback_providers', 'after-effect');
    return this.persist(tenant.id, state, this.done(state, 'rollback_providers'));
  }

  private async rollbackPool(tenant: MoveTenant, state: TierMoveState): Promise<TierMoveState> {
    if (state.target.model === 'silo') {
      const blueprint = this.siloBlueprint(tenant, state.target);
      const userPoolId =
        state.target.userPoolId ?? (await this.cognito(() => this.identity.findTaggedUserPool(state.target.region, blueprint.poolName, blueprint.tags)));
      if (userPoolId) await this.cognito(() => this.identity.deleteUserPool({ userPoolId, region: state.target.region }));
    }
    await this.fault(tenant, state, 'rollback_pool', 'after-effect');
    return this.persist(tenant.id, state, this.done(state, 'rollback_pool'));
  }

  private async rollbackFinish(tenant: MoveTenant, state: TierMoveState): Promise<TierMoveState> {
    const next = await this.persist(tenant.id, state, { ...this.done(state, 'rollback_finish'), finishedAt: new Date().toISOString(), lease: null }, async (tx) => {
      await this.audit.record(tx, {
        action: 'tenant.tier_move.rolled_back',
        tenantId: tenant.id,
        target: `tenant:${tenant.id}`,
        details: { fromTier: state.source.tier, toTier: state.target.tier },
      });
    });
    await this.issuers.refreshTenant(tenant.id);
    return next;
  }

  private async fail(tenant: MoveTenant, state: TierMoveState, step: MoveStep, error: unknown): Promise<void> {
    const code = errorCode(error);
    const message = error instanceof Error ? error.message.slice(0, 500) : String(error).slice(0, 500);
    this.logger.warn(`tenant ${tenant.slug}: tier-move step ${step} failed (${code}): ${message}`);
    await this.persist(tenant.id, state, { lastError: { step, code, message, at: new Date().toISOString() }, lease: null }, async (tx) => {
      await this.audit.record(tx, {
        action: 'tenant.tier_move',
        tenantId: tenant.id,
        target: `tenant:${tenant.id}`,
        outcome: 'failure',
        details: { step, code, attempt: state.attempt },
      });
    });
  }
}
