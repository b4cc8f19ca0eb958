/**
 * Gatehouse's copy of its users (the `users` table), kept in step with Cognito
 * by the identity flows: a row at sign-up (pending), confirmed at
 * confirmation, refreshed at sign-in. These writes happen before any tenant
 * user is signed in, so they go through the privileged client — which is why
 * this service lives in the tenants module.
 */
import { Injectable } from '@nestjs/common';
import type { TenantRole } from '@gatehouse/tiers';
import { PrivilegedPrismaService } from '../database/privileged-database.module.js';

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
}

const FIELDS = { id: true, tenantId: true, email: true, username: true, issuer: true, sub: true, status: true, role: true, emailVerified: true } as const;

@Injectable()
export class UserMirror {
  constructor(private readonly privileged: PrivilegedPrismaService) {}

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

  /** A user who signed up and has not confirmed yet. */
  createPending(input: { tenantId: string; email: string; username: string; issuer: string; sub: string; role: TenantRole }): Promise<MirroredUser> {
    return this.privileged.client.user.create({
      data: { ...input, email: input.email.toLowerCase(), status: 'pending', emailVerified: false },
      select: FIELDS,
    });
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

  /** Removes a sign-up that never completed in Cognito (e.g. Cognito refused it after the row was written). */
  async removePending(tenantId: string, userId: string): Promise<void> {
    await this.privileged.client.user.deleteMany({ where: { tenantId, id: userId, status: 'pending' } });
  }
}
