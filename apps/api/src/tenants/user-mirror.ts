/**
 * Gatehouse's copy of its users (the `users` table), kept in step with Cognito
 * by the identity flows: a row at sign-up (pending), confirmed at
 * confirmation, refreshed at sign-in. These writes happen before any tenant
 * user is signed in, so they go through the privileged client — which is why
 * this service lives in the tenants module.
 */
import { Injectable } from '@nestjs/common';
import type { TenantRole } from '@gatehouse/tiers';
import { isUniqueViolation } from '../common/database-errors.js';
import { PrivilegedPrismaService } from '../database/privileged-database.module.js';
import { TenantUserDirectory } from './tenant-user-directory.js';

export interface MirroredUser {
  readonly id: string;
  readonly tenantId: string;
  readonly email: string;
  readonly username: string;
  readonly issuer: string;
  readonly sub: string | null;
  readonly status: 'pending' | 'active' | 'disabled';
  readonly role: TenantRole;
  readonly emailVerified: boolean;
  readonly mfaEnrolled: boolean;
  /** What the token-enrichment hook returned at the last sign-in ({} when none). */
  readonly hookClaims: unknown;
}

const FIELDS = { id: true, tenantId: true, email: true, username: true, issuer: true, sub: true, status: true, role: true, emailVerified: true, mfaEnrolled: true, hookClaims: true } as const;

@Injectable()
export class UserMirror {
  constructor(
    private readonly privileged: PrivilegedPrismaService,
    private readonly directory: TenantUserDirectory,
  ) {}

  /** The tenant's user with this e-mail, if any (e-mails are stored lower-case). */
  findByEmail(tenantId: string, email: string): Promise<MirroredUser | null> {
    return this.privileged.client.user.findUnique({
      where: { tenantId_email: { tenantId, email: email.toLowerCase() } },
      select: FIELDS,
    });
  }

  findBySubject(issuer: string, sub: string): Promise<MirroredUser | null> {
    return this.privileged.client.user.findUnique({ where: { issuer_sub: { issuer, sub } }, select: FIELDS });
  }

  findById(tenantId: string, userId: string): Promise<MirroredUser | null> {
    return this.privileged.client.user.findUnique({ where: { tenantId_id: { tenantId, id: userId } }, select: FIELDS });
  }

  /**
   * Claims `(tenant, e-mail)` for a sign-up BEFORE Cognito is called: a
   * pending row without a `sub`, under the Cognito username the sign-up will
   * use. The unique index on (tenant_id, email) decides between concurrent
   * sign-ups of one address: exactly one gets the row, the others get null
   * (the address is taken) and never reach Cognito.
   */
  async claimSignUp(input: { tenantId: string; email: string; username: string; issuer: string; role: TenantRole }): Promise<MirroredUser | null> {
    try {
      return await this.privileged.client.user.create({
        data: { ...input, email: input.email.toLowerCase(), status: 'pending', emailVerified: false, sub: null },
        select: FIELDS,
      });
    } catch (error) {
      if (isUniqueViolation(error)) return null;
      throw error;
    }
  }

  /** Cognito created the user: record its `sub`, which is what makes the claim an account. */
  async completeSignUp(tenantId: string, userId: string, sub: string): Promise<void> {
    await this.privileged.client.user.updateMany({ where: { tenantId, id: userId, status: 'pending', sub: null }, data: { sub } });
  }

  /**
   * A claim whose sign-up never completed (the process died, or the database
   * failed during the clean-up) and is older than `olderThan`: pending, no
   * `sub`, not an admin (provisioning's and invitations' rows always get their
   * `sub` in the transaction that writes them, and self-sign-ups are never admins).
   */
  findAbandonedClaim(tenantId: string, email: string, olderThan: Date): Promise<MirroredUser | null> {
    return this.privileged.client.user.findFirst({
      where: { tenantId, email: email.toLowerCase(), status: 'pending', sub: null, role: { not: 'admin' }, createdAt: { lt: olderThan } },
      select: FIELDS,
    });
  }

  /** Drops a claim that did not become an account (only while it is still an unfinished claim). Returns whether it was dropped. */
  async releaseClaim(tenantId: string, userId: string): Promise<boolean> {
    const { count } = await this.privileged.client.user.deleteMany({ where: { tenantId, id: userId, status: 'pending', sub: null } });
    return count > 0;
  }

  /** After Cognito confirmed the e-mail (sign-up confirmation, or a successful first sign-in). */
  async markConfirmed(tenantId: string, userId: string, facts: { sub?: string; emailVerified: boolean }): Promise<void> {
    await this.privileged.client.user.updateMany({
      where: { tenantId, id: userId, status: 'pending' },
      data: { status: 'active', emailVerified: facts.emailVerified, ...(facts.sub ? { sub: facts.sub } : {}) },
    });
    await this.privileged.client.user.updateMany({
      where: { tenantId, id: userId, emailVerified: false },
      data: { emailVerified: facts.emailVerified },
    });
  }

  /** Records whether the user has a verified TOTP authenticator (enrolment, a passed TOTP challenge, a reset). */
  async setMfaEnrolled(tenantId: string, userId: string, enrolled: boolean): Promise<void> {
    await this.privileged.client.user.updateMany({ where: { tenantId, id: userId, mfaEnrolled: !enrolled }, data: { mfaEnrolled: enrolled } });
    // The guard reads this fact: this replica sees it on the next request, the others after the users NOTIFY.
    this.directory.evictUser(userId);
  }

  /** The token-enrichment hook's claims from this sign-in ({} clears them); not an access fact, so no eviction. */
  async setHookClaims(tenantId: string, userId: string, claims: Record<string, unknown>): Promise<void> {
    await this.privileged.client.user.updateMany({ where: { tenantId, id: userId }, data: { hookClaims: claims as object } });
  }
}
