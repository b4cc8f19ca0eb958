/**
 * The persisted tier-move state machine, as data. It lives in the tenant
 * row's `tier_move` JSON column and is rewritten (compare-and-set on
 * `version`) after every step, together with the step's database effects,
 * exactly like provisioning (../provisioning/provisioning-state.ts).
 *
 * Forward steps (the target side's Cognito resources first, by model):
 *
 *   create_target_pool (silo) → create_target_clients (silo, bridge) → create_target_groups (silo)
 *   → create_target_providers (silo, bridge: the tenant's providers federated through Cognito)
 *   → copy_users → cut_over → drain_source → remove_source → finish
 *
 * Before `cut_over` the tenant is served by the source and the target is
 * trusted as well; from `cut_over` on it is served by the target and the
 * source stays trusted until `remove_source`. `drain_source` waits until the
 * source's tokens have expired (and, with `unmigratedUsers: keep_source`,
 * until every user has signed in once).
 *
 * Cancelling (only before `cut_over`) runs the rollback steps for whatever
 * the forward steps created:
 *
 *   rollback_users → rollback_clients → rollback_providers → rollback_pool → rollback_finish
 *
 * Pure functions only; the runner (tier-move.service.ts) does the I/O.
 */
import type { IsolationModel } from '@gatehouse/tiers';

export const FORWARD_STEPS = [
  'create_target_pool',
  'create_target_clients',
  'create_target_groups',
  'create_target_providers',
  'copy_users',
  'cut_over',
  'drain_source',
  'remove_source',
  'finish',
] as const;
export type ForwardStep = (typeof FORWARD_STEPS)[number];

// Providers after clients: a bridge target's client that lists a provider is gone before the provider is.
export const ROLLBACK_STEPS = ['rollback_users', 'rollback_clients', 'rollback_providers', 'rollback_pool', 'rollback_finish'] as const;
export type RollbackStep = (typeof ROLLBACK_STEPS)[number];

export type MoveStep = ForwardStep | RollbackStep;

/** What a user who never signs in during the move gets: a reset e-mail when the source goes, or the source kept until they sign in. */
export const UNMIGRATED_USER_POLICIES = ['reset_password', 'keep_source'] as const;
export type UnmigratedUserPolicy = (typeof UNMIGRATED_USER_POLICIES)[number];

/** One side of a move: where the tenant's users live in Cognito. */
export interface MoveSide {
  readonly tier: string;
  readonly model: IsolationModel;
  readonly region: string;
  /** Known for the source from the start; for a silo target once its pool exists. */
  readonly userPoolId: string | null;
  readonly issuer: string | null;
  /** The tenant's own clients on this side (silo, bridge); none for the pool model (its tier's shared client). */
  readonly clientId: string | null;
  readonly gatehouseClientId: string | null;
}

export interface TierMoveRequest {
  readonly tier: string;
  readonly unmigratedUsers: UnmigratedUserPolicy;
  /** The operator accepts that TOTP users enrol again on the target (TOTP secrets cannot be exported). */
  readonly acceptMfaReenrolment: boolean;
}

export interface TierMoveError {
  readonly step: string;
  readonly code: string;
  readonly message: string;
  readonly at: string;
}

/**
 * `create_target_providers`' record: the target's hosted UI domain and the providers it made there. `pending`
 * is written before any CreateIdentityProvider, so a resumed step knows that a provider of such a name already
 * on the target may be its own (a crash before `created` was written); in a shared (bridge) target pool a
 * name it never wrote down is another tenant's, never touched.
 */
export interface FederationMoveState {
  readonly targetDomain: string | null;
  readonly pending: readonly string[];
  readonly created: readonly string[];
}

export interface TierMoveState {
  /** Compare-and-set counter: every write must name the version it read. */
  version: number;
  /** 1 for the first run; +1 per retry. */
  attempt: number;
  request: TierMoveRequest;
  source: MoveSide;
  target: MoveSide;
  done: Partial<Record<MoveStep, string>>;
  lease: { owner: string; until: string } | null;
  lastError: TierMoveError | null;
  /** Set by `cancel` (before cut-over only): the rollback steps run. */
  cancelled: boolean;
  /** Users copied to the target so far. */
  copiedUsers: number;
  /** Providers federated through Cognito re-created on the target (null: none yet, or the tenant has none). */
  federation: FederationMoveState | null;
  startedAt: string;
  cutOverAt: string | null;
  finishedAt: string | null;
  /** `drain_source` has nothing to do before this time: the runner lets go and the sweep comes back. */
  waitUntil: string | null;
  resumes: number;
  lastResumedAt: string | null;
}

export function initialMoveState(request: TierMoveRequest, source: MoveSide, target: MoveSide, now: Date): TierMoveState {
  return {
    version: 1,
    attempt: 1,
    request,
    source,
    target,
    done: {},
    lease: null,
    lastError: null,
    cancelled: false,
    copiedUsers: 0,
    federation: null,
    startedAt: now.toISOString(),
    cutOverAt: null,
    finishedAt: null,
    waitUntil: null,
    resumes: 0,
    lastResumedAt: null,
  };
}

