/**
 * A tenant's sign-up policy and the default role of self-sign-ups, changed by
 * operators (any policy) and by the tenant's own admins (least privilege:
 * they may close sign-up or limit it to their verified domains, and choose
 * member or viewer, but only an operator may open a tenant to anybody).
 * Every change is audited in the transaction that makes it.
 */
import { Injectable } from '@nestjs/common';
import { AuditService } from '../audit/audit.service.js';
import type { SignUpPolicy } from '../auth/issuer-registry.js';
import { TrustedIssuersService } from '../auth/trusted-issuers.service.js';
import { PrivilegedPrismaService } from '../database/privileged-database.module.js';
import type { TransactionClient } from '../database/prisma-client.js';
import type { EmailDomainView, UpdateSignUpPolicy } from './dto/tenant.dto.js';
import { EmailDomainsService } from './domains/email-domains.service.js';
import { SignUpPolicyOperatorOnlyError, invalidTenantState, tenantNotFound } from './tenants.errors.js';

export interface SignUpSettings {
  readonly signUpPolicy: SignUpPolicy;
  readonly signUpDefaultRole: 'member' | 'viewer';
  readonly emailDomains: EmailDomainView[];
}

@Injectable()
export class SignUpSettingsService {
  constructor(
    private readonly privileged: PrivilegedPrismaService,
    private readonly audit: AuditService,
    private readonly issuers: TrustedIssuersService,
    private readonly domains: EmailDomainsService,
  ) {}

  async get(tenantId: string): Promise<SignUpSettings> {
    const row = await this.privileged.client.tenant.findUnique({
      where: { id: tenantId },
      select: { signUpPolicy: true, signUpDefaultRole: true },
    });
    if (!row) throw tenantNotFound();
    return {
      signUpPolicy: row.signUpPolicy,
      signUpDefaultRole: row.signUpDefaultRole === 'viewer' ? 'viewer' : 'member',
      emailDomains: await this.domains.list(tenantId),
    };
  }

  /** A tenant admin's change, in its own transaction. */
  async changeByTenantAdmin(tenantId: string, input: UpdateSignUpPolicy): Promise<SignUpSettings> {
    await this.privileged.client.$transaction(async (tx) => {
      const current = await this.lock(tx, tenantId);
      if (input.signUpPolicy === 'open' && current.signUpPolicy !== 'open') throw new SignUpPolicyOperatorOnlyError();
      await this.apply(tx, tenantId, input);
    });
    await this.issuers.refreshTenant(tenantId);
    return this.get(tenantId);
  }

  /**
   * Writes and audits a change inside the caller's transaction (the operators'
   * PATCH uses it too). No-op changes write nothing and record nothing.
   */
  async apply(tx: TransactionClient, tenantId: string, input: Pick<UpdateSignUpPolicy, 'signUpPolicy' | 'signUpDefaultRole'>): Promise<void> {
    if (input.signUpPolicy === undefined && input.signUpDefaultRole === undefined) return;
    const current = await this.lock(tx, tenantId);
    const next = {
      signUpPolicy: input.signUpPolicy ?? current.signUpPolicy,
      signUpDefaultRole: input.signUpDefaultRole ?? current.signUpDefaultRole,
    };
    if (next.signUpPolicy === current.signUpPolicy && next.signUpDefaultRole === current.signUpDefaultRole) return;
    await tx.tenant.update({ where: { id: tenantId }, data: next });
    await this.audit.record(tx, {
      action: 'tenant.sign_up_policy.change',
      tenantId,
      target: `tenant:${tenantId}`,
      details: { from: { policy: current.signUpPolicy, defaultRole: current.signUpDefaultRole }, to: { policy: next.signUpPolicy, defaultRole: next.signUpDefaultRole } },
    });
  }

  private async lock(tx: TransactionClient, tenantId: string) {
    const rows = await tx.$queryRaw<{ status: string; signUpPolicy: SignUpPolicy; signUpDefaultRole: 'member' | 'viewer' }[]>`
      SELECT status::text AS status, sign_up_policy::text AS "signUpPolicy", sign_up_default_role::text AS "signUpDefaultRole"
      FROM tenants WHERE id = ${tenantId}::uuid FOR UPDATE`;
    const row = rows[0];
    if (!row) throw tenantNotFound();
    if (row.status === 'deleting' || row.status === 'deleted') throw invalidTenantState(row.status, 'changed');
    return row;
  }
}
