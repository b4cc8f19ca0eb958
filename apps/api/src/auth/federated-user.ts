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
import type { TenantSnapshot } from './issuer-registry.js';

export type FederatedProviderSnapshot = NonNullable<TenantSnapshot['federatedProviders']>[number];

/** The tenant's provider this username was created by, if it has that form. */
export function federatedProviderOfUsername(tenant: TenantSnapshot, username: string): FederatedProviderSnapshot | undefined {
  const separator = username.indexOf('_');
  if (separator <= 0 || separator === username.length - 1) return undefined;
  const name = username.slice(0, separator);
  // Cognito compares provider names case-insensitively in usernames (it lower-cases some, e.g. `google_…`).
  return (tenant.federatedProviders ?? []).find((provider) => provider.name.toLowerCase() === name.toLowerCase());
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
