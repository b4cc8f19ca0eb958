/**
 * Paging cursors for the audit log: opaque to clients (`a1.` + base64url of
 * the last id seen) and validated on the way back, so a cursor that was not
 * made here is a 400, not a query. Keyset paging on the id (newest first) is
 * stable: rows written while a reader pages land before its first page, and
 * rows never move between pages. Tampering gains nothing: a cursor only says
 * where to continue, and row-level security still decides which rows exist.
 */
const PREFIX = 'a1.';
const MAX_ID = 2n ** 63n - 1n;

export function encodeAuditCursor(id: bigint): string {
  return PREFIX + Buffer.from(id.toString(), 'utf8').toString('base64url');
}

/** The id a cursor continues after, or null when it is not one of ours. */
export function decodeAuditCursor(cursor: string): bigint | null {
  if (!cursor.startsWith(PREFIX) || cursor.length > 40) return null;
  const encoded = cursor.slice(PREFIX.length);
  if (!/^[A-Za-z0-9_-]{1,28}$/.test(encoded)) return null;
  const text = Buffer.from(encoded, 'base64url').toString('utf8');
  if (!/^[1-9]\d{0,18}$/.test(text) || Buffer.from(text, 'utf8').toString('base64url') !== encoded) return null;
  const id = BigInt(text);
  return id <= MAX_ID ? id : null;
}
