import type { FastifyReply } from 'fastify';
import type { AuditFilters } from './dto/audit-event.dto.js';
import { type AuditExportFormat, EXPORT_CONTENT_TYPES, type ReadBatch, auditExportStream } from './audit-export.js';

/** Sends an audit export as a download; errors before the first byte become ordinary problem answers. */
export async function sendAuditExport(reply: FastifyReply, format: AuditExportFormat, filters: AuditFilters, read: ReadBatch): Promise<void> {
  const stream = await auditExportStream(read, filters, format);
  await reply
    .status(200)
    .header('content-type', EXPORT_CONTENT_TYPES[format])
    .header('content-disposition', `attachment; filename="audit-events.${format === 'csv' ? 'csv' : 'ndjson'}"`)
    .header('cache-control', 'no-store')
    .send(stream);
}
