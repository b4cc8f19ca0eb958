/**
 * Reading the audit log: one query for both readers — operators through the
 * privileged client (every tenant), tenant admins through TenantDb (row-level
 * security shows them their own tenant's events only). Newest first, keyset
 * paging on the id (opaque cursors, audit-cursor.ts), filters by tenant,
 * actor, action (exact or prefix), target, outcome and time.
 */
import type { Prisma } from '../generated/prisma/client.js';
import type { TransactionClient } from '../database/prisma-client.js';
import { decodeAuditCursor, encodeAuditCursor } from './audit-cursor.js';
import type { AdminAuditQuery, AuditEventView, AuditFilters } from './dto/audit-event.dto.js';

type AuditReader = Pick<TransactionClient, 'auditEvent'>;
type AuditRow = Awaited<ReturnType<AuditReader['auditEvent']['findMany']>>[number];

function whereOf(filters: AuditFilters, before: bigint | null): Prisma.AuditEventWhereInput {
  const action = filters.action?.endsWith('*') ? { startsWith: filters.action.slice(0, -1) } : filters.action;
  return {
    ...(filters.tenantId ? { tenantId: filters.tenantId } : {}),
    ...(filters.actor ? { actorId: filters.actor } : {}),
    ...(action !== undefined ? { action } : {}),
    ...(filters.target ? { target: filters.target } : {}),
    ...(filters.outcome ? { outcome: filters.outcome } : {}),
    ...(filters.from || filters.to
      ? { createdAt: { ...(filters.from ? { gte: new Date(filters.from) } : {}), ...(filters.to ? { lt: new Date(filters.to) } : {}) } }
      : {}),
    ...(before !== null ? { id: { lt: before } } : {}),
  };
}

export function toAuditEventView(row: AuditRow): AuditEventView {
  return {
    id: row.id.toString(),
    tenantId: row.tenantId,
    actorType: row.actorType as AuditEventView['actorType'],
    actorId: row.actorId,
    action: row.action,
    target: row.target,
    outcome: row.outcome as AuditEventView['outcome'],
    requestId: row.requestId,
    clientIp: row.clientIp,
    details: (row.details ?? {}) as Record<string, unknown>,
    createdAt: row.createdAt.toISOString(),
  };
}

/** One batch of rows older than `before` (null: from the newest), newest first. */
export function findAuditRows(db: AuditReader, filters: AuditFilters, before: bigint | null, take: number): Promise<AuditRow[]> {
  return db.auditEvent.findMany({ where: whereOf(filters, before), orderBy: { id: 'desc' }, take });
}

export async function findAuditEvents(
  db: AuditReader,
  query: Omit<AdminAuditQuery, 'tenantId'> & { tenantId?: string },
): Promise<{ items: AuditEventView[]; nextCursor: string | null }> {
  const { limit, cursor, ...filters } = query;
  const rows = await findAuditRows(db, filters, cursor ? decodeAuditCursor(cursor) : null, limit + 1);
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return { items: page.map(toAuditEventView), nextCursor: rows.length > limit && last ? encodeAuditCursor(last.id) : null };
}
