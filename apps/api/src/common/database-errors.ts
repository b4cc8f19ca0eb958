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
