import { z } from 'zod';

const auditFilters = {
  /** Exact action (`tenant.suspend`), or a prefix ending in `*` (`tenant.*`). */
  action: z.string().regex(/^[a-z0-9_.]+\*?$/, 'an action like tenant.suspend, or a prefix like tenant.*').max(100).optional(),
  /** The actor's id: an operator's subject or a user's id. */
  actor: z.string().min(1).max(200).optional(),
  /** Events at or after this time. */
  from: z.iso.datetime({ offset: true }).optional(),
  /** Events before this time. */
  to: z.iso.datetime({ offset: true }).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  /** Opaque cursor from the previous page's `nextCursor`. */
  cursor: z.string().regex(/^\d{1,19}$/, 'must be a cursor from a previous page').optional(),
};

/** Operators: any tenant (or platform-wide events, `tenantId` absent). */
export const adminAuditQuerySchema = z.object({ tenantId: z.uuid().optional(), ...auditFilters }).strict();
export type AdminAuditQuery = z.infer<typeof adminAuditQuerySchema>;

/** Tenant admins: their own tenant only (row-level security decides). */
export const tenantAuditQuerySchema = z.object(auditFilters).strict();
export type TenantAuditQuery = z.infer<typeof tenantAuditQuerySchema>;

export const auditEventSchema = z.object({
  id: z.string(),
  tenantId: z.uuid().nullable(),
  actorType: z.enum(['operator', 'user', 'system']),
  actorId: z.string().nullable(),
  action: z.string(),
  target: z.string().nullable(),
  outcome: z.enum(['success', 'failure', 'denied']),
  requestId: z.string().nullable(),
  details: z.record(z.string(), z.unknown()),
  createdAt: z.iso.datetime(),
});
export type AuditEventView = z.infer<typeof auditEventSchema>;

export const auditPageSchema = z.object({ items: z.array(auditEventSchema), nextCursor: z.string().nullable() });
