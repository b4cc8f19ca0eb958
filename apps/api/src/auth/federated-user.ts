/**
 * Users created by Cognito federation (SAML, OIDC, social through the hosted
 * UI) are not created by Gatehouse: their first accepted token mirrors them.
 * Pure rules here; principal-resolver does the I/O.
 *
 * Cognito names such users `<provider>_<subject at the IdP>`; provider names
 * never contain `_` (tenants/federation/federated-provider.ts), so the provider
 * is everything before the first `_`. A username alone proves nothing, so the
 * provider must be one the token's tenant has (tenant from the verified
 * client / pool), and Cognito's own record of the user (AdminGetUser, not the
 * token) must list that provider in its `identities` attribute.
 */
import type { CognitoPoolRole, TenantSnapshot } from './issuer-registry.js';

export type FederatedProviderSnapshot = NonNullable<TenantSnapshot['federatedProviders']>[number];

/** Which of these provider names a username of the form `<provider>_<subject>` was created by, if any. */
export function providerNameOfUsername(username: string, providerNames: readonly string[]): string | undefined {
  const separator = username.indexOf('_');
  if (separator <= 0 || separator === username.length - 1) return undefined;
  const name = username.slice(0, separator).toLowerCase();
  // Cognito compares provider names case-insensitively in usernames (it lower-cases some, e.g. `google_…`).
  return providerNames.find((candidate) => candidate.toLowerCase() === name);
}

/** The tenant's provider this username was created by, if it has that form. */
export function federatedProviderOfUsername(tenant: TenantSnapshot, username: string): FederatedProviderSnapshot | undefined {
  const providers = tenant.federatedProviders ?? [];
  const name = providerNameOfUsername(username, providers.map((provider) => provider.name));
  return providers.find((provider) => provider.name === name);
}

/**
 * A federated user whose tenant moved between tiers signs in on the target as a new Cognito user (same
 * `<provider>_<subject>` username, new `sub`): its existing user row may be re-bound to the new identity, but
 * only when the token comes from the tenant's CURRENT pool (after cut-over: its tier's shared pool for a bridge
 * tenant, its own for a silo tenant) — never from the other side of a move under way, whose cancel would leave
 * the row pointing at a pool that is gone.
 */
export function mayRebindFederatedUser(tenant: TenantSnapshot, token: { readonly issuer: string; readonly pool: CognitoPoolRole }): boolean {
  if (token.pool.kind === 'tier') return tenant.model === 'bridge' && token.pool.model === 'bridge' && token.pool.tier === tenant.tier;
  if (token.pool.kind === 'silo') return tenant.model === 'silo' && tenant.issuer === token.issuer;
  return false;
}

/** Cognito's `identities` attribute (a JSON array of `{ providerName, userId, … }`) lists the provider. */
export function identitiesListProvider(identities: string | undefined, providerName: string): boolean {
  if (!identities) return false;
  try {
    const parsed: unknown = JSON.parse(identities);
    return (
      Array.isArray(parsed) &&
      parsed.some((entry) => typeof entry === 'object' && entry !== null && String((entry as { providerName?: unknown }).providerName).toLowerCase() === providerName.toLowerCase())
    );
  } catch {
    return false;
  }
}
