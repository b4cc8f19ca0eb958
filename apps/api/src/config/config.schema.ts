/**
 * Every setting the API reads, validated once at boot into a typed object.
 * `loadConfig(env)` is pure so tests can build configurations without touching
 * the process environment; `CONFIG_ENV_KEYS` is the list the Kubernetes
 * manifests and the compose file are checked against.
 */
import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import { z } from 'zod';
import { type TlsFiles, type TlsMaterial, loadTlsMaterial } from '../common/tls-files.js';
import {
  type CognitoTriggerArns,
  OPERATORS_POOL_KEY,
  type TierConfiguration,
  TierConfigurationError,
  loadTierConfigurationFile,
  parseTierConfigurationJson,
  sharedPoolTiers,
} from '@gatehouse/tiers';

const booleanFromString = z
  .enum(['true', 'false', '1', '0'], { error: 'expected true or false' })
  .transform((value) => value === 'true' || value === '1');

/** `10.0.0.0/8,2001:db8::/32,127.0.0.1`: addresses or CIDR ranges, comma-separated. */
const cidrList = z.string().transform((text, ctx): string[] => {
  const ranges = text.split(',').map((part) => part.trim()).filter((part) => part.length > 0);
  for (const range of ranges) {
    const [address = '', prefix, extra] = range.split('/');
    const family = isIP(address);
    const maxPrefix = family === 6 ? 128 : 32;
    const prefixOk = prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= maxPrefix);
    if (family === 0 || !prefixOk || extra !== undefined) ctx.addIssue({ code: 'custom', message: `"${range}" is not an IP address or CIDR range` });
  }
  return ranges;
});

const postgresUrl = z
  .string({ error: 'is required' })
  .refine((value) => /^postgres(ql)?:\/\//.test(value), 'must be a postgres:// or postgresql:// URL');

const sharedPoolSchema = z
  .object({
    userPoolId: z.string().regex(/^[\w-]+_[0-9a-zA-Z]+$/, 'is not a Cognito user pool id'),
    /** The public client (front ends at Cognito directly). */
    clientId: z.string().min(1).optional(),
    /** The confidential Gatehouse client the API's own flows use (its secret is read from Cognito, never configured). */
    gatehouseClientId: z.string().min(1).optional(),
    region: z.string().min(1).optional(),
  })
  .strict();

const arn = (service: string) =>
  z.string().regex(new RegExp(`^arn:aws[a-z-]*:${service}:[a-z0-9-]+:\\d{12}:.+$`), `is not a ${service} ARN`);

const cognitoTriggerArnsSchema = z
  .object({
    preSignUp: arn('lambda'),
    preTokenGeneration: arn('lambda'),
    postEvents: arn('lambda').optional(),
    userMigration: arn('lambda').optional(),
    // The tier-move token exchange (custom auth): all three or none.
    defineAuthChallenge: arn('lambda').optional(),
    createAuthChallenge: arn('lambda').optional(),
    verifyAuthChallengeResponse: arn('lambda').optional(),
  })
  .strict()
  .refine(
    (arns) => [arns.defineAuthChallenge, arns.createAuthChallenge, arns.verifyAuthChallengeResponse].filter(Boolean).length % 3 === 0,
    'defineAuthChallenge, createAuthChallenge and verifyAuthChallengeResponse go together: all three or none',
  );

/**
 * Cognito invokes triggers in the pool's own region, so silo pools in several regions need
 * functions in each: `{"<region>": {preSignUp, preTokenGeneration, postEvents?, userMigration?}, ...}` (what Pulumi writes).
 * The single-region form `{preSignUp, preTokenGeneration}` is still read (the ARNs' region).
 */
const cognitoTriggersSchema = z.union([cognitoTriggerArnsSchema, z.record(z.string().regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, 'must be an AWS region'), cognitoTriggerArnsSchema)]);

/** The region of an ARN (`arn:<partition>:<service>:<region>:…`). */
const arnRegion = (value: string): string => value.split(':')[3] ?? '';

