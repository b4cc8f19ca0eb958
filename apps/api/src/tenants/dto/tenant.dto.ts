/**
 * Operators' tenant API: request and response shapes. One zod schema gives
 * the runtime check (400 `validation_failed`) and the OpenAPI document.
 */
import { MFA_POLICIES, TENANT_ROLES } from '@gatehouse/tiers';
import { z } from 'zod';
import { tierMoveSchema } from '../tier-move/tier-move.dto.js';

/** Same rule as the `tenants_slug_format` check constraint. */
export const slugSchema = z
  .string()
  .regex(/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/, 'lower-case letters, digits and inner dashes, at most 63 characters');

const hostSchema = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$/, 'must be a host name like acme.app.example');
const domainSchema = hostSchema.describe('an e-mail domain like acme.com');
const emailSchema = z.string().trim().toLowerCase().pipe(z.email({ error: 'must be an e-mail address' })).pipe(z.string().max(254));

const unique = <T extends z.ZodType<string>>(item: T, max: number) =>
  z
    .array(item)
    .max(max, `at most ${max} entries`)
    .refine((list) => new Set(list).size === list.length, 'entries must be unique');

export const passwordPolicyOverrideSchema = z
  .object({
    minimumLength: z.number().int().min(8).max(99).optional(),
    requireLowercase: z.boolean().optional(),
    requireUppercase: z.boolean().optional(),
    requireNumbers: z.boolean().optional(),
    requireSymbols: z.boolean().optional(),
    temporaryPasswordValidityDays: z.number().int().min(1).max(365).optional(),
  })
  .strict();

export const SIGN_UP_POLICIES = ['closed', 'domains', 'open'] as const;
const signUpPolicySchema = z
  .enum(SIGN_UP_POLICIES)
  .describe('Who may sign up through the public API: `closed` (invitations only), `domains` (addresses of the tenant’s verified e-mail domains), `open`.');
/** Never `admin`: self-service must not mint administrators. */
export const signUpDefaultRoleSchema = z.enum(['member', 'viewer']).describe('The role self-sign-ups get.');

export const tokenValiditySchema = z
  .object({
    accessTokenMinutes: z.number().int().min(5).max(1440).optional(),
    idTokenMinutes: z.number().int().min(5).max(1440).optional(),
    refreshTokenDays: z.number().int().min(1).max(3650).optional(),
  })
  .strict();

const mfaPolicySchema = z
  .enum(MFA_POLICIES)
  .describe('`required`: no tokens without TOTP (silo pools through Cognito’s MFA, shared pools enforced by Gatehouse).');

export const createTenantSchema = z
  .object({
    name: z.string().trim().min(1, 'must not be empty').max(200),
    slug: slugSchema,
    tier: z.string().min(1),
    hosts: unique(hostSchema, 20).default([]),
    emailDomains: unique(domainSchema, 20).default([]),
    firstAdminEmail: emailSchema,
    /** Silo tenants only: the region of their own user pool (default: the deployment's). */
    region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be an AWS region like eu-west-1').optional(),
    /** Silo tenants only: tighten the tier's password policy. */
    passwordPolicy: passwordPolicyOverrideSchema.optional(),
    /** Every model: `off`, `optional` or `required` (default: what the tier's pool setting says). */
    mfaPolicy: mfaPolicySchema.optional(),
    /** Bridge and silo tenants: their own app client's token lifetimes. */
    tokenValidity: tokenValiditySchema.optional(),
    signUpPolicy: signUpPolicySchema.default('closed'),
    signUpDefaultRole: signUpDefaultRoleSchema.default('member'),
  })
  .strict();
export type CreateTenant = z.infer<typeof createTenantSchema>;

export const updateTenantSchema = z
  .object({
    name: z.string().trim().min(1).max(200).optional(),
    /** Replaces the tenant's host names. */
    hosts: unique(hostSchema, 20).optional(),
    /** Replaces the tenant's e-mail domains (kept ones keep their verification; new ones start pending). */
    emailDomains: unique(domainSchema, 20).optional(),
    signUpPolicy: signUpPolicySchema.optional(),
    signUpDefaultRole: signUpDefaultRoleSchema.optional(),
    /** The tenant's MFA policy (silo tenants' pools follow at once). */
    mfaPolicy: mfaPolicySchema.optional(),
  })
  .strict()
  .refine((value) => Object.keys(value).length > 0, 'send at least one field to change');
export type UpdateTenant = z.infer<typeof updateTenantSchema>;

export const TENANT_STATUSES = ['provisioning', 'active', 'suspended', 'deleting', 'deleted', 'failed'] as const;

export const listTenantsQuerySchema = z
  .object({
    limit: z.coerce.number().int().min(1).max(100).default(20),
    /** Opaque cursor from the previous page's `nextCursor`. */
    cursor: z.uuid().optional(),
    tier: z.string().min(1).max(64).optional(),
    status: z.enum(TENANT_STATUSES).optional(),
    /** Matches name or slug (case-insensitive substring). */
    q: z.string().trim().min(1).max(100).optional(),
  })
  .strict();
