/**
 * Deferred users of a tier move (see move-identities.ts): users with a
 * password of their own, who get their target account only once that password
 * is known. Two ways their account appears on the target:
 *
 * - Gatehouse makes it ({@link createOnTarget}, from a sign-in through the API
 *   that proved the password at the source) and binds it at once;
 * - Cognito makes it from the user-migration trigger's answer (a sign-in or a
 *   password reset directly at the target's public client). A trigger can give
 *   Cognito attributes but neither groups nor learn the new subject, so the
 *   account is bound — groups added, identity recorded — the first time
 *   Gatehouse sees it: the post-authentication report or, failing that, the
 *   guard meeting its first token ({@link bindCreatedByCognito}).
 *
 * Binding never crosses tenants: the account must be the recorded username of
 * a deferred user of a move whose target is exactly that issuer, reached
 * through one of that tenant's target clients, and Cognito's own record of it
 * must carry that tenant (the immutable `custom:tenantId` the trigger answered)
 * and the token's subject.
 */
import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG } from '../../config/config.module.js';
import type { AppConfig } from '../../config/config.schema.js';
import { PrivilegedPrismaService } from '../../database/privileged-database.module.js';
import { IdentityProvider, type IdentityUser, type PoolRef } from '../../identity/identity-provider.js';
import { MoveIdentities } from './move-identities.js';
import { type TargetUserFacts, copyRoleGroups, createTargetUser } from './target-user.js';
import { type MoveSide, type TierMoveState, hasEnded, parseMoveState } from './tier-move-state.js';

export interface MovePools {
  readonly source: PoolRef;
  readonly target: PoolRef;
}

export interface BoundUser {
  readonly tenantId: string;
  readonly userId: string;
}

/** The move a deferred account belongs to, checked: live, not cancelled, targeting this issuer. */
interface LiveMove {
  readonly state: TierMoveState;
  readonly pools: MovePools;
}

function poolOf(side: MoveSide): PoolRef | undefined {
  return side.userPoolId ? { userPoolId: side.userPoolId, region: side.region } : undefined;
}

@Injectable()
export class DeferredUsers {
  private readonly logger = new Logger(DeferredUsers.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly privileged: PrivilegedPrismaService,
    private readonly identity: IdentityProvider,
    private readonly moves: MoveIdentities,
  ) {}

  /** The user's account on the target, made from its source record (invitation suppressed); kept if it is there already. */
  createOnTarget(pools: MovePools, original: IdentityUser, facts: TargetUserFacts): Promise<IdentityUser> {
    return createTargetUser(this.identity, pools, original, { ...facts, invite: false });
  }

  /**
   * The app clients of the move's target side a deferred user may reach it
   * through: the tenant's own two (bridge, silo), or the tier's shared two (pool model).
   */
  targetClients(state: TierMoveState): readonly string[] {
    const target = state.target;
    if (target.model === 'pool') {
      const shared = this.config.sharedPools.get(target.tier);
      return [shared?.clientId, shared?.gatehouseClientId].filter((id): id is string => typeof id === 'string');
    }
    return [target.clientId, target.gatehouseClientId].filter((id): id is string => typeof id === 'string');
  }

  /** The tenant's move, if it is live and its target is `targetIssuer`; undefined otherwise (fail closed). */
  async liveMoveTo(tenantId: string, targetIssuer: string): Promise<LiveMove | undefined> {
    const row = await this.privileged.client.tenant.findUnique({ where: { id: tenantId }, select: { status: true, tierMove: true } });
    const state = parseMoveState(row?.tierMove);
    if (!row || row.status !== 'active' || !state || hasEnded(state) || state.cancelled || state.target.issuer !== targetIssuer) return undefined;
    const source = poolOf(state.source);
    const target = poolOf(state.target);
    return source && target ? { state, pools: { source, target } } : undefined;
  }

  /**
   * A target account Cognito created itself (user-migration trigger), seen for
   * the first time with subject `sub` through `clientId`: adds its role groups
   * and binds it to its Gatehouse user, whom it returns. Undefined when it is
   * not a deferred user's account of a live move to this issuer (the caller
   * then treats the token's user as unknown).
   */
  async bindCreatedByCognito(targetIssuer: string, clientId: string | null, username: string, sub: string): Promise<BoundUser | undefined> {
    const deferred = await this.moves.findDeferred(targetIssuer, username);
    if (!deferred) return undefined;
    const move = await this.liveMoveTo(deferred.tenantId, targetIssuer);
    if (!move || clientId === null || !this.targetClients(move.state).includes(clientId)) return undefined;
    const user = await this.privileged.client.user.findUnique({
      where: { tenantId_id: { tenantId: deferred.tenantId, id: deferred.userId } },
      select: { status: true, mfaEnrolled: true, username: true },
    });
    if (!user || user.status === 'disabled' || user.username !== username) return undefined;
    // Cognito's record, not the token, says whose account this is.
    const record = await this.identity.getUser(move.pools.target, username);
    if (!record || record.sub !== sub || !record.enabled || record.attributes['custom:tenantId'] !== deferred.tenantId) return undefined;
    await copyRoleGroups(this.identity, move.pools.source, move.pools.target, username);
    const bound = await this.moves.bind(deferred.tenantId, deferred.userId, sub, { passwordMigrated: true, hadTotp: user.mfaEnrolled });
    if (bound) this.logger.log(`tier move: bound the target account Cognito created for user ${deferred.userId} (user-migration trigger)`);
    return { tenantId: deferred.tenantId, userId: deferred.userId };
  }
}
