/**
 * A tenant user's account on the target side of a tier move, made from its
 * source record: the one definition of what a moved user carries, used by
 * every path that puts a user on the target —
 *
 * - `copy_users` (users with no password of their own to move: invited, never chose one);
 * - the lazy migration at sign-in through Gatehouse (a deferred user whose source
 *   password was just proven, identity/auth-flows.service.ts);
 * - `remove_source` with `reset_password` (deferred users who never signed in, invited);
 * - the user-migration trigger's answer (Cognito creates the user itself from
 *   {@link targetUserAttributes}; the groups follow when Gatehouse first sees it).
 *
 * Same opaque username, profile attributes, e-mail (verified or not), the
 * tenant attributes with the TARGET tier, the role groups, and disabled if it
 * was. Idempotent: a user already on the target (a resumed step, a sign-in
 * that crashed half-way, a trigger that got there first) is kept as it is.
 */
import { TENANT_ROLES } from '@gatehouse/tiers';
import type { IdentityProvider, IdentityUser, PoolRef } from '../../identity/identity-provider.js';

/** Profile attributes a moved user keeps (the tenant attributes are written afresh, e-mail apart). */
const PROFILE_ATTRIBUTES = ['name', 'given_name', 'family_name', 'locale'] as const;

export interface TargetUserFacts {
  readonly tenantId: string;
  readonly targetTier: string;
  /** Gatehouse's copy of the address, for a source record without one. */
  readonly fallbackEmail: string;
}

/** Runs one Cognito call (the move's runner passes its concurrency limit; others call directly). */
export type CognitoCall = <T>(call: () => Promise<T>) => Promise<T>;
const direct: CognitoCall = (call) => call();

/** Every attribute the target user gets, e-mail included: what AdminCreateUser writes and what the user-migration trigger answers. */
export function targetUserAttributes(original: IdentityUser, facts: TargetUserFacts): Record<string, string> {
  const attributes: Record<string, string> = {
    email: original.email ?? facts.fallbackEmail,
    'custom:tenantId': facts.tenantId,
    'custom:tenantTier': facts.targetTier,
  };
  for (const name of PROFILE_ATTRIBUTES) {
    const value = original.attributes[name];
    if (value !== undefined) attributes[name] = value;
  }
  if (original.emailVerified) attributes['email_verified'] = 'true';
  return attributes;
}

/** The user's role groups (admin, member, viewer) on the target, as on the source. */
export async function copyRoleGroups(identity: IdentityProvider, source: PoolRef, target: PoolRef, username: string, call: CognitoCall = direct): Promise<void> {
  const groups = await call(() => identity.listUserGroups(source, username));
  for (const group of groups) {
    if ((TENANT_ROLES as readonly string[]).includes(group)) await call(() => identity.addUserToGroup(target, username, group));
  }
}

/**
 * Creates the user on the target (AdminCreateUser, same username) unless it is
 * there already, then its groups and enabled state. `invite: false`
 * suppresses Cognito's message (the user is FORCE_CHANGE_PASSWORD with a
 * temporary password nobody knows until one is set); `invite: true` e-mails a
 * temporary password (the reset path for users who never signed in).
 */
export async function createTargetUser(
  identity: IdentityProvider,
  pools: { readonly source: PoolRef; readonly target: PoolRef },
  original: IdentityUser,
  facts: TargetUserFacts & { readonly invite: boolean },
  call: CognitoCall = direct,
): Promise<IdentityUser> {
  const { email, ...attributes } = targetUserAttributes(original, facts);
  const copy =
    (await call(() => identity.getUser(pools.target, original.username))) ??
    (await call(() => identity.createUser(pools.target, { username: original.username, email: email!, attributes, invite: facts.invite })));
  await copyRoleGroups(identity, pools.source, pools.target, original.username, call);
  if (!original.enabled) await call(() => identity.setUserEnabled(pools.target, original.username, false));
  return copy;
}

/**
 * Whether a source user's password must move to the target (so the user is
 * deferred: created there only once the password is known). Only a confirmed,
 * enabled user has a password of its own; invited users who never chose one
 * (FORCE_CHANGE_PASSWORD), users of an identity provider (EXTERNAL_PROVIDER)
 * and disabled users are copied up front.
 */
export function hasPasswordToMove(original: IdentityUser, gatehouseStatus: string): boolean {
  return original.status === 'CONFIRMED' && original.enabled && gatehouseStatus !== 'disabled';
}
