/**
 * Tier moves of a tenant with identity providers federated THROUGH COGNITO (SAML, OIDC, social; see
 * tenants/federation): what the move does for them, kept out of tier-move.service.ts.
 *
 * - At request time: a pool-model target cannot federate (409 `federation_not_available_in_pool_model`);
 *   Sign in with Apple cannot be copied (Cognito never returns its private key: 409
 *   `federated_provider_not_movable`); in a bridge target pool each name exists once (409
 *   `federated_provider_name_taken` when another tenant has or is bringing one of that name).
 * - `create_target_providers`: every provider of the tenant DescribeIdentityProvider'd at the source and
 *   created again on the target (same type, details with secrets, attribute mapping, IdP identifiers), the
 *   target pool's hosted UI domain, and the target's public client switched to the code flow for them with the
 *   providers' callback / logout URLs. Secrets pass from one Cognito call to the next in memory only.
 * - `rollback_providers` (cancel): a bridge target loses exactly the providers this move made there.
 * - `cut_over`: the providers' rows take the target's hosted UI domain (lookup's authorize URLs).
 * - `remove_source`: a bridge source's providers and federated users leave the shared pool.
 *
 * Federated users themselves are never copied: Cognito creates them again at their first federated sign-in on
 * the target, and the principal resolver re-binds their existing user row then (auth/principal-resolver.ts).
 */
import { Inject, Injectable } from '@nestjs/common';
import type { IsolationModel } from '@gatehouse/tiers';
import { providerNameOfUsername } from '../../auth/federated-user.js';
import { ConflictError } from '../../common/domain-error.js';
import { APP_CONFIG } from '../../config/config.module.js';
import type { AppConfig } from '../../config/config.schema.js';
import { PrivilegedPrismaService } from '../../database/privileged-database.module.js';
import type { TransactionClient } from '../../database/prisma-client.js';
import { type FederatedProviderCopy, ProviderNotCopyable, hostedUiDomainPrefix } from '../../identity/cognito/federation-requests.js';
import { IdentityProvider, type PoolRef } from '../../identity/identity-provider.js';
import { parseState } from '../provisioning/provisioning-state.js';
import { type ClientFederatedProvider, type FederatedClientTarget, configureFederatedClient } from '../federation/federated-client.js';
import { attributeMappingProblems } from '../federation/federated-provider.js';
import { type FederationMoveState, type TierMoveState, hasEnded, parseMoveState } from './tier-move-state.js';

/** A provider row of the tenant, as the move needs it (no secret is ever stored in the row). */
export interface MovingProvider extends ClientFederatedProvider {
  readonly type: string;
  readonly hostedUiDomain: string;
}

/** The `none:` marker cut-over and drain_source already skip: a user with no Cognito copy on the target. */
const FEDERATED_PLACEHOLDER = 'none:federated:';

/** The second identity recorded for a federated user at copy_users: none (Cognito re-creates the user on the target). */
export function federatedPlaceholderSub(userId: string): string {
  return `${FEDERATED_PLACEHOLDER}${userId}`;
}

export function isFederatedPlaceholder(sub: string): boolean {
  return sub.startsWith(FEDERATED_PLACEHOLDER);
}

/**
 * copy_users leaves this user to Cognito's federation (no password to move, nothing to create): its username is
 * `<provider>_…` for one of the tenant's providers, or Cognito's record says federation created it
 * (`EXTERNAL_PROVIDER`, e.g. through a provider the tenant has removed since).
 */
export function isFederatedUser(username: string, providerNames: readonly string[], cognitoStatus?: string): boolean {
  return providerNameOfUsername(username, providerNames) !== undefined || cognitoStatus === 'EXTERNAL_PROVIDER';
}

export const federatedProviderNotMovable = (detail: string) => new ConflictError('federated_provider_not_movable', detail);
const nameTakenOnTarget = (name: string) =>
  new ConflictError(
    'federated_provider_name_taken',
    `Another tenant of the target tier has (or is bringing) an identity provider named ${name}; tenants of a bridge tier share one pool. Choose a silo tier, or remove the provider first.`,
  );

/**
 * Request-time rules that need no I/O: a pool-model target cannot federate, and Sign in with Apple cannot be
 * copied (DescribeIdentityProvider does not return its private key).
 */
