/**
 * Reading the audit log: one query for both readers — operators through the
 * privileged client (every tenant), tenant admins through TenantDb (row-level
 * security shows them their own tenant's events only). Newest first, keyset
 * paging on the id, filters by tenant, actor, action (exact or prefix) and time.
 */
import type { TransactionClient } from '../database/prisma-client.js';
import type { AdminAuditQuery, AuditEventView } from './dto/audit-event.dto.js';

type AuditReader = Pick<TransactionClient, 'auditEvent'>;

export async function findAuditEvents(
  db: AuditReader,
  query: AdminAuditQuery,
): Promise<{ items: AuditEventView[]; nextCursor: string | null }> {
  const action = query.action?.endsWith('*') ? { startsWith: query.action.slice(0, -1) } : query.action;
  const rows = await db.auditEvent.findMany({
    where: {
      ...(query.tenantId ? { tenantId: query.tenantId } : {}),
      ...(query.actor ? { actorId: query.actor } : {}),
      ...(action !== undefined ? { action } : {}),
      ...(query.from || query.to
        ? { createdAt: { ...(query.from ? { gte: new Date(query.from) } : {}), ...(query.to ? { lt: new Date(query.to) } : {}) } }
        : {}),
      ...(query.cursor ? { id: { lt: BigInt(query.cursor) } } : {}),
    },
    orderBy: { id: 'desc' },
    take: query.limit + 1,
  });
  const items = rows.slice(0, query.limit).map(
    (row): AuditEventView => ({
      id: row.id.toString(),
      tenantId: row.tenantId,
      actorType: row.actorType as AuditEventView['actorType'],
      actorId: row.actorId,
      action: row.action,
      target: row.target,
      outcome: row.outcome as AuditEventView['outcome'],
      requestId: row.requestId,
      details: (row.details ?? {}) as Record<string, unknown>,
      createdAt: row.createdAt.toISOString(),
    }),
  );
  return { items, nextCursor: rows.length > query.limit ? (items.at(-1)?.id ?? null) : null };
}
