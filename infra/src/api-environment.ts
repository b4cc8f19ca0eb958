/**
 * The environment the API container receives in AWS, by key. Every key must
 * be one the API's configuration accepts (`CONFIG_ENV_KEYS` in
 * apps/api/src/config/config.schema.ts); `api-environment.spec.ts` checks
 * these lists against it, as `docker/docker.spec.ts` does for the compose file.
 */

/** Non-secret settings: the API's ConfigMap. */
export const API_CONFIGMAP_KEYS = [
  'NODE_ENV',
  'PORT',
  'HOST',
  'LOG_LEVEL',
  'GATEHOUSE_MODE',
  'AWS_REGION',
  'GATEHOUSE_DEPLOYMENT',
  'GATEHOUSE_TIERS',
  'GATEHOUSE_SHARED_POOLS',
  'GATEHOUSE_COGNITO_TRIGGERS',
  'TOKEN_CLOCK_SKEW_SECONDS',
  'PUBLIC_BASE_DOMAIN',
  'TRUSTED_PROXY_CIDRS',
  'SILO_REGIONS',
  'COGNITO_EMAIL',
  'SHUTDOWN_GRACE_MS',
  'OPENAPI_DOCS_ENABLED',
  'COGNITO_CONNECT_TIMEOUT_MS',
  'COGNITO_REQUEST_TIMEOUT_MS',
  'COGNITO_DEADLINE_MS',
  'PROVISIONING_LEASE_MS',
  'PROVISIONING_SWEEP_INTERVAL_MS',
  'COGNITO_CAPACITY_METRICS_NAMESPACE',
  'TLS_CERT_FILE',
  'TLS_KEY_FILE',
  'CORS_ALLOWED_ORIGINS',
  'TIER_MOVE_SOURCE_GRACE_MS',
  'AUDIT_RETENTION_DAYS',
] as const;
export type ApiConfigMapKey = (typeof API_CONFIGMAP_KEYS)[number];

/**
 * The API's Secret: its database credentials and the keys sealing sign-in
 * challenge handles (challenge-handle-keys.ts), which the migration job never gets.
 */
export const API_SECRET_KEYS = [
  'DATABASE_URL',
  'DATABASE_PRIVILEGED_URL',
  'CHALLENGE_HANDLE_KEYS',
  'COGNITO_EVENTS_SECRET',
  'COGNITO_TOKEN_EXCHANGE_KEY',
] as const;
export type ApiSecretKey = (typeof API_SECRET_KEYS)[number];

/**
 * The migration job's environment (`node dist/tools/db/migrate.js`), kept in
 * its own Secret that API pods never mount: the RDS master user's URL (to
 * create the three roles and the database idempotently), the owner's URL
 * (to apply migrations; the name `prisma.config.ts` also uses) and the two
 * runtime URLs (whose passwords the bootstrap sets).
 */
export const MIGRATION_SECRET_KEYS = [
  'DATABASE_ADMIN_URL',
  'DATABASE_MIGRATION_URL',
  'DATABASE_URL',
  'DATABASE_PRIVILEGED_URL',
] as const;
export type MigrationSecretKey = (typeof MIGRATION_SECRET_KEYS)[number];

/** Where the API image keeps the RDS CA bundle (docker/Dockerfile), so database URLs can ask for verify-full. */
export const RDS_CA_BUNDLE_PATH = '/app/certs/rds-global-bundle.pem';

/** The API's port inside the pod (and the image's default); HTTPS in the cluster (row 2). */
export const API_PORT = 3000;

/**
 * Where the pod's serving certificate is mounted (the cert-manager Certificate's Secret,
 * api-workload.ts): the ALB → pod hop is TLS too (row 2).
 */
export const API_TLS_MOUNT_PATH = '/etc/gatehouse/tls';
export const API_TLS_CERT_FILE = `${API_TLS_MOUNT_PATH}/tls.crt`;
export const API_TLS_KEY_FILE = `${API_TLS_MOUNT_PATH}/tls.key`;

/** One entry of `GATEHOUSE_SHARED_POOLS`, keyed by tier name or `operators`. */
export interface SharedPoolEnvEntry {
  readonly userPoolId: string;
  /** Absent for bridge tiers: each tenant gets its own client at provisioning. */
  readonly clientId?: string;
  /** The confidential client the API's own flows use; absent for bridge tiers like `clientId`. */
  readonly gatehouseClientId?: string;
  readonly region: string;
}

/** Serialises the shared pools the way the API reads `GATEHOUSE_SHARED_POOLS`, with stable key order. */
export function sharedPoolsEnvValue(pools: Readonly<Record<string, SharedPoolEnvEntry>>): string {
  const ordered: Record<string, SharedPoolEnvEntry> = {};
  for (const key of Object.keys(pools).sort()) {
    const pool = pools[key] as SharedPoolEnvEntry;
    ordered[key] = {
      userPoolId: pool.userPoolId,
      ...(pool.clientId === undefined ? {} : { clientId: pool.clientId }),
      ...(pool.gatehouseClientId === undefined ? {} : { gatehouseClientId: pool.gatehouseClientId }),
      region: pool.region,
    };
  }
  return JSON.stringify(ordered);
}

/** The issuer the API trusts for a Cognito pool (`iss` of its tokens). */
export function cognitoIssuer(region: string, userPoolId: string): string {
  return `https://cognito-idp.${region}.amazonaws.com/${userPoolId}`;
}