export function assertProvidersCanMove(providers: readonly Pick<MovingProvider, 'name' | 'type'>[], targetModel: IsolationModel): void {
  if (providers.length === 0) return;
  if (targetModel === 'pool') {
    const names = providers.map((provider) => provider.name).join(', ');
    throw new ConflictError(
      'federation_not_available_in_pool_model',
      `The tenant signs in through identity providers attached in Cognito (${names}), which a shared pool of the pool model cannot isolate. Remove those providers first, or move the tenant to a bridge or silo tier.`,
    );
  }
  const apple = providers.find((provider) => provider.type === 'SignInWithApple');
  if (apple) {
    throw federatedProviderNotMovable(
      'Cognito never returns a Sign in with Apple private key, so the provider cannot be re-created on the target. Remove it before the move and add it again afterwards.',
    );
  }
}

/**
 * The hosted UI domain prefix to ask for on the target: the tenant's own (`<deployment>-<slug>`), unless the
 * source already holds it — prefixes are unique per region and the source keeps its domain until it is removed
 * (a bridge tier pool keeps it for good) — then one naming the target tier too. A bridge target pool that
 * already has a domain keeps it (ensureHostedUiDomain).
 */
export function targetDomainPrefix(deployment: string, slug: string, targetTier: string, sourceDomains: readonly string[]): string {
  const own = hostedUiDomainPrefix(deployment, slug);
  return sourceDomains.includes(own) ? hostedUiDomainPrefix(deployment, `${slug}-${targetTier}`) : own;
}

/** A copy may never set tenant or role attributes, whatever the source pool was changed to outside Gatehouse. */
export function assertCopyableMapping(copy: FederatedProviderCopy): void {
  // `username` is Cognito's own mapping (the IdP subject federated usernames are made of): kept as it is.
  const { username: _username, ...mapping } = copy.attributeMapping;
  const problems = attributeMappingProblems(mapping);
  if (problems.length > 0) {
    throw federatedProviderNotMovable(
      `The attribute mapping of provider ${copy.name} in the source pool is not one Gatehouse allows (${problems.map((problem) => problem.path).join(', ')}); fix it before the move.`,
    );
  }
}

function isDuplicateProvider(error: unknown): boolean {
  return (error as { name?: string })?.name === 'DuplicateProviderException';
}

/** Cognito calls, run through the mover's concurrency limit. */
export type CognitoCall = <T>(call: () => Promise<T>) => Promise<T>;

export type FederationIdentity = Pick<
  IdentityProvider,
  'describeFederatedProvider' | 'createFederatedProviderCopy' | 'updateFederatedProviderCopy' | 'deleteFederatedProvider' | 'ensureHostedUiDomain' | 'configureHostedSignIn' | 'deleteUser'
>;

export interface RecreateProviders {
  readonly identity: FederationIdentity;
  readonly cognito: CognitoCall;
  readonly providers: readonly MovingProvider[];
  readonly source: PoolRef;
  readonly target: PoolRef;
  /** A bridge tier's pool, shared with other tenants: a provider there that this move never wrote down is not its own. */
  readonly sharedTarget: boolean;
  readonly domainPrefix: string;
  readonly client: FederatedClientTarget;
  readonly recorded: FederationMoveState | null;
  /** Persists the state (compare-and-set) before any CreateIdentityProvider. */
  readonly record: (federation: FederationMoveState) => Promise<void>;
  /** Another tenant has, or is bringing, a provider of this name in the target's tier. */
  readonly claimedElsewhere: (name: string) => Promise<boolean>;
}

/**
 * `create_target_providers`: every provider re-created on the target, its hosted UI domain, its public client.
 * Idempotent: a provider already on the target is updated when it is the move's own (a silo target is the
 * tenant's alone; in a bridge target, one this move wrote down as pending and no other tenant claims).
 */
export async function recreateProviders(input: RecreateProviders): Promise<FederationMoveState | null> {
  if (input.providers.length === 0) return input.recorded;
  const recorded = input.recorded ?? { targetDomain: null, pending: [], created: [] };
  const pendingBefore = new Set(recorded.pending);
  const todo = input.providers.filter((provider) => !recorded.created.includes(provider.name));
  const pending = [...new Set([...recorded.pending, ...todo.map((provider) => provider.name)])];
  if (pending.length > recorded.pending.length) await input.record({ ...recorded, pending });

  const targetDomain = await input.cognito(() => input.identity.ensureHostedUiDomain(input.target, input.domainPrefix));
  const created = [...recorded.created];
  for (const provider of todo) {
    const copy = await describeForCopy(input, provider.name);
    try {
      await input.cognito(() => input.identity.createFederatedProviderCopy(input.target, copy));
    } catch (error) {
      if (!isDuplicateProvider(error)) throw error;
      const ours = !input.sharedTarget || (pendingBefore.has(provider.name) && !(await input.claimedElsewhere(provider.name)));
      if (!ours) throw nameTakenOnTarget(provider.name);
      await input.cognito(() => input.identity.updateFederatedProviderCopy(input.target, copy));
    }
    created.push(provider.name);
  }
  await input.cognito(() => configureFederatedClient(input.identity, input.client, input.providers));
  return { targetDomain, pending, created };
}

