/** Operators' tier-move API: the request body, and the move as the tenant view shows it. */
import { z } from 'zod';
import { UNMIGRATED_USER_POLICIES } from './tier-move-state.js';

export const moveTenantSchema = z
  .object({
    /** The tier to move to (any other configured tier; see README "Moving a tenant between tiers"). */
    tier: z.string().min(1).max(64),
    /**
     * Users who have not signed in by the time the source goes: `reset_password` (default) sends them the
     * target's invitation with a new temporary password; `keep_source` keeps the source until every user has signed in once.
     */
    unmigratedUsers: z.enum(UNMIGRATED_USER_POLICIES).default('reset_password'),
    /** Required when the tenant requires MFA or any user has TOTP: those users enrol again on the target. */
    acceptMfaReenrolment: z.boolean().default(false),
  })
  .strict();
export type MoveTenant = z.infer<typeof moveTenantSchema>;

const stepSchema = z.object({ name: z.string(), done: z.boolean(), doneAt: z.string().nullable() });

export const tierMoveSchema = z.object({
  fromTier: z.string(),
  toTier: z.string(),
  fromModel: z.enum(['silo', 'pool', 'bridge']),
  toModel: z.enum(['silo', 'pool', 'bridge']),
  /** running, waiting (source kept until its tokens expire / its users signed in), stalled, failed, moved, cancelled. */
  phase: z.enum(['running', 'waiting', 'stalled', 'failed', 'moved', 'cancelled']),
  attempt: z.number(),
  cancelled: z.boolean(),
  unmigratedUsers: z.enum(UNMIGRATED_USER_POLICIES),
  copiedUsers: z.number(),
  /**
   * The target pool's hosted UI domain prefix once the tenant's SAML / OIDC / social providers are re-created there
   * (null: none). Those identity providers must accept the target before cut-over: the redirect
   * `https://<prefix>.auth.<region>.amazoncognito.com/oauth2/idpresponse` (OIDC, social) or the target pool as
   * SAML service provider (ACS `…/saml2/idpresponse`).
   */
  targetHostedUiDomain: z.string().nullable(),
  resumes: z.number(),
  lastResumedAt: z.string().nullable(),
  leaseUntil: z.string().nullable(),
  waitUntil: z.string().nullable(),
  steps: z.array(stepSchema),
  lastError: z.object({ step: z.string(), code: z.string(), message: z.string(), at: z.string() }).nullable(),
  startedAt: z.string(),
  cutOverAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
});
