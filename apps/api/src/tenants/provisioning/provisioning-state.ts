/**
 * The persisted provisioning state machine, as data. It lives in the tenant
 * row's `provisioning` JSON column and is rewritten (compare-and-set on
 * `version`) after every step, together with the step's database effects, so
 * the row always says what exists in Cognito and what is left to do.
 *
 * Steps per isolation model (the row insert, which claims the slug, comes first):
 *
 *   silo    create_pool → create_app_client → create_gatehouse_client → create_groups → invite_admin → mirror_admin → register_issuer → activate
 *   bridge  create_app_client → create_gatehouse_client → invite_admin → mirror_admin → register_issuer → activate
 *
 * `create_app_client` makes the tenant's public client, `create_gatehouse_client`
 * its confidential Gatehouse client (see the pool contract in libs/tiers).
 *   pool    invite_admin → mirror_admin → activate
 *
 * Deleting runs the teardown steps, in this order, for whatever was created:
 *
 *   delete_users → delete_app_client → delete_pool → delete_rows
 *
 * Pure functions only; the runner (provisioning.service.ts) does the I/O.
 */
import type { IsolationModel, SignInAlias } from '@gatehouse/tiers';

export const PROVISIONING_STEPS = {
  silo: [
    'create_pool',
    'create_app_client',
    'create_gatehouse_client',
    'create_groups',
    'invite_admin',
    'mirror_admin',
    'register_issuer',
    'activate',
  ],
  bridge: ['create_app_client', 'create_gatehouse_client', 'invite_admin', 'mirror_admin', 'register_issuer', 'activate'],
  pool: ['invite_admin', 'mirror_admin', 'activate'],
} as const satisfies Record<IsolationModel, readonly string[]>;

export type ProvisioningStep = (typeof PROVISIONING_STEPS)[IsolationModel][number];

export const TEARDOWN_STEPS = ['delete_users', 'delete_app_client', 'delete_pool', 'delete_rows'] as const;
export type TeardownStep = (typeof TEARDOWN_STEPS)[number];

export type AnyStep = ProvisioningStep | TeardownStep;

/** What provisioning created (or, for `adminUsername`, decided before creating it). */
export interface CreatedResources {
  userPoolId?: string;
  /** The tenant's public client. */
  clientId?: string;
  /** The tenant's confidential Gatehouse client. */
  gatehouseClientId?: string;
  /** Chosen and persisted BEFORE AdminCreateUser, so a resume looks it up instead of creating a second user. */
  adminUsername?: string;
  adminSub?: string;
  /**
   * Set and persisted BEFORE the Cognito call that creates the pool / that client (issue 14
   * row 7): Cognito's create calls are not idempotent, and only after such a mark can an
   * unrecorded resource exist. Without it a run creates at once (no lookup); with it and no
   * recorded id, the run looks for a leftover of the interrupted attempt first.
   */
  poolRequestedAt?: string;
  publicClientRequestedAt?: string;
  gatehouseClientRequestedAt?: string;
  /**
   * The silo pool's sign-in aliases (Cognito `AliasAttributes`, immutable), recorded when this version
   * created the pool; absent for pools created before aliases existed. Tenant lookup reads it.
   */
  signInAliases?: SignInAlias[];
}

/** What the tenant asked for at creation: enough to re-run any step. */
export interface ProvisioningRequest {
  firstAdminEmail: string;
  tokenValidity?: { accessTokenMinutes?: number; idTokenMinutes?: number; refreshTokenDays?: number };
}

export interface ProvisioningError {
  step: string;
  code: string;
  message: string;
  at: string;
}

export interface ProvisioningState {
  /** Compare-and-set counter: every write must name the version it read. */
  version: number;
  /** 1 for the first run; +1 per retry. */
  attempt: number;
  request: ProvisioningRequest;
  /** Step → completion time (ISO). */
  done: Partial<Record<AnyStep, string>>;
  created: CreatedResources;
  /** Who is running the machine now, and until when (a crashed runner's lease expires). */
  lease: { owner: string; until: string } | null;
  lastError: ProvisioningError | null;
  startedAt: string;
  durationMs: number | null;
  /** Set when deletion was requested. */
  teardown: boolean;
  /** How often a sweep took this run over from a runner whose lease expired (a crashed replica), and when last. */
  resumes: number;
  lastResumedAt: string | null;
}

export function initialState(request: ProvisioningRequest, now: Date): ProvisioningState {
  return {
    version: 1,
    attempt: 1,
    request,
    done: {},
    created: {},
    lease: null,
    lastError: null,
    startedAt: now.toISOString(),
    durationMs: null,
    teardown: false,
    resumes: 0,
    lastResumedAt: null,
  };
}

/** Reads the JSON column defensively: rows written before a field existed get its default. */
export function parseState(raw: unknown): ProvisioningState {
  const value = (raw && typeof raw === 'object' ? raw : {}) as Partial<ProvisioningState>;
  return {
    version: typeof value.version === 'number' ? value.version : 0,
    attempt: typeof value.attempt === 'number' ? value.attempt : 1,
    request: value.request ?? { firstAdminEmail: '' },
    done: value.done ?? {},
    created: value.created ?? {},
    lease: value.lease ?? null,
    lastError: value.lastError ?? null,
    startedAt: value.startedAt ?? new Date(0).toISOString(),
    durationMs: value.durationMs ?? null,
    teardown: value.teardown ?? false,
    resumes: typeof value.resumes === 'number' ? value.resumes : 0,
    lastResumedAt: value.lastResumedAt ?? null,
  };
}

export function stepsFor(model: IsolationModel): readonly ProvisioningStep[] {
  return PROVISIONING_STEPS[model];
}

/** The first provisioning step not done yet, or undefined when the tenant is complete. */
export function nextStep(model: IsolationModel, state: ProvisioningState): ProvisioningStep | undefined {
  return stepsFor(model).find((step) => state.done[step] === undefined);
}

export function nextTeardownStep(state: ProvisioningState): TeardownStep | undefined {
  return TEARDOWN_STEPS.find((step) => state.done[step] === undefined);
}

export function leaseIsLive(state: ProvisioningState, now: Date): boolean {
  return state.lease !== null && Date.parse(state.lease.until) > now.getTime();
}

/**
 * What the machine is doing, for operators:
 * - `running`: a runner holds a live lease;
 * - `stalled`: its runner's lease expired with work left (a crashed replica); the next sweep resumes it;
 * - `failed`: stopped on an error, waiting for `…/retry`;
 * - `idle`: nothing to do, or not started by any runner yet.
 */
export type ProvisioningPhase = 'running' | 'stalled' | 'failed' | 'idle';

export function phaseOf(state: ProvisioningState, now: Date): ProvisioningPhase {
  if (state.lastError) return 'failed';
  if (state.lease === null) return 'idle';
  return leaseIsLive(state, now) ? 'running' : 'stalled';
}

/** Progress for the API: each step of the tenant's model, done or not. */
export function progress(model: IsolationModel, state: ProvisioningState, now = new Date()) {
  const steps: readonly AnyStep[] = state.teardown ? [...stepsFor(model), ...TEARDOWN_STEPS] : stepsFor(model);
  return {
    attempt: state.attempt,
    phase: phaseOf(state, now),
    leaseUntil: state.lease?.until ?? null,
    resumes: state.resumes,
    lastResumedAt: state.lastResumedAt,
    steps: steps.map((name) => ({ name, done: state.done[name] !== undefined, doneAt: state.done[name] ?? null })),
    lastError: state.lastError,
    durationMs: state.durationMs,
  };
}
