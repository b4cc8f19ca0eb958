/**
 * Every setting the API reads, validated once at boot into a typed object.
 * `loadConfig(env)` is pure so tests can build configurations without touching
 * the process environment; `CONFIG_ENV_KEYS` is the list the Kubernetes
 * manifests and the compose file are checked against.
 */
import { isIP } from 'node:net';
import { z } from 'zod';
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

const cognitoTriggersSchema = z
  .object({ preSignUp: arn('lambda'), preTokenGeneration: arn('lambda') })
  .strict();

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
  /** `acme.<PUBLIC_BASE_DOMAIN>` is a route hint for tenant `acme`. */
  PUBLIC_BASE_DOMAIN: z.string().optional(),
  TRUST_PROXY: booleanFromString.default(false),
  /**
   * The load balancer's address ranges, comma-separated: X-Forwarded-For is believed only from
   * these (infra passes the ALB's subnets). Declared here for the infra ConfigMap check; its
   * parsing and use come with the trusted-proxy work (ops-observability branch), which replaces
   * this line on merge.
   */
  TRUSTED_PROXY_CIDRS: z.string().optional(),
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

export interface AppConfig {
  readonly env: Env;
  readonly isLocal: boolean;
  readonly tiers: TierConfiguration;
  readonly sharedPools: ReadonlyMap<string, SharedPool>;
  /** Lambda triggers for the pools the API creates; undefined in local mode only. */
  readonly cognitoTriggers: CognitoTriggerArns | undefined;
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
  if (env.NODE_ENV === 'production') {
    for (const key of ['DATABASE_URL', 'DATABASE_PRIVILEGED_URL'] as const) {
      if (/-local@|changeme|placeholder/i.test(env[key])) {
        problems.push(`${key} uses a placeholder or local password; refused when NODE_ENV=production`);
      }
    }
  }

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
  return { env, isLocal: env.GATEHOUSE_MODE === 'local', tiers, sharedPools, cognitoTriggers: env.GATEHOUSE_COGNITO_TRIGGERS };
}
