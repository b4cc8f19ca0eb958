/**
 * The Cognito username of a tenant's user, derived from the tenant and the
 * user's e-mail, so that a client can sign in at Cognito directly with
 * "tenant + e-mail" in every model (issue 13, item 2):
 *
 *   username = "gh1-" + hex(SHA-256(tenantId + ":" + lowercase(trim(email))))
 *
 * - Deterministic and public: any client that knows the tenant (lookup gives
 *   its id as `cognito.signIn.namespace`) and the e-mail computes it with
 *   WebCrypto; nothing secret is involved, so it grants nothing a password
 *   does not.
 * - Opaque: the e-mail is not readable from it, and the same address in two
 *   tenants gives two unrelated usernames (one shared pool holds both:
 *   "same e-mail, different tenants").
 * - Bound to the tenant: knowing another tenant's derived name does not let
 *   anyone join it (sign-ups are made by Gatehouse's confidential client only,
 *   which derives the name from the tenant it signs up into; the pre sign-up
 *   trigger checks the same derivation) or act in it (a token resolves its
 *   tenant from verified facts, never from the username).
 *
 * Users created before this scheme keep their random opaque username; they
 * still sign in through Gatehouse's API, which looks the username up by
 * (tenant, e-mail). infra/lambdas/pre-sign-up.ts carries a copy of this
 * function (Lambdas are self-contained); a spec keeps the two equal.
 */
import { createHash } from 'node:crypto';

/** Version prefix: a future scheme gets another prefix, and both can coexist in one pool. */
export const SIGN_IN_USERNAME_PREFIX = 'gh1-';

/** How a client forms the username, as published by tenant lookup (`cognito.signIn.format`). */
export const SIGN_IN_USERNAME_FORMAT = 'gh1-{hex(sha256(namespace + ":" + lowercase(trim(email))))}';

/** The e-mail as Gatehouse keys it: trimmed and lower-cased (the users table's (tenant, e-mail) key). */
export function normaliseSignInEmail(email: string): string {
  return email.trim().toLowerCase();
}

export function deriveSignInUsername(tenantId: string, email: string): string {
  const digest = createHash('sha256').update(`${tenantId.toLowerCase()}:${normaliseSignInEmail(email)}`, 'utf8').digest('hex');
  return `${SIGN_IN_USERNAME_PREFIX}${digest}`;
}
