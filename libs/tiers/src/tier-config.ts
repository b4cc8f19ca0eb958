/**
 * The tier configuration: which tiers exist, which isolation model each uses,
 * and the Cognito settings of their user pools.
 *
 * This is the single module that both the Pulumi program (`infra/`) and the
 * API's local stack read, so the pools created in AWS and the pools created in
 * the emulator come from one description. Tier names and the tier → model map
 * are configuration, not code: `config/tiers.json` holds the default, a stack
 * or the environment can replace it, and this module validates it.
 */
import { z } from 'zod';

export const ISOLATION_MODELS = ['silo', 'pool', 'bridge'] as const;
export type IsolationModel = (typeof ISOLATION_MODELS)[number];

export const MFA_SETTINGS = ['OFF', 'OPTIONAL', 'ON'] as const;
export type MfaSetting = (typeof MFA_SETTINGS)[number];

export const THREAT_PROTECTION_MODES = ['OFF', 'AUDIT', 'ENFORCED'] as const;
export type ThreatProtectionMode = (typeof THREAT_PROTECTION_MODES)[number];

const passwordPolicySchema = z
  .object({
    minimumLength: z.number().int().min(8).max(99).default(10),
    requireLowercase: z.boolean().default(true),
    requireUppercase: z.boolean().default(true),
    requireNumbers: z.boolean().default(true),
    requireSymbols: z.boolean().default(false),
    temporaryPasswordValidityDays: z.number().int().min(1).max(365).default(7),
  })
  .strict();
export type PasswordPolicy = z.infer<typeof passwordPolicySchema>;

const tokenValiditySchema = z
  .object({
    accessTokenMinutes: z.number().int().min(5).max(1440).default(60),
    idTokenMinutes: z.number().int().min(5).max(1440).default(60),
    refreshTokenDays: z.number().int().min(1).max(3650).default(30),
  })
  .strict();
export type TokenValidity = z.infer<typeof tokenValiditySchema>;

/** Cognito user pool names allow letters, digits, space and `+=,.@-`; we keep to a safe subset. */
const tierNameSchema = z
  .string()
  .regex(/^[a-z][a-z0-9-]{1,30}$/, 'a tier name is 2-31 lower-case letters, digits or dashes, starting with a letter');

const tierSchema = z
  .object({
    name: tierNameSchema,
    model: z.enum(ISOLATION_MODELS, {
      error: (issue) =>
        `unknown isolation model ${JSON.stringify(issue.input)}: expected one of ${ISOLATION_MODELS.join(', ')}`,
    }),
    mfa: z.enum(MFA_SETTINGS).default('OPTIONAL'),
    threatProtection: z.enum(THREAT_PROTECTION_MODES).default('OFF'),
    /**
     * Whether users may register themselves (through Gatehouse's sign-up) in
     * this tier's pools; Cognito's `AllowAdminCreateUserOnly` is its negation.
     * Off means invitations only. The operators' pool never allows it.
     */
    selfSignUp: z.boolean().default(true),
    passwordPolicy: passwordPolicySchema.prefault({}),
    tokenValidity: tokenValiditySchema.prefault({}),
  })
  .strict();
export type TierConfig = z.infer<typeof tierSchema>;

const operatorsSchema = z
  .object({
    mfa: z.enum(MFA_SETTINGS).default('ON'),
    threatProtection: z.enum(THREAT_PROTECTION_MODES).default('OFF'),
    passwordPolicy: passwordPolicySchema.prefault({ minimumLength: 14 }),
    tokenValidity: tokenValiditySchema.prefault({ accessTokenMinutes: 15, refreshTokenDays: 1 }),
  })
  .strict();
export type OperatorsPoolConfig = z.infer<typeof operatorsSchema>;

export const tierConfigurationSchema = z
  .object({
    tiers: z.array(tierSchema).min(1, 'at least one tier is required'),
    operators: operatorsSchema.prefault({}),
  })
  .strict()
  .superRefine((config, ctx) => {
    const seen = new Set<string>();
    for (const [index, tier] of config.tiers.entries()) {
      if (seen.has(tier.name)) {
        ctx.addIssue({ code: 'custom', path: ['tiers', index, 'name'], message: `duplicate tier name "${tier.name}"` });
      }
      seen.add(tier.name);
      if (tier.name === OPERATORS_POOL_KEY) {
        ctx.addIssue({
          code: 'custom',
          path: ['tiers', index, 'name'],
          message: `"${OPERATORS_POOL_KEY}" is reserved for the operators' pool`,
        });
      }
    }
  });
export type TierConfiguration = z.infer<typeof tierConfigurationSchema>;

/** Key of the operators' pool among the shared pools; reserved as a tier name. */
export const OPERATORS_POOL_KEY = 'operators';

export class TierConfigurationError extends Error {
  override readonly name = 'TierConfigurationError';
}

/**
 * Validates a tier configuration (already parsed from JSON or a stack config)
 * and fills in defaults. Throws {@link TierConfigurationError} with every
 * problem on its own line, so `pulumi up` and the API's boot both fail with a
 * message a person can act on.
 */
export function parseTierConfiguration(raw: unknown): TierConfiguration {
  const result = tierConfigurationSchema.safeParse(raw);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const where = issue.path.length > 0 ? issue.path.join('.') : '(root)';
      return `  - ${where}: ${issue.message}`;
    });
    throw new TierConfigurationError(`invalid tier configuration:\n${problems.join('\n')}`);
  }
  return result.data;
}

/** Parses a JSON document (e.g. `config/tiers.json` or an env var) into a validated configuration. */
export function parseTierConfigurationJson(json: string): TierConfiguration {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (error) {
    throw new TierConfigurationError(`tier configuration is not valid JSON: ${(error as Error).message}`);
  }
  return parseTierConfiguration(raw);
}

export function findTier(config: TierConfiguration, name: string): TierConfig | undefined {
  return config.tiers.find((tier) => tier.name === name);
}

/** Tiers whose tenants share one pool (pool and bridge models); silo tiers get a pool per tenant instead. */
export function sharedPoolTiers(config: TierConfiguration): TierConfig[] {
  return config.tiers.filter((tier) => tier.model !== 'silo');
}
