import { z } from 'zod';
import { decodeAuditCursor } from '../audit-cursor.js';

const auditFilters = {
  /** Exact action (`tenant.suspend`), or a prefix ending in `*` (`tenant.*`). */
  action: z.string().regex(/^[a-z0-9_.]+\*?$/, 'an action like tenant.suspend, or a prefix like tenant.*').max(100).optional(),
  /** The actor's id: an operator's subject or a user's id. */
  actor: z.string().min(1).max(200).optional(),
  /** Events at or after this time. */
  from: z.iso.datetime({ offset: true }).optional(),
  /** Events before this time. */
  to: z.iso.datetime({ offset: true }).optional(),
  /** Exact target, e.g. `user:<id>` or `tenant:<id>`. */
  target: z.string().min(1).max(200).optional(),
  outcome: z.enum(['success', 'failure', 'denied']).optional(),
};

const paging = {
  limit: z.coerce.number().int().min(1).max(200).default(50),
  /** Opaque cursor from the previous page's `nextCursor`. */
  cursor: z
    .string()
    .max(40)
    .refine((cursor) => decodeAuditCursor(cursor) !== null, 'must be a cursor from a previous page')
    .optional(),
};

/** What an export writes: one JSON object per line, or CSV with a header row. */
const exportFormat = { format: z.enum(['ndjson', 'csv']).default('ndjson') };

/** Operators: any tenant (or platform-wide events, `tenantId` absent). */
export const adminAuditQuerySchema = z.object({ tenantId: z.uuid().optional(), ...auditFilters, ...paging }).strict();
export type AdminAuditQuery = z.infer<typeof adminAuditQuerySchema>;

/** Tenant admins: their own tenant only (row-level security decides). */
export const tenantAuditQuerySchema = z.object({ ...auditFilters, ...paging }).strict();
export type TenantAuditQuery = z.infer<typeof tenantAuditQuerySchema>;

export const adminAuditExportSchema = z.object({ tenantId: z.uuid().optional(), ...auditFilters, ...exportFormat }).strict();
export const tenantAuditExportSchema = z.object({ ...auditFilters, ...exportFormat }).strict();
export type AuditExportQuery = z.infer<typeof adminAuditExportSchema>;

/** The filters every reader shares (the tenant one only for operators). */
export type AuditFilters = Omit<AuditExportQuery, 'format'>;

export const auditEventSchema = z.object({
  id: z.string(),
  tenantId: z.uuid().nullable(),
  actorType: z.enum(['operator', 'user', 'system']),
  actorId: z.string().nullable(),
  action: z.string(),
  target: z.string().nullable(),
  outcome: z.enum(['success', 'failure', 'denied']),
  requestId: z.string().nullable(),
  /** The client's address per the trusted-proxy rules; null for events outside a client request. */
  clientIp: z.string().nullable(),
  details: z.record(z.string(), z.unknown()),
  createdAt: z.iso.datetime(),
});
export type AuditEventView = z.infer<typeof auditEventSchema>;

export const auditPageSchema = z.object({ items: z.array(auditEventSchema), nextCursor: z.string().nullable() });