function triggersByRegion(value: z.infer<typeof cognitoTriggersSchema> | undefined, problems: string[]): Map<string, CognitoTriggerArns> {
  const byRegion = new Map<string, CognitoTriggerArns>();
  if (!value) return byRegion;
  const entries: [string, CognitoTriggerArns][] =
    'preSignUp' in value && typeof value.preSignUp === 'string'
      ? [[arnRegion(value.preSignUp as string), value as CognitoTriggerArns]]
      : Object.entries(value as Record<string, CognitoTriggerArns>);
  for (const [region, arns] of entries) {
    const optional = [arns.postEvents, arns.userMigration, arns.defineAuthChallenge, arns.createAuthChallenge, arns.verifyAuthChallengeResponse];
    const functionArns = [arns.preSignUp, arns.preTokenGeneration, ...optional.filter((functionArn): functionArn is string => Boolean(functionArn))];
    if (functionArns.some((functionArn) => arnRegion(functionArn) !== region)) {
      problems.push(`GATEHOUSE_COGNITO_TRIGGERS: the functions for ${region} must be in ${region} (Cognito calls triggers in the pool's region)`);
    }
    byRegion.set(region, arns);
  }
  return byRegion;
}

const jsonObject = <T extends z.ZodType>(schema: T) =>
  z.string().transform((text, ctx): z.infer<T> => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'is not valid JSON' });
      return z.NEVER;
    }
    const result = schema.safeParse(parsed);
    if (!result.success) {
      for (const issue of result.error.issues) {
        ctx.addIssue({ code: 'custom', message: `${issue.path.join('.') || '(root)'}: ${issue.message}` });
      }
      return z.NEVER;
    }
    return result.data;
  });

/** `ip`, `ip:port` or `[ipv6]:port`, as node:dns's setServers takes them (addresses only: no name to resolve first). */
function isResolverAddress(entry: string): boolean {
  if (isIP(entry) !== 0) return true;
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(entry);
  if (!match) return false;
  const port = Number(match[3]);
  return isIP(match[1] ?? match[2] ?? '') !== 0 && port >= 1 && port <= 65535;
}

const resolverList = z
  .string()
  .transform((text) => text.split(',').map((entry) => entry.trim()).filter(Boolean))
  .refine((list) => list.length > 0 && list.every(isResolverAddress), 'must be a comma-separated list of ip[:port] (IPv6 as [addr]:port)');

/**
 * `https://app.example.com,http://localhost:5173`: browser origins (scheme, host, optional port; no
 * path, no wildcard) whose pages may call the API. Normalised to lower case, no duplicates.
 */
const originList = z.string().transform((text, ctx): string[] => {
  const entries = text.split(',').map((entry) => entry.trim()).filter((entry) => entry !== '');
  const origins = new Set<string>();
  for (const entry of entries) {
    let url: URL | undefined;
    try {
      url = new URL(entry);
    } catch {
      url = undefined;
    }
    const normalised = entry.toLowerCase().replace(/\/+$/, '');
    if (!url || entry.includes('*') || !/^https?:$/.test(url.protocol) || url.origin !== normalised || url.username || url.password) {
      ctx.addIssue({ code: 'custom', message: `"${entry}" is not an origin (scheme://host[:port], no path; "*" is never allowed)` });
      continue;
    }
    origins.add(url.origin);
  }
  return [...origins];
});

const AWS_REGION_PATTERN = /^[a-z]{2}(-gov)?-[a-z]+-\d$/;

/** `eu-west-1,us-east-1` → `['eu-west-1', 'us-east-1']`, each an AWS region, no duplicates. */
const regionList = z.string().transform((text, ctx): string[] => {
  const regions = text
    .split(',')
    .map((region) => region.trim())
    .filter((region) => region !== '');
  const invalid = regions.filter((region) => !AWS_REGION_PATTERN.test(region));
  if (regions.length === 0 || invalid.length > 0) {
    ctx.addIssue({ code: 'custom', message: `must list AWS regions separated by commas${invalid.length ? ` (not regions: ${invalid.join(', ')})` : ''}` });
    return z.NEVER;
  }
  return [...new Set(regions)];
});