/** The column's value, or null when the tenant never moved (or the column holds something unreadable). */
export function parseMoveState(raw: unknown): TierMoveState | null {
  if (!raw || typeof raw !== 'object') return null;
  const value = raw as Partial<TierMoveState>;
  if (typeof value.version !== 'number' || !value.request || !value.source || !value.target) return null;
  return {
    version: value.version,
    attempt: value.attempt ?? 1,
    request: value.request,
    source: value.source,
    target: value.target,
    done: value.done ?? {},
    lease: value.lease ?? null,
    lastError: value.lastError ?? null,
    cancelled: value.cancelled ?? false,
    copiedUsers: value.copiedUsers ?? 0,
    federation: value.federation ?? null,
    startedAt: value.startedAt ?? new Date(0).toISOString(),
    cutOverAt: value.cutOverAt ?? null,
    finishedAt: value.finishedAt ?? null,
    waitUntil: value.waitUntil ?? null,
    resumes: value.resumes ?? 0,
    lastResumedAt: value.lastResumedAt ?? null,
  };
}

/** The forward steps a move between these two models runs (target-side resources by the target's model). */
export function forwardStepsFor(target: IsolationModel): readonly ForwardStep[] {
  return FORWARD_STEPS.filter((step) => {
    if (step === 'create_target_pool' || step === 'create_target_groups') return target === 'silo';
    // A pool-model target cannot federate: a move there is refused while the tenant has providers.
    if (step === 'create_target_clients' || step === 'create_target_providers') return target !== 'pool';
    return true;
  });
}

export function stepsOf(state: TierMoveState): readonly MoveStep[] {
  const forward = forwardStepsFor(state.target.model);
  return state.cancelled ? [...forward.filter((step) => state.done[step] !== undefined), ...ROLLBACK_STEPS] : forward;
}

/** The next step to run, or undefined when the move has ended. */
export function nextMoveStep(state: TierMoveState): MoveStep | undefined {
  const steps: readonly MoveStep[] = state.cancelled ? ROLLBACK_STEPS : forwardStepsFor(state.target.model);
  return steps.find((step) => state.done[step] === undefined);
}

export function isCutOver(state: TierMoveState): boolean {
  return state.done.cut_over !== undefined;
}

/** The move has ended (moved or rolled back): nothing runs, nothing extra is trusted. */
export function hasEnded(state: TierMoveState): boolean {
  return state.done.finish !== undefined || state.done.rollback_finish !== undefined;
}

export function moveLeaseIsLive(state: TierMoveState, now: Date): boolean {
  return state.lease !== null && Date.parse(state.lease.until) > now.getTime();
}

/** Cancelling rolls back what the target got; after cut-over the tenant is served by the target and a cancel would lock users out. */
export function canCancel(state: TierMoveState): boolean {
  return !hasEnded(state) && !state.cancelled && !isCutOver(state);
}

/**
 * A move nobody is running: not ended, not failed, and either its runner's
 * lease expired (a crashed replica) or it is waiting (`drain_source`) and its
 * time has come.
 */
export function needsRunner(state: TierMoveState, now: Date): boolean {
  if (hasEnded(state) || state.lastError !== null) return false;
  if (state.lease !== null) return !moveLeaseIsLive(state, now);
  return state.waitUntil === null || Date.parse(state.waitUntil) <= now.getTime();
}

/**
 * What the move is doing, for operators:
 * `running` (a live lease), `waiting` (drain_source: source tokens still valid, or users still to sign in),
 * `stalled` (lease expired: the next sweep resumes it), `failed` (see lastError; retry or cancel),
 * `moved`, `cancelled` (rolled back).
 */
export type MovePhase = 'running' | 'waiting' | 'stalled' | 'failed' | 'moved' | 'cancelled';

export function movePhase(state: TierMoveState, now: Date): MovePhase {
  if (state.done.finish !== undefined) return 'moved';
  if (state.done.rollback_finish !== undefined) return 'cancelled';
  if (state.lastError) return 'failed';
  if (state.lease === null) return 'waiting';
  return moveLeaseIsLive(state, now) ? 'running' : 'stalled';
}

/**
 * The other side, and what it is: where the tenant is going (`target`), where it
 * comes from (`source`), or the target of a cancelled move being rolled back (`abandoned`: trusted, never signed in to).
 */
export type OtherSide = MoveSide & { readonly direction: 'target' | 'source' | 'abandoned' };

/** The side a tenant's tokens may come from besides its current one, while a move is under way. */
export function otherSide(state: TierMoveState | null): OtherSide | null {
  if (!state || hasEnded(state)) return null;
  // A cancelled move's target stays trusted until its clients are gone, but nobody signs in there any more.
  if (state.cancelled) return state.done.rollback_clients === undefined ? { ...state.target, direction: 'abandoned' } : null;
  if (!isCutOver(state)) return { ...state.target, direction: 'target' };
  return state.done.remove_source === undefined ? { ...state.source, direction: 'source' } : null;
}

/** The move as the operators' API shows it on the tenant. */
export function moveProgress(state: TierMoveState, now = new Date()) {
  return {
    fromTier: state.source.tier,
    toTier: state.target.tier,
    fromModel: state.source.model,
    toModel: state.target.model,
    phase: movePhase(state, now),
    attempt: state.attempt,
    cancelled: state.cancelled,
    unmigratedUsers: state.request.unmigratedUsers,
    copiedUsers: state.copiedUsers,
    targetHostedUiDomain: state.federation?.targetDomain ?? null,
    resumes: state.resumes,
    lastResumedAt: state.lastResumedAt,
    leaseUntil: state.lease?.until ?? null,
    waitUntil: state.waitUntil,
    steps: stepsOf(state).map((name) => ({ name, done: state.done[name] !== undefined, doneAt: state.done[name] ?? null })),
    lastError: state.lastError,
    startedAt: state.startedAt,
    cutOverAt: state.cutOverAt,
    finishedAt: state.finishedAt,
  };
}
export type MoveProgress = ReturnType<typeof moveProgress>;
