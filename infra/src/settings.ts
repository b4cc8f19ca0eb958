/**
 * Stack settings: what differs between environments, and the validated stack
 * configuration. Plain functions with no Pulumi resources, so `pulumi up`
 * fails before creating anything when a value is wrong, and unit tests can
 * exercise every rule directly.
 */
import {
  type TierConfiguration,
  TierConfigurationError,
  loadTierConfigurationFile,
  parseTierConfiguration,
} from '@gatehouse/tiers';
import { z } from 'zod';
import { DEFAULT_KUBERNETES_VERSION, supportPhase } from './eks-support.js';

export class StackConfigurationError extends Error {
  override readonly name = 'StackConfigurationError';
}

export type EnvironmentKind = 'dev' | 'prod';

/** What a stack's environment decides by default; the stack configuration can size things, not weaken these. */
export interface EnvironmentSettings {
  readonly stack: string;
  readonly kind: EnvironmentKind;
  readonly isProduction: boolean;
  /** Cognito pools, RDS and the EKS cluster refuse deletion. Always on for shared pools in AWS (see below). */
  readonly deletionProtection: boolean;
  readonly databaseMultiAz: boolean;
  readonly databaseBackupRetentionDays: number;
  readonly skipFinalDatabaseSnapshot: boolean;
  /** One NAT gateway for the VPC (cheap), or one per AZ (an AZ outage does not cut egress). */
  readonly natGateways: 'single' | 'perAz';
  readonly availabilityZoneCount: number;
  readonly logLevel: 'debug' | 'info';
  /** CloudWatch retention of container, control-plane and flow logs. */
  readonly logRetentionDays: number;
}

const STACK_NAME = /^(dev|prod)(-[a-z0-9][a-z0-9-]*)?$/;

/**
 * Maps a stack name to its environment. Stacks are `dev`, `prod`, or either
 * with a suffix (`dev-alice`, `prod-eu`). Anything else is refused rather than
 * guessed, so a typo like `production` never yields a stack without deletion
 * protection.
 */
export function resolveEnvironmentSettings(stack: string): EnvironmentSettings {
  const match = STACK_NAME.exec(stack);
  if (!match) {
    throw new StackConfigurationError(
      `unknown stack name "${stack}": expected "dev", "prod", or one of them with a suffix such as "dev-alice" or "prod-eu"`,
    );
  }
  const kind = match[1] as EnvironmentKind;
  const isProduction = kind === 'prod';
  return {
    stack,
    kind,
    isProduction,
    deletionProtection: isProduction,
    databaseMultiAz: isProduction,
    databaseBackupRetentionDays: isProduction ? 14 : 3,
    skipFinalDatabaseSnapshot: !isProduction,
    natGateways: isProduction ? 'perAz' : 'single',
    availabilityZoneCount: isProduction ? 3 : 2,
    logLevel: isProduction ? 'info' : 'debug',
    logRetentionDays: isProduction ? 365 : 30,
  };
}

const hostname = z
  .string()
  .regex(/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, 'must be a lower-case DNS name');

const cidr = z.string().regex(/^(\d{1,3}\.){3}\d{1,3}\/\d{1,2}$/, 'must be an IPv4 CIDR block such as 10.20.0.0/16');

export const nodeGroupSchema = z
  .object({
    instanceTypes: z.array(z.string()).min(1).default(['t3.medium']),
    minSize: z.number().int().default(2),
    desiredSize: z.number().int().default(2),
    maxSize: z.number().int().default(4),
    diskSizeGb: z.number().int().default(50),
  })
  .strict();
export type NodeGroupSizing = z.infer<typeof nodeGroupSchema>;

const databaseSchema = z
  .object({
    instanceClass: z.string().regex(/^db\.[a-z0-9]+\.[a-z0-9]+$/, 'must be an RDS instance class such as db.t4g.micro'),
    engineVersion: z.string().regex(/^16(\.\d+)?$/, 'Gatehouse targets PostgreSQL 16').default('16'),
    allocatedStorageGb: z.number().int().min(20).max(65_536).default(20),
    maxAllocatedStorageGb: z.number().int().min(20).max(65_536).optional(),
    databaseName: z.string().regex(/^[a-z][a-z0-9_]{0,62}$/).default('gatehouse'),
    /** Bump to rotate the Gatehouse roles' passwords on the next update (see infra/README.md). */
    credentialsVersion: z.number().int().min(1).default(1),
  })
  .strict();

