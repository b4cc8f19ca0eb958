/**
 * Users' second identities while their tenant moves between tiers (the
 * `tier_move_identities` table), for the sign-in's lazy password migration.
 * Sign-ins happen before any tenant context exists, so this reads and writes
 * through the privileged client, like UserMirror.
 *
 * A row's `sub` is one of:
 * - the target's (before cut-over) or the source's (after it) real subject;
 * - `none:…`: nothing to move (no Cognito user at the source, or no subject known);
 * - `deferred:<user id>`: a user with a password of its own, NOT on the target
 *   yet (Cognito cannot export passwords, so the target user is created once the
 *   password is known: at a sign-in through Gatehouse, by the target pool's
 *   user-migration trigger, or with an invitation when the source goes). The
 *   row's issuer is then always the target's and the users row keeps the
 *   source identity, before and after cut-over, until {@link bind}.
 */
import { Injectable } from '@nestjs/common';
import { AuditService } from '../../audit/audit.service.js';
import { PrivilegedPrismaService } from '../../database/privileged-database.module.js';
import type { TransactionClient } from '../../database/prisma-client.js';

export const DEFERRED_SUB_PREFIX = 'deferred:';

/** The marker of a deferred user (unique per user, as `(issuer, sub)` must be). */
export function deferredSub(userId: string): string {
  return `${DEFERRED_SUB_PREFIX}${userId}`;
}

export interface MoveIdentity {
  readonly issuer: string;
  readonly username: string;
  readonly sub: string;
  /** The user's password is set on the target. */
  readonly passwordMigrated: boolean;
  /** No target user bound yet (see the module comment). */
  readonly deferred: boolean;
}

export interface DeferredIdentity {
  readonly tenantId: string;
  readonly userId: string;
  readonly passwordMigrated: boolean;
}

/** What a bind also records: the password reached the target (and whether TOTP must be enrolled again). */
export interface BindOutcome {
  readonly passwordMigrated: boolean;
  readonly hadTotp: boolean;
}

@Injectable()
export class MoveIdentities {
  constructor(
    private readonly privileged: PrivilegedPrismaService,
    private readonly audit: AuditService,
  ) {}

  async find(tenantId: string, userId: string): Promise<MoveIdentity | null> {
    const row = await this.privileged.client.tierMoveIdentity.findUnique({
      where: { tenantId_userId: { tenantId, userId } },
      select: { issuer: true, username: true, sub: true, passwordMigratedAt: true },
    });
    return row
      ? { issuer: row.issuer, username: row.username, sub: row.sub, passwordMigrated: row.passwordMigratedAt !== null, deferred: row.sub.startsWith(DEFERRED_SUB_PREFIX) }
      : null;
  }

  /**
   * The deferred user whose target account is `username` in the pool of
   * `targetIssuer`. Usernames are unique per user, but should two rows ever
   * match, nobody is: a target account is bound to exactly one user or none.
   */
  async findDeferred(targetIssuer: string, username: string): Promise<DeferredIdentity | undefined> {
    const rows = await this.privileged.client.tierMoveIdentity.findMany({
      where: { issuer: targetIssuer, username, sub: { startsWith: DEFERRED_SUB_PREFIX } },
      select: { tenantId: true, userId: true, passwordMigratedAt: true },
      take: 2,
    });
    if (rows.length !== 1) return undefined;
    const row = rows[0]!;
    return { tenantId: row.tenantId, userId: row.userId, passwordMigrated: row.passwordMigratedAt !== null };
  }

  async recordDeferred(tenantId: string, userId: string, targetIssuer: string, username: string): Promise<void> {
    await this.privileged.client.tierMoveIdentity.upsert({
      where: { tenantId_userId: { tenantId, userId } },
      create: { tenantId, userId, issuer: targetIssuer, username, sub: deferredSub(userId) },
      update: {},
    });
  }