async function describeForCopy(input: RecreateProviders, name: string): Promise<FederatedProviderCopy> {
  let copy: FederatedProviderCopy | undefined;
  try {
    copy = await input.cognito(() => input.identity.describeFederatedProvider(input.source, name));
  } catch (error) {
    if (error instanceof ProviderNotCopyable) throw federatedProviderNotMovable(`${error.message}; remove the provider before the move and add it again afterwards.`);
    throw error;
  }
  if (!copy) throw federatedProviderNotMovable(`The source pool has no identity provider named ${name}, which the tenant lists; remove it from the tenant or add it again first.`);
  assertCopyableMapping(copy);
  return copy;
}

export interface RollbackProviders {
  readonly identity: FederationIdentity;
  readonly cognito: CognitoCall;
  readonly target: PoolRef;
  readonly recorded: FederationMoveState | null;
  readonly claimedElsewhere: (name: string) => Promise<boolean>;
}

/**
 * `rollback_providers`, for a bridge target (a silo target's go with its pool): the providers the move created,
 * and those it had written down as pending (a crash after the creation) unless another tenant claims the name.
 */
export async function rollbackProviders(input: RollbackProviders): Promise<void> {
  const recorded = input.recorded;
  if (!recorded) return;
  for (const name of new Set([...recorded.created, ...recorded.pending])) {
    const ours = recorded.created.includes(name) || !(await input.claimedElsewhere(name));
    if (ours) await input.cognito(() => input.identity.deleteFederatedProvider(input.target, name));
  }
}

export interface RemoveSourceProviders {
  readonly identity: FederationIdentity;
  readonly cognito: CognitoCall;
  readonly source: PoolRef;
  readonly providers: readonly Pick<MovingProvider, 'name'>[];
  /** The tenant's users' Cognito usernames (the federated ones among them are removed with their provider). */
  readonly usernames: readonly string[];
  /** Another tenant of the source tier has, or is bringing, a provider of this name (ours is gone already). */
  readonly claimedElsewhere: (name: string) => Promise<boolean>;
}

/**
 * `remove_source` of a bridge source: the tenant's federated users, then its providers, leave the tier's shared
 * pool — unless another tenant took the name since (a resumed step whose provider was already deleted).
 */
export async function removeSourceProviders(input: RemoveSourceProviders): Promise<void> {
  const names = input.providers.map((provider) => provider.name);
  for (const name of names) {
    if (await input.claimedElsewhere(name)) continue;
    for (const username of input.usernames) {
      if (providerNameOfUsername(username, [name]) === name) await input.cognito(() => input.identity.deleteUser(input.source, username));
    }
    await input.cognito(() => input.identity.deleteFederatedProvider(input.source, name));
  }
}