const apiSchema = z
  .object({
    minReplicas: z.number().int().min(1).max(100).default(2),
    maxReplicas: z.number().int().min(1).max(100).default(6),
    cpuRequest: z.string().default('250m'),
    cpuLimit: z.string().default('1'),
    memoryRequest: z.string().default('256Mi'),
    memoryLimit: z.string().default('512Mi'),
    tokenClockSkewSeconds: z.number().int().min(0).max(300).default(30),
    /** Browser origins (besides tenants' own hosts) whose pages may call the API: `https://host[:port]`, no path, never `*`. */
    corsAllowedOrigins: z
      .array(z.string().regex(/^https:\/\/[a-z0-9.-]+(:\d{1,5})?$/, 'must be an https origin such as https://app.example.com (no path, no wildcard)'))
      .default([]),
    /** After a tier move's cut-over, how long the source stays trusted: the longest access-token lifetime your clients use. */
    tierMoveSourceGraceMs: z.number().int().min(0).max(7 * 86_400_000).default(3_600_000),
    /** How long audit events are kept before the purge removes them. */
    auditRetentionDays: z.number().int().min(1).max(36_500).default(365),
    /** Ids of the challenge handle keys, newest first (the first seals, all open); rotation in infra/README.md. */
    challengeHandleKeyIds: z
      .array(z.string().regex(/^[a-z0-9]{1,16}$/, 'must be 1-16 lower-case letters or digits'))
      .min(1)
      .refine((ids) => new Set(ids).size === ids.length, 'must not repeat an id')
      .default(['k1']),
  })
  .strict()
  .refine((api) => api.minReplicas <= api.maxReplicas, 'api.minReplicas must not exceed api.maxReplicas');

const ingressSchema = z
  .object({
    /** ACM certificate for the API host, used by the ALB's HTTPS listener. Required in production. */
    certificateArn: z.string().regex(/^arn:aws:acm:/, 'must be an ACM certificate ARN').optional(),
    /** Requests per client address per 5 minutes before the WAF blocks it (AWS WAF rate-based rule). */
    wafRateLimitPer5Minutes: z.number().int().min(100).max(2_000_000_000).default(2000),
  })
  .strict();

const emailSchema = z
  .object({
    /** The SES sending domain (DKIM records go in its zone), e.g. mail.gatehouse.example.com. Required in production. */
    domain: hostname,
    fromLocalPart: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'a lower-case local part such as no-reply').default('no-reply'),
    replyToAddress: z.email().optional(),
    /** Switch the pools to SES once the identity is verified (Cognito refuses an unverified one). */
    useSes: z.boolean().default(false),
  })
  .strict();
export type EmailSettings = z.infer<typeof emailSchema>;

const alarmsSchema = z
  .object({
    /** Where CloudWatch alarms notify (an SNS subscription is created; the address must confirm it). */
    email: z.email().optional(),
  })
  .strict();

const hostedUiSchema = z
  .object({
    callbackUrls: z.array(z.url({ protocol: /^https?$/ })).min(1),
    logoutUrls: z.array(z.url({ protocol: /^https?$/ })).default([]),
  })
  .strict();
export type HostedUiSettings = z.infer<typeof hostedUiSchema>;