export const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  /** `local` trusts the Cognito emulator's issuers (one published signing key!); never in production. */
  GATEHOUSE_MODE: z.enum(['local', 'aws']).default('aws'),
  HOST: z.string().default('0.0.0.0'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Application role: every tenant query is subject to row-level security. */
  DATABASE_URL: postgresUrl,
  /** Privileged role: tenant registry writes and operators' work only. */
  DATABASE_PRIVILEGED_URL: postgresUrl,
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(100).default(10),
  AWS_REGION: z.string().min(1).default('us-east-1'),
  /** The Cognito emulator's URL in local mode; unset in AWS. */
  COGNITO_ENDPOINT: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
  /** Prefix of every Cognito resource this deployment creates. */
  GATEHOUSE_DEPLOYMENT: z
    .string()
    .regex(/^[a-z][a-z0-9-]{1,40}$/, 'must be lower-case letters, digits and dashes')
    .default('gatehouse'),
  /** Tier configuration as JSON; defaults to config/tiers.json. */
  GATEHOUSE_TIERS: z.string().optional(),
  /** Shared pools created by Pulumi (or the local stack): {"<tier>|operators": {"userPoolId", "clientId"?, "region"?}}. */
  GATEHOUSE_SHARED_POOLS: jsonObject(z.record(z.string(), sharedPoolSchema)),
  /**
   * The deployment's Cognito triggers {"preSignUp", "preTokenGeneration"} (Lambda ARNs from `pulumi up`),
   * wired to every silo pool the API creates. Required in AWS mode; the emulator cannot run triggers.
   */
  GATEHOUSE_COGNITO_TRIGGERS: jsonObject(cognitoTriggersSchema).optional(),
  TOKEN_CLOCK_SKEW_SECONDS: z.coerce.number().int().min(0).max(300).default(30),
  JWKS_REFETCH_COOLDOWN_SECONDS: z.coerce.number().int().min(1).max(3600).default(30),
  JWKS_TIMEOUT_MS: z.coerce.number().int().min(100).max(30_000).default(3000),
  /**
   * Browser origins allowed to call the API (CORS), comma-separated; active tenants' registered hosts
   * (`https://<host>`) are allowed on top of these. Plain http is refused when NODE_ENV=production.
   */
  CORS_ALLOWED_ORIGINS: originList.default([]),
  /** `acme.<PUBLIC_BASE_DOMAIN>` is a route hint for tenant `acme`. */
  PUBLIC_BASE_DOMAIN: z.string().optional(),
  /**
   * Replaced by TRUSTED_PROXY_CIDRS. Kept only so that `true` (trust every peer's
   * X-Forwarded-For, which lets any client pick its own rate-limit key) is refused
   * at boot with a pointer to the replacement instead of being silently ignored.
   */
  TRUST_PROXY: booleanFromString.default(false),
  /**
   * Proxies (load balancer, ingress) whose X-Forwarded-For is believed: the client
   * address is the right-most hop that is not inside these ranges. Empty: the
   * direct peer is the client.
   */
  TRUSTED_PROXY_CIDRS: cidrList.default([]),
  /** Shared rate-limit store; without it the counters live in Postgres. */
  REDIS_URL: z.url({ protocol: /^rediss?$/, error: 'must be a redis:// or rediss:// URL' }).optional(),
  /** Prefix of every rate-limit key, so deployments sharing one store keep apart. Defaults to GATEHOUSE_DEPLOYMENT. */
  RATE_LIMIT_NAMESPACE: z.string().regex(/^[\w.:-]{1,64}$/, 'must be 1-64 letters, digits, dots, colons or dashes').optional(),
  /** A rate-limit store call slower than this counts as an outage (the replica's in-memory fallback answers). */
  RATE_LIMIT_STORE_TIMEOUT_MS: z.coerce.number().int().min(10).max(10_000).default(250),
  /** Requests to the public identity routes per client address per minute. */
  RATE_LIMIT_PER_ADDRESS_PER_MINUTE: z.coerce.number().int().min(1).max(1_000_000).default(120),
  /** Requests to the public identity routes per tenant per RATE_LIMIT_TENANT_WINDOW_SECONDS (Cognito's quotas are per account). */
  RATE_LIMIT_PER_TENANT: z.coerce.number().int().min(1).max(1_000_000).default(50),
  RATE_LIMIT_TENANT_WINDOW_SECONDS: z.coerce.number().int().min(1).max(3600).default(1),
  /** Code and e-mail requests (sign-up, confirm, resend, forgot, confirm-forgot, challenge) per (tenant, e-mail) per hour. */
  RATE_LIMIT_PER_USER_PER_HOUR: z.coerce.number().int().min(1).max(100_000).default(30),
  /** Failed sign-ins allowed per (tenant, e-mail) in the window before 429. */
  SIGN_IN_FAILURES_PER_USER: z.coerce.number().int().min(1).max(1000).default(5),
  SIGN_IN_FAILURE_WINDOW_SECONDS: z.coerce.number().int().min(1).max(86_400).default(900),
  /** Sign-in attempts allowed per client address per minute. */
  SIGN_IN_ATTEMPTS_PER_ADDRESS_PER_MINUTE: z.coerce.number().int().min(1).max(100_000).default(60),
  /** DNS servers for e-mail domain verification (TXT lookups); unset means the system's resolvers. */
  DNS_RESOLVERS: resolverList.optional(),
  /** Per-try timeout of a TXT lookup; a lookup that times out is a 503 with Retry-After. */
  DNS_TIMEOUT_MS: z.coerce.number().int().min(100).max(30_000).default(2000),
  BODY_LIMIT_BYTES: z.coerce.number().int().min(1024).max(10 * 1024 * 1024).default(64 * 1024),
  SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).max(120_000).default(10_000),
  /** Regions where silo tenants' pools may be created (the IAM role allows exactly these); default: AWS_REGION. */
  SILO_REGIONS: regionList.optional(),
  /** The account's Cognito quotas (Service Quotas may have raised them), for headroom reporting. */
  COGNITO_USER_POOL_QUOTA: z.coerce.number().int().min(1).max(1_000_000).default(1000),
  COGNITO_APP_CLIENTS_PER_POOL_QUOTA: z.coerce.number().int().min(1).max(1_000_000).default(1000),
  /**
   * CloudWatch namespace the quota headroom is published to (PutMetricData, for the 80 % alarms);
   * unset: not published. AWS mode only; never an `AWS/` namespace.
   */
  COGNITO_CAPACITY_METRICS_NAMESPACE: z
    .string()
    .regex(/^(?!AWS\/)[A-Za-z0-9._/#:-]{1,255}$/, 'must be a custom CloudWatch namespace (letters, digits, . _ / # : -; not AWS/…)')
    .optional(),
  COGNITO_CAPACITY_METRICS_INTERVAL_MS: z.coerce.number().int().min(10_000).max(3_600_000).default(300_000),
  /** Per region, the SES sending of the silo pools created there: {"<region>": {sourceArn, fromAddress, replyToAddress?, configurationSet?}}. */
  COGNITO_EMAIL: jsonObject(
    z.record(
      z.string().regex(AWS_REGION_PATTERN, 'must be an AWS region'),
      z
        .object({
          sourceArn: z.string().regex(/^arn:aws[\w-]*:ses:[a-z0-9-]+:\d{12}:identity\/.+$/, 'must be an SES identity ARN'),
          fromAddress: z.email(),
          replyToAddress: z.email().optional(),
          configurationSet: z.string().min(1).max(64).optional(),
        })
        .strict(),
    ),
  ).optional(),
  /**
   * PEM certificate (chain) and private key of the public listener: set both and it serves HTTPS only
   * (the ALB → pod hop in AWS); neither: plain HTTP. Checked at boot, re-read while running.
   */
  TLS_CERT_FILE: z.string().min(1).optional(),
  TLS_KEY_FILE: z.string().min(1).optional(),
  /** Prometheus metrics at `/metrics` on this port (its own listener, never the public one); unset: no metrics endpoint. */
  METRICS_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  /** Where the metrics listener binds (defaults to HOST). */
  METRICS_HOST: z.string().optional(),
  /** OTLP/HTTP collector (e.g. http://otel-collector:4318): traces are exported to `<endpoint>/v1/traces`. Unset: tracing off. */
  OTEL_EXPORTER_OTLP_ENDPOINT: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
  OTEL_SERVICE_NAME: z.string().min(1).default('gatehouse-api'),
  /** Swagger UI at /docs and the document at /openapi.json; default on, except with NODE_ENV=production. */
  OPENAPI_DOCS_ENABLED: booleanFromString.optional(),
  /** Cognito: TCP connect timeout, per-attempt response timeout, and the deadline of a whole call (retries included). */
  COGNITO_CONNECT_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(2_000),
  COGNITO_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(3_000),
  COGNITO_DEADLINE_MS: z.coerce.number().int().min(100).max(120_000).default(6_000),
  /** Provisioning: how long a runner's lease lasts without renewal, and how often every replica sweeps for expired ones. */
  PROVISIONING_LEASE_MS: z.coerce.number().int().min(500).max(3_600_000).default(60_000),
  PROVISIONING_SWEEP_INTERVAL_MS: z.coerce.number().int().min(200).max(3_600_000).default(30_000),
  /** Audit events older than this many days are purged (in batches, by one replica at a time). */
  AUDIT_RETENTION_DAYS: z.coerce.number().int().min(1).max(36_500).default(365),
  /** How often each replica tries the purge (only one runs it at a time: a Postgres advisory lock). */
  AUDIT_PURGE_INTERVAL_MS: z.coerce.number().int().min(1_000).max(86_400_000).default(3_600_000),
  /** Rows removed per purge statement; each batch is its own short transaction. */
  AUDIT_PURGE_BATCH_SIZE: z.coerce.number().int().min(1).max(10_000).default(1_000),
  /**
   * Tier moves: how long after cut-over the source stays trusted and in place, so its tokens keep working
   * until they expire. Default one hour (Cognito's default access-token lifetime); raise it when tenants' clients issue longer ones.
   */
  TIER_MOVE_SOURCE_GRACE_MS: z.coerce.number().int().min(0).max(7 * 86_400_000).default(3_600_000),
  /**
   * Keys sealing sign-in challenge handles: `<id>:<base64 of 32 bytes>`, comma-separated; the first seals,
   * all open (rotation). Required in AWS mode; generated per process in local mode when unset.
   */
  CHALLENGE_HANDLE_KEYS: z.string().optional(),
  /**
   * Webhook retries: the wait before each retry, in ms, comma-separated; a delivery that fails them all is `failed`.
   * The default waits 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h: retries span about 27.6 h.
   */
  WEBHOOK_RETRY_SCHEDULE_MS: z
    .string()
    .regex(/^\d{1,10}(,\d{1,10}){0,19}$/, 'must be up to 20 comma-separated millisecond delays')
    .default('5000,300000,1800000,7200000,18000000,36000000,36000000')
    .transform((text) => text.split(',').map(Number)),
  /** An endpoint whose attempts have all failed for this long is disabled (with an event and an audit entry). */
  WEBHOOK_DISABLE_AFTER_MS: z.coerce.number().int().min(1000).max(30 * 86_400_000).default(5 * 86_400_000),
  /** Per-attempt deadline of a webhook request (connect, send, answer). */
  WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(10_000),
  /** Whether this replica runs the webhook worker (relay + delivery). Every replica may; test APIs opt in. */
  WEBHOOK_DELIVERY_ENABLED: booleanFromString.default(true),
  /** Endpoints one replica delivers to at the same time. */
  WEBHOOK_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(8),
  /** How often each replica relays the outbox and looks for due deliveries. */
  WEBHOOK_POLL_INTERVAL_MS: z.coerce.number().int().min(50).max(60_000).default(1000),
  /** How long a replica holds an endpoint (its queue) without renewing; a crashed replica's endpoints are free again after it. */
  WEBHOOK_LEASE_MS: z.coerce.number().int().min(1000).max(3_600_000).default(60_000),
  /**
   * The Standard Webhooks secret (`whsec_...`) the Cognito trigger Lambda signs its reports with
   * (POST /internal/cognito-events). Unset: that route refuses everything.
   */
  COGNITO_EVENTS_SECRET: z.string().regex(/^whsec_[A-Za-z0-9+/]{32,88}={0,2}$/, 'must be a whsec_ secret').optional(),
  /**
   * The tier-move token exchange key (base64 of 32 bytes): the API's answers to the custom auth challenge are
   * HMACs under it, checked by the verify-auth-challenge-response Lambda (same value as its
   * `GATEHOUSE_TOKEN_EXCHANGE_KEY`). Required in AWS mode; generated per process in local mode when unset.
   */
  COGNITO_TOKEN_EXCHANGE_KEY: z.string().optional(),
});