export type ListTenantsQuery = z.infer<typeof listTenantsQuerySchema>;

const roleName = z.enum(TENANT_ROLES);

export const claimMappingSchema = z
  .object({
    email: z.string().min(1).max(100).optional(),
    groups: z.string().min(1).max(100).optional(),
    roleMap: z.record(z.string().min(1).max(200), roleName).optional(),
    defaultRole: roleName.optional(),
  })
  .strict();

export const registerIdentityProviderSchema = z
  .object({
    /** The provider's exact `iss`. */
    issuer: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).max(500),
    /** The `aud` its tokens carry for this tenant. */
    audience: z.string().min(1).max(500),
    /** Where its signing keys are published (never taken from a token). */
    jwksUri: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).max(500),
    claimMapping: claimMappingSchema.default({}),
  })
  .strict();
export type RegisterIdentityProvider = z.infer<typeof registerIdentityProviderSchema>;

export const idParamSchema = z.uuid({ error: 'must be a UUID' });
export const domainParamSchema = domainSchema;

export const emailDomainSchema = z.object({
  domain: z.string(),
  status: z.enum(['pending', 'verified']),
  verifiedAt: z.iso.datetime().nullable(),
  /** Publish this record, then ask for a verification. */
  txtRecord: z.object({ name: z.string(), type: z.literal('TXT'), value: z.string() }),
  /** The latest verification attempt that did not verify, with what was wrong. */
  lastCheck: z.object({ at: z.iso.datetime(), error: z.string().nullable() }).nullable(),
});
export type EmailDomainView = z.infer<typeof emailDomainSchema>;

export const signUpSettingsSchema = z.object({
  signUpPolicy: z.enum(SIGN_UP_POLICIES),
  signUpDefaultRole: signUpDefaultRoleSchema,
  emailDomains: z.array(emailDomainSchema),
});

/** What a tenant admin may change; `open` is refused with 403 (operators only; see README "Who may join a tenant"). */
export const updateSignUpPolicySchema = z
  .object({
    signUpPolicy: signUpPolicySchema.optional(),
    signUpDefaultRole: signUpDefaultRoleSchema.optional(),
  })
  .strict()
  .refine((value) => Object.keys(value).length > 0, 'send at least one field to change');
export type UpdateSignUpPolicy = z.infer<typeof updateSignUpPolicySchema>;

const stepSchema = z.object({ name: z.string(), done: z.boolean(), doneAt: z.string().nullable() });

export const tenantSchema = z.object({
  id: z.uuid(),
  slug: z.string(),
  name: z.string(),
  tier: z.string(),
  isolationModel: z.enum(['silo', 'pool', 'bridge']),
  status: z.enum(TENANT_STATUSES),
  region: z.string(),
  userPoolId: z.string().nullable(),
  issuer: z.string().nullable(),
  mfaPolicy: z.enum(MFA_POLICIES),
  passwordPolicy: z.record(z.string(), z.unknown()).nullable(),
  hosts: z.array(z.string()),
  /** Every e-mail domain the tenant claims; only `status: verified` ones route and admit sign-ups (see `emailDomainDetails`). */
  emailDomains: z.array(z.string()),
  emailDomainDetails: z.array(emailDomainSchema),
  signUpPolicy: z.enum(SIGN_UP_POLICIES),
  signUpDefaultRole: signUpDefaultRoleSchema,
  appClientIds: z.array(z.string()),
  identityProviders: z.array(
    z.object({ id: z.uuid(), issuer: z.string(), audience: z.string(), jwksUri: z.string(), claimMapping: claimMappingSchema, enabled: z.boolean() }),
  ),
  provisioning: z.object({
    attempt: z.number(),
    /** running (a live lease), stalled (lease expired: the next sweep resumes it), failed (see lastError), idle. */
    phase: z.enum(['running', 'stalled', 'failed', 'idle']),
    leaseUntil: z.string().nullable(),
    /** Times a sweep resumed this run after its runner's lease expired. */
    resumes: z.number(),
    lastResumedAt: z.string().nullable(),
    steps: z.array(stepSchema),
    lastError: z.object({ step: z.string(), code: z.string(), message: z.string(), at: z.string() }).nullable(),
    durationMs: z.number().nullable(),
  }),
  /** The latest tier move (running or ended), or null when the tenant never moved. */
  tierMove: tierMoveSchema.nullable(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
  suspendedAt: z.iso.datetime().nullable(),
  deletedAt: z.iso.datetime().nullable(),
});
export type TenantView = z.infer<typeof tenantSchema>;

export const tenantPageSchema = z.object({ items: z.array(tenantSchema), nextCursor: z.uuid().nullable() });
