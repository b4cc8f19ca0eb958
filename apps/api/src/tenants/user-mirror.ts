/**
 * Gatehouse's copy of its users (the `users` table), kept in step with Cognito
 * by the identity flows: a row at sign-up (pending), confirmed at
 * confirmation, refreshed at sign-in. These writes happen before any tenant
 * user is signed in, so they go through the privileged client — which is why
 * this service lives in the tenants module.
 */
import { Injectable } from '@nestjs/common';
import type { TenantRole } from '@gatehouse/tiers';
import { AuditService } from '../audit/audit.service.js';
import { isUniqueViolation } from '../common/database-errors.js';
import { PrivilegedPrismaService } from '../database/privileged-database.module.js';
import type { TransactionClient } from '../database/prisma-client.js';
import type { LifecycleEvent } from '../events/event-catalog.js';
import { EventsService } from '../events/events.service.js';
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

/** A user's lifecycle event (every one names its tenant and user). */
type UserEvent = Extract<LifecycleEvent, { data: { tenantId: string; userId: string } }>;

export interface AuthEventOptions {
  readonly outcome?: 'success' | 'failure';
  /** Small, non-secret facts for the audit entry. */
  readonly details?: Record<string, unknown>;
  /** A producer's idempotency key (a retried Cognito trigger reports one sign-in twice). */
  readonly dedupeKey?: string;
}

const FIELDS = { id: true, tenantId: true, email: true, username: true, issuer: true, sub: true, status: true, role: true, emailVerified: true, mfaEnrolled: true, hookClaims: true } as const;

@Injectable()
export class UserMirror {
  constructor(
    private readonly privileged: PrivilegedPrismaService,
    private readonly directory: TenantUserDirectory,
    private readonly events: EventsService,
    private readonly audit: AuditService,
  ) {}

  /** The event and its audit entry, in the transaction of the change they describe; false if the dedupe key was seen. */
  private async record(tx: TransactionClient, event: UserEvent, options: AuthEventOptions = {}): Promise<boolean> {
    const fresh = await this.events.emit(tx, event, options.dedupeKey ? { dedupeKey: options.dedupeKey } : {});
    if (fresh) {
      await this.audit.record(tx, {
        action: event.type,
        tenantId: event.data.tenantId,
        target: `user:${event.data.userId}`,
        outcome: options.outcome ?? 'success',
        details: options.details ?? {},
      });
    }
    return fresh;
  }

  /**
   * An authentication event with no change of its own (signed in, sign-in
   * failed, signed out, password reset): the event and its audit entry in a
   * small transaction. `dedupeKey` makes a repeated report (a retried Cognito
   * trigger) a no-op; returns whether the event was new.
   */
  recordAuthEvent(event: UserEvent, options: AuthEventOptions = {}): Promise<boolean> {
    return this.privileged.client.$transaction((tx) => this.record(tx, event, options));
  }

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

  /** True for a tenant's Gatehouse (confidential) app client: the API's own flows sign in through it. */
  async isGatehouseAppClient(clientId: string): Promise<boolean> {
    return (await this.privileged.client.tenantAppClient.count({ where: { clientId, role: 'gatehouse' } })) > 0;
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
    await this.privileged.client.$transaction(async (tx) => {
      const { count } = await tx.user.updateMany({ where: { tenantId, id: userId, status: 'pending', sub: null }, data: { sub } });
      if (count === 0) return;
      const user = await tx.user.findUniqueOrThrow({ where: { tenantId_id: { tenantId, id: userId } }, select: { email: true, role: true } });
      await this.record(tx, { type: 'user.signed_up', data: { tenantId, userId, email: user.email, role: user.role } });
    });
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
  async markConfirmed(tenantId: string, userId: string, facts: { sub?: string; emailVerified: boolean; via?: 'api' | 'cognito' }): Promise<void> {
    await this.privileged.client.$transaction(async (tx) => {
      const { count } = await tx.user.updateMany({
        where: { tenantId, id: userId, status: 'pending' },
        data: { status: 'active', emailVerified: facts.emailVerified, ...(facts.sub ? { sub: facts.sub } : {}) },
      });
      await tx.user.updateMany({ where: { tenantId, id: userId, emailVerified: false }, data: { emailVerified: facts.emailVerified } });
      // Only the transition from pending is the confirmation; a repeated call changes nothing and says nothing.
      if (count > 0) await this.record(tx, { type: 'user.confirmed', data: { tenantId, userId, via: facts.via ?? 'api' } });
    });
  }

  /** Records whether the user has a verified TOTP authenticator (enrolment, a passed TOTP challenge, a reset). */
  async setMfaEnrolled(tenantId: string, userId: string, enrolled: boolean): Promise<void> {
    await this.privileged.client.$transaction(async (tx) => {
      const { count } = await tx.user.updateMany({ where: { tenantId, id: userId, mfaEnrolled: !enrolled }, data: { mfaEnrolled: enrolled } });
      if (count > 0 && enrolled) await this.record(tx, { type: 'user.mfa_enrolled', data: { tenantId, userId } });
    });
    // The guard reads this fact: this replica sees it on the next request, the others after the users NOTIFY.
    this.directory.evictUser(userId);
  }

  /** The token-enrichment hook's claims from this sign-in ({} clears them); not an access fact, so no eviction. */
  async setHookClaims(tenantId: string, userId: string, claims: Record<string, unknown>): Promise<void> {
    await this.privileged.client.user.updateMany({ where: { tenantId, id: userId }, data: { hookClaims: claims as object } });
  }
}
