/**
 * Audit-log export as NDJSON (one event per line, the same shape as the read
 * API's items) or CSV (RFC 4180, a header row), streamed in bounded batches
 * so an export of any size holds one batch in memory. CSV is opened in
 * spreadsheets, so every cell that a spreadsheet would run as a formula
 * (starting with = + - @, tab or carriage return) is prefixed with `'`.
 */
import { Readable } from 'node:stream';
import type { AuditEventView, AuditFilters } from './dto/audit-event.dto.js';
import { toAuditEventView } from './audit-query.js';

export type AuditExportFormat = 'ndjson' | 'csv';

export const EXPORT_CONTENT_TYPES: Readonly<Record<AuditExportFormat, string>> = {
  ndjson: 'application/x-ndjson; charset=utf-8',
  csv: 'text/csv; charset=utf-8',
};

const BATCH_SIZE = 500;

export const CSV_COLUMNS = ['id', 'createdAt', 'tenantId', 'actorType', 'actorId', 'action', 'target', 'outcome', 'clientIp', 'requestId', 'details'] as const;

/** One CSV cell: formula-looking text defused, then quoted when it holds a separator, quote or line break. */
export function csvCell(value: unknown): string {
  let text = value === null || value === undefined ? '' : typeof value === 'string' ? value : JSON.stringify(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvRow(event: AuditEventView): string {
  return `${CSV_COLUMNS.map((column) => csvCell(event[column])).join(',')}\r\n`;
}

export function ndjsonLine(event: AuditEventView): string {
  return `${JSON.stringify(event)}\n`;
}

type Batch = Parameters<typeof toAuditEventView>[0][];
/** Reads one batch of rows older than `before` (null: from the newest), newest first. */
export type ReadBatch = (filters: AuditFilters, before: bigint | null, take: number) => Promise<Batch>;

/**
 * The export as a stream. The first batch is read before the stream is made,
 * so an unreachable database is an ordinary error answer (503), not a cut-off
 * download; a failure later ends the stream with an error (the client sees a
 * truncated body, never a partial file that looks complete: no trailer is sent).
 */
export async function auditExportStream(read: ReadBatch, filters: AuditFilters, format: AuditExportFormat, batchSize = BATCH_SIZE): Promise<Readable> {
  const first = await read(filters, null, batchSize);
  const line = format === 'csv' ? csvRow : ndjsonLine;
  async function* chunks(): AsyncGenerator<string> {
    if (format === 'csv') yield `${CSV_COLUMNS.join(',')}\r\n`;
    let batch = first;
    for (;;) {
      if (batch.length > 0) yield batch.map((row) => line(toAuditEventView(row))).join('');
      if (batch.length < batchSize) return;
      batch = await read(filters, batch.at(-1)!.id, batchSize);
    }
  }
  return Readable.from(chunks(), { objectMode: false });
}