export const CONFIG_ENV_KEYS = Object.keys(envSchema.shape) as readonly (keyof typeof envSchema.shape)[];

export type Env = z.infer<typeof envSchema>;

export interface SharedPool {
  readonly key: string;
  readonly userPoolId: string;
  /** The public client (no secret). */
  readonly clientId: string | undefined;
  /** The confidential client Gatehouse's own flows use. */
  readonly gatehouseClientId: string | undefined;
  readonly region: string;
  readonly issuer: string;
}

/** A key sealing challenge handles (AES-256-GCM); its id travels in the handle so rotated keys still open. */
export interface ChallengeHandleKey {
  readonly id: string;
  readonly key: Buffer;
}

export interface AppConfig {
  readonly env: Env;
  /** The first seals new handles; every one opens handles sealed with it. */
  readonly challengeHandleKeys: readonly ChallengeHandleKey[];
  readonly isLocal: boolean;
  readonly tiers: TierConfiguration;
  readonly sharedPools: ReadonlyMap<string, SharedPool>;
  /** Swagger UI and the OpenAPI document are served. */
  readonly openApiDocs: boolean;
  /** Lambda triggers for the pools the API creates in AWS_REGION; undefined in local mode only. */
  readonly cognitoTriggers: CognitoTriggerArns | undefined;
  /** The trigger functions per region (silo pools get their region's); empty in local mode. */
  readonly cognitoTriggersByRegion: ReadonlyMap<string, CognitoTriggerArns>;
  /** The tier-move token exchange key (32 bytes; see `COGNITO_TOKEN_EXCHANGE_KEY`). */
  readonly tokenExchangeKey: Buffer;
  /** The public listener's certificate and key (HTTPS), as read at boot; undefined: plain HTTP. */
  readonly tls: (TlsFiles & TlsMaterial) | undefined;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Cognito's issuer for a pool: AWS's public one, or the emulator's in local mode. */
export function cognitoIssuer(env: Pick<Env, 'GATEHOUSE_MODE' | 'COGNITO_ENDPOINT'>, region: string, userPoolId: string): string {
  if (env.GATEHOUSE_MODE === 'local') {
    return `${(env.COGNITO_ENDPOINT ?? '').replace(/\/+$/, '')}/${userPoolId}`;
  }
  return `https://cognito-idp.${region}.amazonaws.com/${userPoolId}`;
}

/** Where silo tenants' pools may be created: SILO_REGIONS, or the deployment's own region. */
export function allowedSiloRegions(env: Pick<Env, 'SILO_REGIONS' | 'AWS_REGION'>): readonly string[] {
  return env.SILO_REGIONS ?? [env.AWS_REGION];
}

/** Validates the environment; throws {@link ConfigError} listing every problem. */
export function loadConfig(source: Record<string, string | undefined>): AppConfig {
  const result = envSchema.safeParse(source);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `  - ${issue.path.join('.') || '(environment)'}: ${issue.message}`);
    throw new ConfigError(`invalid configuration:\n${problems.join('\n')}`);
  }
  const env = result.data;
  const problems: string[] = [];

  if (env.NODE_ENV === 'production' && env.GATEHOUSE_MODE === 'local') {
    problems.push('GATEHOUSE_MODE=local trusts the Cognito emulator and is refused when NODE_ENV=production');
  }
  if (env.GATEHOUSE_MODE === 'local' && !env.COGNITO_ENDPOINT) {
    problems.push('COGNITO_ENDPOINT is required when GATEHOUSE_MODE=local');
  }
  if (env.GATEHOUSE_MODE === 'aws' && !env.GATEHOUSE_COGNITO_TRIGGERS) {
    // Without the pre sign-up trigger a silo pool would accept sign-ups that bypass Gatehouse.
    problems.push('GATEHOUSE_COGNITO_TRIGGERS is required when GATEHOUSE_MODE=aws (the Lambda ARNs from pulumi up)');
  }
  if (env.GATEHOUSE_MODE === 'aws' && env.COGNITO_ENDPOINT) {
    problems.push('COGNITO_ENDPOINT is for the local emulator; leave it unset when GATEHOUSE_MODE=aws');
  }
  const cognitoTriggersByRegion = triggersByRegion(env.GATEHOUSE_COGNITO_TRIGGERS, problems);
  if (env.GATEHOUSE_MODE === 'aws' && env.GATEHOUSE_COGNITO_TRIGGERS) {
    // A silo pool without the pre sign-up trigger would accept sign-ups that bypass Gatehouse: refuse to start.
    const missing = allowedSiloRegions(env).filter((region) => !cognitoTriggersByRegion.has(region));
    if (missing.length > 0) {
      problems.push(`GATEHOUSE_COGNITO_TRIGGERS has no trigger functions in ${missing.join(', ')} (SILO_REGIONS): Cognito calls triggers in the pool's own region`);
    }
  }
  if (env.COGNITO_CAPACITY_METRICS_NAMESPACE && env.GATEHOUSE_MODE !== 'aws') {
    problems.push('COGNITO_CAPACITY_METRICS_NAMESPACE publishes to CloudWatch: set it only when GATEHOUSE_MODE=aws');
  }
  let tls: (TlsFiles & TlsMaterial) | undefined;
  if ((env.TLS_CERT_FILE === undefined) !== (env.TLS_KEY_FILE === undefined)) {
    problems.push('TLS_CERT_FILE and TLS_KEY_FILE go together: set both (HTTPS) or neither (HTTP)');
  } else if (env.TLS_CERT_FILE && env.TLS_KEY_FILE) {
    const files = { certFile: env.TLS_CERT_FILE, keyFile: env.TLS_KEY_FILE };
    try {
      tls = { ...files, ...loadTlsMaterial(files) };
    } catch (error) {
      problems.push(`TLS_CERT_FILE/TLS_KEY_FILE: ${error instanceof Error ? error.message.replace(/^ENOENT: /, '') : String(error)}`);
    }
  }
  if (env.TRUST_PROXY) {
    problems.push('TRUST_PROXY=true trusts every peer\'s X-Forwarded-For; list the proxies in TRUSTED_PROXY_CIDRS instead');
  }
  if (env.NODE_ENV === 'production') {
    for (const origin of env.CORS_ALLOWED_ORIGINS) {
      if (origin.startsWith('http:')) problems.push(`CORS_ALLOWED_ORIGINS: "${origin}" is plain http; refused when NODE_ENV=production`);
    }
  }
  if (env.METRICS_PORT !== undefined && env.METRICS_PORT !== 0 && env.METRICS_PORT === env.PORT) {
    problems.push('METRICS_PORT must differ from PORT: metrics are never served on the public listener');
  }
  if (env.NODE_ENV === 'production') {
    for (const key of ['DATABASE_URL', 'DATABASE_PRIVILEGED_URL'] as const) {
      if (/-local@|changeme|placeholder/i.test(env[key])) {
        problems.push(`${key} uses a placeholder or local password; refused when NODE_ENV=production`);
      }
    }
  }

  const challengeHandleKeys = parseChallengeHandleKeys(env, problems);
  const tokenExchangeKey = parseTokenExchangeKey(env, problems);

  let tiers: TierConfiguration | undefined;
  try {
    tiers = env.GATEHOUSE_TIERS ? parseTierConfigurationJson(env.GATEHOUSE_TIERS) : loadTierConfigurationFile();
  } catch (error) {
    if (!(error instanceof TierConfigurationError)) throw error;
    problems.push(`GATEHOUSE_TIERS: ${error.message}`);
  }

  const sharedPools = new Map<string, SharedPool>();
  if (tiers) {
    const expected = [...sharedPoolTiers(tiers).map((tier) => tier.name), OPERATORS_POOL_KEY];
    for (const key of expected) {
      if (!env.GATEHOUSE_SHARED_POOLS[key]) problems.push(`GATEHOUSE_SHARED_POOLS: no pool for "${key}"`);
    }
    for (const [key, pool] of Object.entries(env.GATEHOUSE_SHARED_POOLS)) {
      if (!expected.includes(key)) {
        problems.push(`GATEHOUSE_SHARED_POOLS: "${key}" is not a pooled or bridged tier nor "operators"`);
        continue;
      }
      const tier = tiers.tiers.find((candidate) => candidate.name === key);
      if ((key === OPERATORS_POOL_KEY || tier?.model === 'pool') && !pool.clientId) {
        problems.push(`GATEHOUSE_SHARED_POOLS: "${key}" needs its shared clientId`);
      }
      // The operators' pool too: the public client cannot use password sign-in, the Gatehouse client can.
      if ((key === OPERATORS_POOL_KEY || tier?.model === 'pool') && !pool.gatehouseClientId) {
        problems.push(`GATEHOUSE_SHARED_POOLS: "${key}" needs its shared gatehouseClientId`);
      }
      const region = pool.region ?? env.AWS_REGION;
      sharedPools.set(key, {
        key,
        userPoolId: pool.userPoolId,
        clientId: pool.clientId,
        gatehouseClientId: pool.gatehouseClientId,
        region,
        issuer: cognitoIssuer(env, region, pool.userPoolId),
      });
    }
  }

  if (problems.length > 0 || !tiers) {
    throw new ConfigError(`invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
  }
  return {
    env,
    isLocal: env.GATEHOUSE_MODE === 'local',
    tiers,
    sharedPools,
    challengeHandleKeys,
    openApiDocs: env.OPENAPI_DOCS_ENABLED ?? env.NODE_ENV !== 'production',
    cognitoTriggers: cognitoTriggersByRegion.get(env.AWS_REGION),
    cognitoTriggersByRegion,
    tokenExchangeKey,
    tls,
  };
}

function parseTokenExchangeKey(env: Env, problems: string[]): Buffer {
  const text = env.COGNITO_TOKEN_EXCHANGE_KEY?.trim();
  if (!text) {
    // AWS: the key must be the Lambda's, or every exchange would fail; refuse to start rather than run half-configured.
    if (env.GATEHOUSE_MODE === 'aws') problems.push('COGNITO_TOKEN_EXCHANGE_KEY is required when GATEHOUSE_MODE=aws (base64 of 32 random bytes, from pulumi up)');
    // Local mode: the emulator has no custom auth, so nothing checks the key; one per process.
    return randomBytes(32);
  }
  const key = /^[A-Za-z0-9+/]{43}=$/.test(text) ? Buffer.from(text, 'base64') : undefined;
  if (!key || key.length !== 32) {
    problems.push('COGNITO_TOKEN_EXCHANGE_KEY must be the base64 of exactly 32 bytes (openssl rand -base64 32)');
    return randomBytes(32);
  }
  return key;
}

function parseChallengeHandleKeys(env: Env, problems: string[]): ChallengeHandleKey[] {
  const text = env.CHALLENGE_HANDLE_KEYS?.trim();
  if (!text) {
    if (env.GATEHOUSE_MODE === 'aws') {
      problems.push('CHALLENGE_HANDLE_KEYS is required when GATEHOUSE_MODE=aws (e.g. "k1:" + 32 random bytes in base64)');
      return [];
    }
    // Local mode: one key for this process; handles do not outlive it.
    return [{ id: 'local', key: randomBytes(32) }];
  }
  const keys: ChallengeHandleKey[] = [];
  for (const [index, entry] of text.split(',').entries()) {
    const match = /^([A-Za-z0-9_-]{1,16}):([A-Za-z0-9+/=_-]+)$/.exec(entry.trim());
    const key = match ? Buffer.from(match[2]!, 'base64') : undefined;
    if (!match || !key || key.length !== 32) {
      problems.push(`CHALLENGE_HANDLE_KEYS: entry ${index + 1} must be <id>:<base64 of exactly 32 bytes>`);
      continue;
    }
    if (keys.some((existing) => existing.id === match[1])) problems.push(`CHALLENGE_HANDLE_KEYS: key id "${match[1]}" appears twice`);
    keys.push({ id: match[1]!, key });
  }
  return keys;
}
