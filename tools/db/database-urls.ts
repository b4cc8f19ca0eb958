/**
 * The three Postgres roles Gatehouse uses, and the URLs for each derived from
 * one administrative URL (local stack and tests). In AWS the URLs come from
 * Secrets Manager instead; the role names are the same everywhere because the
 * migrations grant to them by name.
 */
export const DATABASE_ROLES = {
  /** Owns the tables; runs migrations; has no policy granting it rows. */
  owner: 'gatehouse_owner',
  /** The API's request path: every tenant query is subject to row-level security. */
  app: 'gatehouse_app',
  /** The tenants module only: registry writes and cross-tenant operator work. */
  privileged: 'gatehouse_privileged',
} as const;
export type DatabaseRoleKind = keyof typeof DATABASE_ROLES;

export interface DatabaseUrls {
  readonly owner: string;
  readonly app: string;
  readonly privileged: string;
}

/** Passwords for local and test clusters only; production passwords come from the secret store. */
export const LOCAL_ROLE_PASSWORDS: Readonly<Record<DatabaseRoleKind, string>> = {
  owner: 'gatehouse-owner-local',
  app: 'gatehouse-app-local',
  privileged: 'gatehouse-privileged-local',
};

/** Same server as `adminUrl`, another database and role. */
export function urlFor(adminUrl: string, database: string, user: string, password: string): string {
  const url = new URL(adminUrl);
  url.username = encodeURIComponent(user);
  url.password = encodeURIComponent(password);
  url.pathname = `/${encodeURIComponent(database)}`;
  return url.toString();
}

export function localDatabaseUrls(adminUrl: string, database: string): DatabaseUrls {
  return {
    owner: urlFor(adminUrl, database, DATABASE_ROLES.owner, LOCAL_ROLE_PASSWORDS.owner),
    app: urlFor(adminUrl, database, DATABASE_ROLES.app, LOCAL_ROLE_PASSWORDS.app),
    privileged: urlFor(adminUrl, database, DATABASE_ROLES.privileged, LOCAL_ROLE_PASSWORDS.privileged),
  };
}
