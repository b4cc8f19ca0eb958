/**
 * Recognises the database errors a tenant request can legitimately cause, so
 * services turn them into domain errors instead of 500s. Prisma's driver
 * adapter surfaces Postgres' SQLSTATE in slightly different places depending
 * on the operation; we look at each.
 */
function codes(error: unknown): string[] {
  const found: string[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current && typeof current === 'object'; depth += 1) {
    const candidate = current as { code?: unknown; originalCode?: unknown; meta?: { code?: unknown }; cause?: unknown };
    for (const value of [candidate.code, candidate.originalCode, candidate.meta?.code]) {
      if (typeof value === 'string') found.push(value);
    }
    current = candidate.cause;
  }
  return found;
}

/** A unique constraint (Prisma P2002 / SQLSTATE 23505). Keys include tenant_id, so this is always the tenant's own row. */
export function isUniqueViolation(error: unknown): boolean {
  return codes(error).some((code) => code === 'P2002' || code === '23505');
}

/** A row-level security policy refused a write (SQLSTATE 42501 with the policy message). */
export function isRowLevelSecurityViolation(error: unknown): boolean {
  return /row-level security/i.test(String((error as { message?: unknown })?.message ?? ''));
}

/** A foreign key pointed at a row this tenant cannot see (P2003 / 23503). */
export function isForeignKeyViolation(error: unknown): boolean {
  return codes(error).some((code) => code === 'P2003' || code === '23503');
}

/** The row an update or delete named is gone (Prisma P2025): e.g. a concurrent request removed it first. */
export function isRecordMissing(error: unknown): boolean {
  return codes(error).includes('P2025');
}

/**
 * The `users_keep_an_active_admin` trigger refused a change that would leave a
 * tenant without an active admin (SQLSTATE GH409, raised by that trigger only).
 */
export function isLastAdminViolation(error: unknown): boolean {
  return codes(error).includes('GH409') || /would have no active admin/.test(String((error as { message?: unknown })?.message ?? ''));
}

/** SQLSTATEs of a server that is shutting down, restarting, overloaded or not reachable. */
const UNAVAILABLE_SQLSTATES = new Set(['57P01', '57P02', '57P03', '08000', '08001', '08003', '08004', '08006', '53300']);
/** Prisma's codes and driver-adapter error kinds for the same situations (P2024: no pool connection in time). */
const UNAVAILABLE_PRISMA_CODES = new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2024']);
const UNAVAILABLE_KINDS = new Set(['DatabaseNotReachable', 'ConnectionClosed', 'SocketTimeout', 'TooManyConnections']);
const UNAVAILABLE_SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'EAI_AGAIN']);
/**
 * What `pg` and Prisma say, without a code (or under a code as broad as P2028), when a
 * connection died or never came — including no pool connection for a transaction within
 * its maxWait: the database is saturated, and the request is worth retrying.
 */
const UNAVAILABLE_MESSAGES =
  /Unable to start a transaction in the given time|Connection terminated|timeout exceeded when trying to connect|terminating connection due to administrator command|the database system is (starting up|shutting down|in recovery mode)|Can't reach database server|Server has closed the connection|Client has encountered a connection error|Transaction not found/i;

/**
 * The database could not serve the request at all: unreachable, restarting,
 * failing over, out of connections. Such a request is worth retrying (503 with
 * Retry-After), unlike a query that failed on its own merits. Prisma nests the
 * driver's error a few levels deep (`cause`, `meta.driverAdapterError`), so the
 * whole error graph is searched, to a small depth.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  const seen = new Set<unknown>();
  const visit = (value: unknown, depth: number): boolean => {
    if (!value || typeof value !== 'object' || depth > 5 || seen.has(value)) return false;
    seen.add(value);
    const candidate = value as Record<string, unknown>;
    for (const key of ['code', 'originalCode']) {
      const code = candidate[key];
      if (typeof code === 'string' && (UNAVAILABLE_SQLSTATES.has(code) || UNAVAILABLE_PRISMA_CODES.has(code) || UNAVAILABLE_SOCKET_CODES.has(code))) {
        return true;
      }
    }
    if (typeof candidate['kind'] === 'string' && UNAVAILABLE_KINDS.has(candidate['kind'])) return true;
    if (typeof candidate['message'] === 'string' && UNAVAILABLE_MESSAGES.test(candidate['message'])) return true;
    return ['cause', 'meta', 'driverAdapterError', 'errors'].some((key) => {
      const next = candidate[key];
      return Array.isArray(next) ? next.some((item) => visit(item, depth + 1)) : visit(next, depth + 1);
    });
  };
  return visit(error, 0);
}
