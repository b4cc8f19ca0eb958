/**
 * The API refuses to start if its database role could bypass row-level
 * security: a superuser, a BYPASSRLS role, or a role that owns (or can become
 * the owner of) the tables — owners are exempt from policies unless FORCE is
 * set, and a misconfigured FORCE must not silently open every tenant.
 */
import pg from 'pg';

export class UnsafeDatabaseRoleError extends Error {
  override readonly name = 'UnsafeDatabaseRoleError';
}

export interface RoleFacts {
  readonly role: string;
  readonly superuser: boolean;
  readonly bypassRls: boolean;
  readonly ownedTables: readonly string[];
}

export async function readRoleFacts(connectionString: string): Promise<RoleFacts> {
  const client = new pg.Client({ connectionString, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    const role = await client.query<{ role: string; superuser: boolean; bypass_rls: boolean }>(
      `SELECT current_user AS role, rolsuper AS superuser, rolbypassrls AS bypass_rls
         FROM pg_roles WHERE rolname = current_user`,
    );
    // 'MEMBER' also catches a role that could SET ROLE to the owner.
    const owned = await client.query<{ table_name: string }>(
      `SELECT tablename AS table_name FROM pg_tables
        WHERE schemaname = 'public' AND pg_has_role(current_user, tableowner, 'MEMBER')`,
    );
    const facts = role.rows[0];
    if (!facts) throw new UnsafeDatabaseRoleError('could not read the database role');
    return {
      role: facts.role,
      superuser: facts.superuser,
      bypassRls: facts.bypass_rls,
      ownedTables: owned.rows.map((row) => row.table_name),
    };
  } finally {
    await client.end();
  }
}

export function assertRoleIsConfined(facts: RoleFacts, purpose: string): void {
  const reasons: string[] = [];
  if (facts.superuser) reasons.push('it is a superuser');
  if (facts.bypassRls) reasons.push('it has BYPASSRLS');
  if (facts.ownedTables.length > 0) reasons.push(`it owns (or can become the owner of) ${facts.ownedTables.join(', ')}`);
  if (reasons.length > 0) {
    throw new UnsafeDatabaseRoleError(
      `refusing to start: the ${purpose} database role "${facts.role}" would bypass row-level security because ${reasons.join('; ')}. ` +
        'Connect as the application role created by the database bootstrap (gatehouse_app).',
    );
  }
}
