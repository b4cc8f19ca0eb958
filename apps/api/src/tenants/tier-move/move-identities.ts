/**
 * Users' second identities while their tenant moves between tiers (the
 * `tier_move_identities` table), for the sign-in's lazy password migration.
 * Sign-ins happen before any tenant context exists, so this reads and writes
 * through the privileged client, like UserMirror.
 */
import { Injectable } from '@nestjs/common';
import { AuditService } from '../../audit/audit.service.js';
import { PrivilegedPrismaService } from '../../database/privileged-database.module.js';

export interface MoveIdentity {
  readonly issuer: string;
  readonly username: string;
  readonly sub: string;
  /** The user's password is set on the target. */
  readonly passwordMigrated: boolean;
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
    return row ? { issuer: row.issuer, username: row.username, sub: row.sub, passwordMigrated: row.passwordMigratedAt !== null } : null;
  }

  /**
   * The password reached the target. When the user had TOTP (which cannot be
   * exported), Gatehouse forgets the enrolment so the user enrols again on the
   * target, and says so in the audit log.
   */
  async markPasswordMigrated(tenantId: string, userId: string, hadTotp: boolean): Promise<void> {
    await this.privileged.client.$transaction(async (tx) => {
      await tx.tierMoveIdentity.updateMany({ where: { tenantId, userId, passwordMigratedAt: null }, data: { passwordMigratedAt: new Date() } });
      if (hadTotp) {
        await tx.user.updateMany({ where: { tenantId, id: userId }, data: { mfaEnrolled: false } });
        await this.audit.record(tx, { action: 'user.mfa.reenrolment_required', tenantId, target: `user:${userId}`, details: { reason: 'tier_move' } });
      }
      await this.audit.record(tx, { action: 'user.tier_move.password_migrated', tenantId, target: `user:${userId}` });
    });
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