/** The Cognito and database sides of the rules above, for the tier-move runner. */
@Injectable()
export class TierMoveFederation {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly privileged: PrivilegedPrismaService,
    private readonly identity: IdentityProvider,
  ) {}

  /** Request time, in requestMove's transaction (the tenant's row is locked). */
  async assertCanMove(tx: TransactionClient, tenantId: string, target: { readonly name: string; readonly model: IsolationModel }): Promise<void> {
    const providers = await this.providers(tx, tenantId);
    assertProvidersCanMove(providers, target.model);
    if (target.model !== 'bridge') return;
    for (const provider of providers) {
      if (await this.claimedElsewhere(tx, tenantId, target.name, provider.name)) throw nameTakenOnTarget(provider.name);
    }
  }

  /** The names of the tenant's providers: copy_users leaves their users to Cognito's federation. */
  async providerNames(tenantId: string): Promise<string[]> {
    return (await this.providers(this.privileged.client, tenantId)).map((provider) => provider.name);
  }

  /** `create_target_providers` (the target's pool and public client exist by now). */
  async recreateOnTarget(
    tenant: { readonly id: string; readonly slug: string },
    state: TierMoveState,
    client: Omit<FederatedClientTarget, 'tokenValidity'>,
    io: { readonly cognito: CognitoCall; readonly record: (federation: FederationMoveState) => Promise<void> },
  ): Promise<FederationMoveState | null> {
    const row = await this.privileged.client.tenant.findUniqueOrThrow({ where: { id: tenant.id }, select: { provisioning: true } });
    const providers = await this.providers(this.privileged.client, tenant.id);
    const tokenValidity = parseState(row.provisioning).request.tokenValidity;
    return recreateProviders({
      identity: this.identity,
      cognito: io.cognito,
      providers,
      source: pool(state.source),
      target: pool(state.target),
      sharedTarget: state.target.model !== 'silo',
      domainPrefix: targetDomainPrefix(
        this.config.env.GATEHOUSE_DEPLOYMENT,
        tenant.slug,
        state.target.tier,
        providers.map((provider) => provider.hostedUiDomain),
      ),
      client: { ...client, ...(tokenValidity ? { tokenValidity } : {}) },
      recorded: state.federation,
      record: io.record,
      claimedElsewhere: (name) => this.claimedElsewhere(this.privileged.client, tenant.id, state.target.tier, name),
    });
  }

  /** `rollback_providers`: only a bridge target keeps anything of a cancelled move's providers (a silo target's pool goes). */
  async rollbackOnTarget(tenantId: string, state: TierMoveState, cognito: CognitoCall): Promise<void> {
    if (state.target.model !== 'bridge' || !state.target.userPoolId) return;
    await rollbackProviders({
      identity: this.identity,
      cognito,
      target: pool(state.target),
      recorded: state.federation,
      claimedElsewhere: (name) => this.claimedElsewhere(this.privileged.client, tenantId, state.target.tier, name),
    });
  }

  /** In cut-over's transaction: lookup's authorize URLs point at the target's hosted UI from then on. */
  async cutOver(tx: TransactionClient, tenantId: string, state: TierMoveState): Promise<void> {
    const domain = state.federation?.targetDomain;
    if (domain) await tx.tenantFederatedProvider.updateMany({ where: { tenantId }, data: { hostedUiDomain: domain } });
  }

  /** `remove_source`: a bridge source's providers and federated users (a silo source's go with its pool). */
  async removeFromSource(tenantId: string, state: TierMoveState, cognito: CognitoCall): Promise<void> {
    if (state.source.model !== 'bridge' || !state.source.userPoolId) return;
    const [providers, users] = await Promise.all([
      this.providers(this.privileged.client, tenantId),
      this.privileged.client.user.findMany({ where: { tenantId }, select: { username: true } }),
    ]);
    if (providers.length === 0) return;
    await removeSourceProviders({
      identity: this.identity,
      cognito,
      source: pool(state.source),
      providers,
      usernames: users.map((user) => user.username),
      claimedElsewhere: (name) => this.claimedElsewhere(this.privileged.client, tenantId, state.source.tier, name),
    });
  }

  private providers(db: Pick<TransactionClient, 'tenantFederatedProvider'>, tenantId: string): Promise<MovingProvider[]> {
    return db.tenantFederatedProvider.findMany({
      where: { tenantId },
      select: { name: true, type: true, callbackUrls: true, logoutUrls: true, hostedUiDomain: true },
      orderBy: { createdAt: 'asc' },
    });
  }

  /**
   * Another tenant has a provider of this name in `tier`'s shared pool: a bridge tenant of the tier, or a tenant
   * whose unfinished move goes to that tier (its provider may already be there, its row not yet in the tier).
   */
  private async claimedElsewhere(db: Pick<TransactionClient, 'tenantFederatedProvider' | 'tenant'>, tenantId: string, tier: string, name: string): Promise<boolean> {
    const inTier = await db.tenantFederatedProvider.count({ where: { name, tenantId: { not: tenantId }, tenant: { tier, isolationModel: 'bridge' } } });
    if (inTier > 0) return true;
    const moving = await db.tenant.findMany({
      where: { id: { not: tenantId }, tierMove: { path: ['target', 'tier'], equals: tier }, federatedProviders: { some: { name } } },
      select: { tierMove: true },
    });
    return moving.some((row) => {
      const state = parseMoveState(row.tierMove);
      return state !== null && !hasEnded(state);
    });
  }
}

function pool(side: TierMoveState['source']): PoolRef {
  if (!side.userPoolId) throw new Error('the side of the move has no pool recorded');
  return { userPoolId: side.userPoolId, region: side.region };
}
