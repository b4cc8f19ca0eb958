/**
 * Creates Gatehouse's roles and database on a Postgres server, idempotently.
 * Runs with an administrative connection (the local stack's superuser, the
 * test cluster's, or RDS's master user in the migration job). Migrations then
 * run as the owner role and grant the other two exactly what they need.
 */
import pg from 'pg';
import { DATABASE_ROLES, type DatabaseRoleKind } from './database-urls.js';

export interface BootstrapOptions {
  readonly adminUrl: string;
  readonly database: string;
  readonly passwords: Readonly<Record<DatabaseRoleKind, string>>;
}

const quoteIdent = (identifier: string): string => `"${identifier.replaceAll('"', '""')}"`;
const quoteLiteral = (value: string): string => `'${value.replaceAll("'", "''")}'`;

/**
 * Role attributes, spelled out so nobody "fixes" a permission problem by making
 * the API's role more powerful: the boot check refuses such a role anyway.
 */
const ROLE_ATTRIBUTES: Readonly<Record<DatabaseRoleKind, string>> = {
  owner: 'LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE',
  app: 'LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOINHERIT',
  privileged: 'LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOINHERIT',
};

export async function bootstrapDatabase(options: BootstrapOptions): Promise<void> {
  const admin = new pg.Client({ connectionString: options.adminUrl });
  await admin.connect();
  try {
    // Roles are cluster-wide: serialise concurrent bootstraps (parallel test runs).
    await admin.query('SELECT pg_advisory_lock(727073690)');
    for (const kind of Object.keys(DATABASE_ROLES) as DatabaseRoleKind[]) {
      const role = DATABASE_ROLES[kind];
      const exists = await admin.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role]);
      const verb = exists.rowCount === 0 ? 'CREATE' : 'ALTER';
      await admin.query(
        `${verb} ROLE ${quoteIdent(role)} WITH ${ROLE_ATTRIBUTES[kind]} PASSWORD ${quoteLiteral(options.passwords[kind])}`,
      );
    }
    // On managed Postgres (RDS) the admin is not a true superuser: it may only make a
    // database owned by, and alter objects of, roles it is a member of.
    const superuser = await admin.query<{ rolsuper: boolean }>('SELECT rolsuper FROM pg_roles WHERE rolname = current_user');
    if (!superuser.rows[0]?.rolsuper) {
      await admin.query(`GRANT ${quoteIdent(DATABASE_ROLES.owner)} TO CURRENT_USER`);
    }
    const database = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [options.database]);
    if (database.rowCount === 0) {
      await admin.query(`CREATE DATABASE ${quoteIdent(options.database)} OWNER ${quoteIdent(DATABASE_ROLES.owner)}`);
    }
    await admin.query(
      `GRANT CONNECT ON DATABASE ${quoteIdent(options.database)} TO ${quoteIdent(DATABASE_ROLES.app)}, ${quoteIdent(DATABASE_ROLES.privileged)}`,
    );
    await admin.query('SELECT pg_advisory_unlock(727073690)');
  } finally {
    await admin.end();
  }

  // Inside the new database: only the owner may create objects in `public`.
  const inDatabase = new pg.Client({ connectionString: withDatabase(options.adminUrl, options.database) });
  await inDatabase.connect();
  try {
    await inDatabase.query(`ALTER SCHEMA public OWNER TO ${quoteIdent(DATABASE_ROLES.owner)}`);
    await inDatabase.query('REVOKE CREATE ON SCHEMA public FROM PUBLIC');
  } finally {
    await inDatabase.end();
  }
}

/** Drops a database (tests clean up after themselves). */
export async function dropDatabase(adminUrl: string, database: string): Promise<void> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${quoteIdent(database)} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${encodeURIComponent(database)}`;
  return parsed.toString();
}
