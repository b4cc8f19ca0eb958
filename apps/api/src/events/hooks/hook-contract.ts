/**
 * What Gatehouse sends to each synchronous hook and what it accepts back. The
 * answers are validated strictly (unknown fields, wrong types, an admin role,
 * oversized claims: all "garbage", handled by the hook's failure mode), so a
 * hook can never widen anyone's access: it may refuse, pick member or viewer
 * for a self-sign-up, or add namespaced claims that are never roles or tenant.
 */
import { z } from 'zod';

export const HOOK_KINDS = ['pre_sign_up', 'post_confirmation', 'pre_authentication', 'token_enrichment'] as const;
export type HookKind = (typeof HOOK_KINDS)[number];
export type HookFailureMode = 'open' | 'closed';

/** Bounds of a hook's timeout: long enough for a real service, short enough that a sign-in never hangs. */
export const HOOK_TIMEOUT_MS = { min: 100, max: 5_000, default: 2_000 } as const;
/** A hook's answer larger than this is garbage (a decision is a few hundred bytes). */
export const HOOK_MAX_RESPONSE_BYTES = 16 * 1024;

/** The version of the request payloads below; bumped on any incompatible change. */
export const HOOK_PAYLOAD_VERSION = '2026-12-01';

export interface HookTenant {
  readonly id: string;
  readonly slug: string;
  readonly tier: string;
}

/** The body Gatehouse POSTs (JSON), signed with Standard Webhooks headers. */
export interface HookRequest {
  readonly type: HookKind;
  readonly version: typeof HOOK_PAYLOAD_VERSION;
  readonly timestamp: string;
  readonly tenant: HookTenant;
  /** pre_sign_up: the address signing up (no user id yet); the other kinds: the user. */
  readonly user: { readonly id?: string; readonly email: string; readonly role?: string };
  /** The end user's address (trusted-proxy rules), for risk decisions. */
  readonly clientIp?: string;
}

/** Shown to the end user as the refusal's detail: one short line of plain text. */
const message = z.string().min(1).max(200).regex(/^[^\u0000-\u001f\u007f]+$/, 'one line of text');

export const preSignUpAnswer = z.discriminatedUnion('decision', [
  z.object({ decision: z.literal('allow'), role: z.enum(['member', 'viewer']).optional() }).strict(),
  z.object({ decision: z.literal('deny'), message: message.optional() }).strict(),
]);
export type PreSignUpAnswer = z.infer<typeof preSignUpAnswer>;

export const preAuthenticationAnswer = z.discriminatedUnion('decision', [
  z.object({ decision: z.literal('allow') }).strict(),
  z.object({ decision: z.literal('deny'), message: message.optional() }).strict(),
]);
export type PreAuthenticationAnswer = z.infer<typeof preAuthenticationAnswer>;

/** Names a token-enrichment hook may not use, even inside its namespace: they look like access decisions. */
const RESERVED_CLAIMS = new Set(['role', 'roles', 'groups', 'tenant', 'tenantid', 'tenant_id', 'tier', 'sub', 'iss', 'aud', 'scope', 'scopes', 'admin', 'permissions']);
const claimValue = z.union([z.string().max(256), z.number().finite(), z.boolean(), z.null()]);

export const tokenEnrichmentAnswer = z
  .object({
    claims: z
      .record(z.string().regex(/^[a-z][a-z0-9_]{0,39}$/, 'claim names are lower-case snake_case, up to 40 characters'), z.union([claimValue, z.array(claimValue).max(20)]))
      .refine((claims) => Object.keys(claims).length <= 20, 'at most 20 claims')
      .refine((claims) => Object.keys(claims).every((name) => !RESERVED_CLAIMS.has(name) && !RESERVED_CLAIMS.has(name.replace(/_/g, ''))), 'claims must not name roles, groups, tenant or token fields'),
  })
  .strict();
export type TokenEnrichmentAnswer = z.infer<typeof tokenEnrichmentAnswer>;
export type HookClaims = TokenEnrichmentAnswer['claims'];

/** post_confirmation's answer is ignored (any 2xx is fine). */
export const ANSWER_SCHEMAS = {
  pre_sign_up: preSignUpAnswer,
  pre_authentication: preAuthenticationAnswer,
  token_enrichment: tokenEnrichmentAnswer,
} as const;
