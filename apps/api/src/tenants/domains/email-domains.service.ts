/**
 * A tenant's e-mail domains and their DNS verification. A domain is a claim
 * (`pending`) until the TXT challenge is found in DNS; then it is `verified`,
 * and only then does it route (tenant lookup by e-mail) and admit sign-ups
 * under the `domains` policy. At most one tenant ever has a domain verified:
 * a partial unique index decides, so two tenants verifying at once cannot both win.
 *
 * Writes go through the privileged client (the registry tables are read-only
 * for the application role), with their audit event in the same transaction;
 * this replica's registry is refreshed right after, others follow the NOTIFY.
 */
import { Injectable } from '@nestjs/common';
import { AuditService } from '../../audit/audit.service.js';
import { EventsService } from '../../events/events.service.js';
import { TrustedIssuersService } from '../../auth/trusted-issuers.service.js';
import { isUniqueViolation } from '../../common/database-errors.js';
import { NotFoundError } from '../../common/domain-error.js';
import { PrivilegedPrismaService } from '../../database/privileged-database.module.js';
import type { TransactionClient } from '../../database/prisma-client.js';
import type { EmailDomainView } from '../dto/tenant.dto.js';
import { emailDomainTaken } from '../tenants.errors.js';
import { challengeFor, challengeMet, newVerificationToken } from './domain-challenge.js';
import { DnsTxtLookup, type TxtLookupResult } from './dns-txt-lookup.js';

export interface EmailDomainRow {
  readonly domain: string;
  readonly status: 'pending' | 'verified';
  readonly verificationToken: string;
  readonly verifiedAt: Date | null;
  readonly lastCheckedAt: Date | null;
  readonly lastCheckError: string | null;
}

export const EMAIL_DOMAIN_FIELDS = {
  domain: true,
  status: true,
  verificationToken: true,
  verifiedAt: true,
  lastCheckedAt: true,
  lastCheckError: true,
} as const;

export const emailDomainNotFound = () => new NotFoundError('e-mail domain', 'email_domain_not_found');

export function toEmailDomainView(row: EmailDomainRow): EmailDomainView {
  return {
    domain: row.domain,
    status: row.status,
    verifiedAt: row.verifiedAt?.toISOString() ?? null,
    txtRecord: challengeFor(row.domain, row.verificationToken),
    lastCheck: row.status === 'pending' && row.lastCheckedAt ? { at: row.lastCheckedAt.toISOString(), error: row.lastCheckError } : null,
  };
}

/** What a failed check tells the operator: what was looked up and what to publish. */
function notFoundMessage(row: EmailDomainRow, result: TxtLookupResult): string {
  const record = challengeFor(row.domain, row.verificationToken);
  const found =
    result.kind === 'absent'
      ? result.reason === 'no_such_name'
        ? `${record.name} does not exist (NXDOMAIN)`
        : `${record.name} has no TXT record`
      : `none of the ${result.records.length} TXT record(s) at ${record.name} is the expected value`;
  return `Not verified: ${found}. Publish TXT "${record.value}" at ${record.name} and verify again (DNS changes can take a while to appear).`;
}

@Injectable()
export class EmailDomainsService {
  constructor(
    private readonly privileged: PrivilegedPrismaService,
    private readonly audit: AuditService,
    private readonly issuers: TrustedIssuersService,
    private readonly dns: DnsTxtLookup,
    private readonly events: EventsService,
  ) {}

  async list(tenantId: string): Promise<EmailDomainView[]> {
    const rows = await this.privileged.client.tenantEmailDomain.findMany({
      where: { tenantId },
      select: EMAIL_DOMAIN_FIELDS,
      orderBy: { domain: 'asc' },
    });
    return rows.map(toEmailDomainView);
  }

  /** Refuses domains another tenant has verified (pending claims elsewhere do not block: they prove nothing). */
  async assertClaimable(db: TransactionClient, tenantId: string | undefined, domains: readonly string[]): Promise<void> {
    if (domains.length === 0) return;
    const owned = await db.tenantEmailDomain.findFirst({
      where: { domain: { in: [...domains] }, status: 'verified', ...(tenantId ? { tenantId: { not: tenantId } } : {}) },
      select: { domain: true },
    });
    if (owned) throw emailDomainTaken(owned.domain);
  }

  /** New claims for a tenant being created: pending, each with its own random token. */
  newClaims(domains: readonly string[]): { domain: string; verificationToken: string }[] {
    return domains.map((domain) => ({ domain, verificationToken: newVerificationToken() }));
  }

  /**
   * Replaces a tenant's domains: kept domains keep their state and token (a
   * verified domain stays verified), removed ones go, new ones start pending.
   */
  async replace(db: TransactionClient, tenantId: string, domains: readonly string[]): Promise<void> {
    await this.assertClaimable(db, tenantId, domains);
    await db.tenantEmailDomain.deleteMany({ where: { tenantId, domain: { notIn: [...domains] } } });
    const kept = new Set(
      (await db.tenantEmailDomain.findMany({ where: { tenantId }, select: { domain: true } })).map((row) => row.domain),
    );
    const added = domains.filter((domain) => !kept.has(domain));
    if (added.length > 0) await db.tenantEmailDomain.createMany({ data: this.newClaims(added).map((claim) => ({ tenantId, ...claim })) });
  }

  /**
   * Looks the challenge up in DNS and, when the published record matches,
   * marks the domain verified. A verified domain answers as it is without a
   * lookup. No record keeps it pending with a message; a DNS outage is 503.
   */
  async verify(tenantId: string, domain: string): Promise<EmailDomainView> {
    const row = await this.find(tenantId, domain);
    if (row.status === 'verified') return toEmailDomainView(row);
    await this.assertClaimable(this.privileged.client, tenantId, [domain]);

    const expected = challengeFor(domain, row.verificationToken);
    const result = await this.dns.lookup(expected.name);
    const verified = result.kind === 'found' && challengeMet(result.records, expected);
    const now = new Date();
    try {
      await this.privileged.client.$transaction(async (tx) => {
        const { count } = await tx.tenantEmailDomain.updateMany({
          where: { tenantId, domain, status: 'pending', verificationToken: row.verificationToken },
          data: verified
            ? { status: 'verified', verifiedAt: now, lastCheckedAt: now, lastCheckError: null }
            : { lastCheckedAt: now, lastCheckError: notFoundMessage(row, result) },
        });
        if (count === 0) return; // removed, replaced or verified meanwhile: nothing of ours to record
        await this.audit.record(tx, {
          action: 'tenant.email_domain.verify',
          tenantId,
          target: `email-domain:${domain}`,
          outcome: verified ? 'success' : 'failure',
          details: verified ? { domain } : { domain, reason: result.kind === 'absent' ? result.reason : 'value_mismatch' },
        });
        if (verified) await this.events.emit(tx, { type: 'domain.verified', data: { tenantId, domain } });
      });
    } catch (error) {
      // Another tenant's verification of the same domain committed first.
      if (isUniqueViolation(error)) throw emailDomainTaken(domain);
      throw error;
    }
    if (verified) await this.issuers.refreshTenant(tenantId);
    return toEmailDomainView(await this.find(tenantId, domain));
  }

  private async find(tenantId: string, domain: string): Promise<EmailDomainRow> {
    const row = await this.privileged.client.tenantEmailDomain.findUnique({
      where: { tenantId_domain: { tenantId, domain } },
      select: EMAIL_DOMAIN_FIELDS,
    });
    return row ?? Promise.reject(emailDomainNotFound());
  }
}