  /**
   * A deferred user's target account exists now (subject `sub`): bind it. Before
   * cut-over the row takes the target's subject; after it the users row takes
   * the target identity and the row keeps the source's, as cut-over does for
   * everyone else. The tenant row is locked (shared) first, so a cut-over
   * running at the same moment either sees this bind done or is seen done by it.
   * A row bound already is left alone (idempotent). Returns whether it bound now.
   */
  async bind(tenantId: string, userId: string, sub: string, outcome: BindOutcome): Promise<boolean> {
    return this.privileged.client.$transaction(async (tx) => {
      const tenants = await tx.$queryRaw<{ issuer: string | null }[]>`SELECT issuer FROM tenants WHERE id = ${tenantId}::uuid FOR SHARE`;
      const rows = await tx.$queryRaw<{ issuer: string; sub: string }[]>`
        SELECT issuer, sub FROM tier_move_identities WHERE tenant_id = ${tenantId}::uuid AND user_id = ${userId}::uuid FOR UPDATE`;
      const row = rows[0];
      if (!row || !row.sub.startsWith(DEFERRED_SUB_PREFIX) || tenants.length === 0) return false;
      if (tenants[0]!.issuer === row.issuer) {
        // Cut over already: the users row holds the source identity; swap, as cut-over did for the others.
        await tx.$executeRaw`
          WITH old AS (SELECT issuer, sub FROM users WHERE tenant_id = ${tenantId}::uuid AND id = ${userId}::uuid),
          swapped AS (
            UPDATE users SET issuer = ${row.issuer}, sub = ${sub} WHERE tenant_id = ${tenantId}::uuid AND id = ${userId}::uuid RETURNING id
          )
          UPDATE tier_move_identities i SET issuer = old.issuer, sub = COALESCE(old.sub, 'none:' || ${userId}::text)
          FROM old WHERE i.tenant_id = ${tenantId}::uuid AND i.user_id = ${userId}::uuid`;
      } else {
        await tx.tierMoveIdentity.update({ where: { tenantId_userId: { tenantId, userId } }, data: { sub } });
      }
      await this.audit.record(tx, { action: 'user.tier_move.target_bound', tenantId, target: `user:${userId}` });
      if (outcome.passwordMigrated) await this.recordPasswordMigrated(tx, tenantId, userId, outcome.hadTotp);
      return true;
    });
  }

  /**
   * The user's target account was made again (the emulator's stand-in for an
   * invitation resend): its new `sub` replaces the old one wherever the target
   * identity is held — the users row after cut-over, tier_move_identities before.
   */
  async replaceTargetSubject(tenantId: string, userId: string, targetIssuer: string, sub: string): Promise<void> {
    await this.privileged.client.$transaction(async (tx) => {
      await tx.user.updateMany({ where: { tenantId, id: userId, issuer: targetIssuer }, data: { sub } });
      await tx.tierMoveIdentity.updateMany({ where: { tenantId, userId, issuer: targetIssuer }, data: { sub } });
    });
  }

  /**
   * The password reached the target. When the user had TOTP (which cannot be
   * exported), Gatehouse forgets the enrolment so the user enrols again on the
   * target, and says so in the audit log.
   */
  async markPasswordMigrated(tenantId: string, userId: string, hadTotp: boolean): Promise<void> {
    await this.privileged.client.$transaction((tx) => this.recordPasswordMigrated(tx, tenantId, userId, hadTotp));
  }

  private async recordPasswordMigrated(tx: TransactionClient, tenantId: string, userId: string, hadTotp: boolean): Promise<void> {
    const { count } = await tx.tierMoveIdentity.updateMany({ where: { tenantId, userId, passwordMigratedAt: null }, data: { passwordMigratedAt: new Date() } });
    if (count === 0) return;
    if (hadTotp) {
      await tx.user.updateMany({ where: { tenantId, id: userId }, data: { mfaEnrolled: false } });
      await this.audit.record(tx, { action: 'user.mfa.reenrolment_required', tenantId, target: `user:${userId}`, details: { reason: 'tier_move' } });
    }
    await this.audit.record(tx, { action: 'user.tier_move.password_migrated', tenantId, target: `user:${userId}` });
  }

  /** A source refresh token was exchanged for the target's tokens after cut-over (the source's is revoked). */
  async recordRefreshMoved(tenantId: string, userId: string): Promise<void> {
    await this.privileged.client.$transaction(async (tx) => {
      await this.audit.record(tx, { action: 'user.tier_move.refresh_moved', tenantId, target: `user:${userId}` });
    });
  }

  /** A new password set at the source (reset) must reach the target again: the next sign-in migrates it. */
  async forgetMigratedPassword(tenantId: string, userId: string): Promise<void> {
    await this.privileged.client.tierMoveIdentity.updateMany({ where: { tenantId, userId }, data: { passwordMigratedAt: null } });
  }
}