/** The `gatehouse:*` stack configuration keys, before environment defaults. */
export const stackConfigSchema = z
  .object({
    tiers: z.unknown().optional(),
    deployment: z
      .string()
      .regex(/^[a-z][a-z0-9-]{2,30}$/, 'a deployment name is 3-31 lower-case letters, digits or dashes')
      .optional(),
    publicBaseDomain: hostname,
    apiHost: hostname.optional(),
    apiImage: z.string().regex(/^[a-z0-9.\-/:]+$/, 'must be an image repository without a tag'),
    /** The image's manifest digest (`sha256:…`): pods run exactly this image whatever the tag later points at. */
    apiImageDigest: z.string().regex(/^sha256:[a-f0-9]{64}$/, 'must be an image digest such as sha256:<64 hex digits>'),
    apiImageTag: z
      .string()
      .regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/, 'must be a Docker image tag')
      .refine((tag) => tag !== 'latest', 'use an immutable tag, not "latest": the migration job is named after it'),
    kubernetesVersion: z.string().regex(/^1\.\d+$/).default(DEFAULT_KUBERNETES_VERSION),
    vpcCidr: cidr.default('10.20.0.0/16'),
    availabilityZoneCount: z.number().int().optional(),
    clusterPublicAccessCidrs: z.array(cidr).min(1).default(['0.0.0.0/0']),
    cognitoDomainPrefix: z
      .string()
      .regex(/^[a-z0-9](?:[a-z0-9-]{0,40}[a-z0-9])?$/, 'lower-case letters, digits and dashes')
      .refine((prefix) => !/aws|amazon|cognito/.test(prefix), 'Cognito domains may not contain aws, amazon or cognito')
      .optional(),
    hostedUi: hostedUiSchema.optional(),
    /** Regions (besides the stack's) where silo tenants' pools may be created. */
    siloRegions: z.array(z.string().regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, 'must be an AWS region')).default([]),
    nodeGroup: nodeGroupSchema.prefault({}),
    database: databaseSchema,
    api: apiSchema.prefault({}),
    ingress: ingressSchema.prefault({}),
    alarms: alarmsSchema.prefault({}),
    email: emailSchema.optional(),
  })
  .strict();
export type RawStackConfig = z.input<typeof stackConfigSchema>;

export interface StackSettings {
  readonly environment: EnvironmentSettings;
  /** Prefix of every cloud resource name, e.g. `gatehouse-prod`. Also the tiers' `deployment`. */
  readonly deployment: string;
  readonly tiers: TierConfiguration;
  readonly publicBaseDomain: string;
  readonly apiHost: string;
  readonly apiImage: string;
  readonly apiImageTag: string;
  readonly apiImageDigest: string;
  readonly kubernetesVersion: string;
  readonly vpcCidr: string;
  readonly availabilityZoneCount: number;
  readonly clusterPublicAccessCidrs: readonly string[];
  readonly cognitoDomainPrefix: string;
  readonly hostedUi: HostedUiSettings | undefined;
  readonly siloRegions: readonly string[];
  readonly nodeGroup: NodeGroupSizing;
  readonly database: z.infer<typeof databaseSchema> & {
    readonly multiAz: boolean;
    readonly deletionProtection: boolean;
    readonly backupRetentionDays: number;
    readonly skipFinalSnapshot: boolean;
  };
  readonly api: z.infer<typeof apiSchema>;
  readonly ingress: z.infer<typeof ingressSchema>;
  readonly alarms: z.infer<typeof alarmsSchema>;
  readonly email: EmailSettings | undefined;
}

function formatIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => `  - gatehouse:${issue.path.length > 0 ? issue.path.join('.') : '(root)'}: ${issue.message}`)
    .join('\n');
}

/**
 * Validates the stack configuration and combines it with the environment's
 * defaults. `loadDefaultTiers` is only called when `gatehouse:tiers` is absent.
 */
export function resolveStackSettings(
  stack: string,
  raw: Record<string, unknown>,
  loadDefaultTiers: () => TierConfiguration = () => loadTierConfigurationFile(),
  now: Date = new Date(),
): StackSettings {
  const environment = resolveEnvironmentSettings(stack);
  const defined = Object.fromEntries(Object.entries(raw).filter(([, value]) => value !== undefined));
  const parsed = stackConfigSchema.safeParse(defined);
  if (!parsed.success) {
    throw new StackConfigurationError(`invalid stack configuration for "${stack}":\n${formatIssues(parsed.error)}`);
  }
  const config = parsed.data;

  let tiers: TierConfiguration;
  try {
    tiers = config.tiers === undefined ? loadDefaultTiers() : parseTierConfiguration(config.tiers);
  } catch (error) {
    if (error instanceof TierConfigurationError) {
      throw new StackConfigurationError(`gatehouse:tiers is invalid (${error.message})`);
    }
    throw error;
  }

  if (environment.isProduction && config.ingress.certificateArn === undefined) {
    throw new StackConfigurationError(
      `invalid stack configuration for "${stack}":\n  - gatehouse:ingress.certificateArn: required in production (the API serves tokens; it is never exposed over plain HTTP)`,
    );
  }

  if (environment.isProduction && config.email === undefined) {
    throw new StackConfigurationError(
      `invalid stack configuration for "${stack}":\n  - gatehouse:email.domain: required in production (Cognito's default sender allows 50 e-mails a day for every tenant together)`,
    );
  }

  // Extended support costs six times the control plane price and ends in a forced upgrade:
  // a stack states a version EKS supports as standard today, or pulumi up refuses it.
  const phase = supportPhase(config.kubernetesVersion, now);
  if (phase !== 'standard') {
    throw new StackConfigurationError(
      `invalid stack configuration for "${stack}":\n  - gatehouse:kubernetesVersion: ${config.kubernetesVersion} is ${
        phase === 'unknown' ? 'not in the EKS support calendar (src/eks-support.ts)' : `in EKS ${phase} support on ${now.toISOString().slice(0, 10)}`
      }; use a version in standard support such as ${DEFAULT_KUBERNETES_VERSION}`,
    );
  }

  const deployment = config.deployment ?? `gatehouse-${stack}`;
  const maxAllocated = config.database.maxAllocatedStorageGb;
  if (maxAllocated !== undefined && maxAllocated < config.database.allocatedStorageGb) {
    throw new StackConfigurationError(
      `invalid stack configuration for "${stack}":\n  - gatehouse:database.maxAllocatedStorageGb: must be at least allocatedStorageGb`,
    );
  }

  return {
    environment,
    deployment,
    tiers,
    publicBaseDomain: config.publicBaseDomain,
    apiHost: config.apiHost ?? `api.${config.publicBaseDomain}`,
    apiImage: config.apiImage,
    apiImageTag: config.apiImageTag,
    apiImageDigest: config.apiImageDigest,
    kubernetesVersion: config.kubernetesVersion,
    vpcCidr: config.vpcCidr,
    availabilityZoneCount: config.availabilityZoneCount ?? environment.availabilityZoneCount,
    clusterPublicAccessCidrs: config.clusterPublicAccessCidrs,
    cognitoDomainPrefix: config.cognitoDomainPrefix ?? deployment,
    hostedUi: config.hostedUi,
    siloRegions: config.siloRegions,
    nodeGroup: config.nodeGroup,
    database: {
      ...config.database,
      multiAz: environment.databaseMultiAz,
      deletionProtection: environment.deletionProtection,
      backupRetentionDays: environment.databaseBackupRetentionDays,
      skipFinalSnapshot: environment.skipFinalDatabaseSnapshot,
    },
    api: config.api,
    ingress: config.ingress,
    alarms: config.alarms,
    email: config.email,
  };
}

/** Config keys the program reads as objects (JSON/YAML structures); the rest are strings or numbers. */
export const OBJECT_CONFIG_KEYS = [
  'tiers',
  'clusterPublicAccessCidrs',
  'hostedUi',
  'siloRegions',
  'nodeGroup',
  'database',
  'api',
  'ingress',
  'alarms',
  'email',
] as const;
export const STRING_CONFIG_KEYS = [
  'deployment',
  'publicBaseDomain',
  'apiHost',
  'apiImage',
  'apiImageTag',
  'apiImageDigest',
  'kubernetesVersion',
  'vpcCidr',
  'cognitoDomainPrefix',
] as const;
export const NUMBER_CONFIG_KEYS = ['availabilityZoneCount'] as const;
