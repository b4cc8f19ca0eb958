/**
 * Request and response shapes of the operators' federated-provider routes
 * (`/v1/admin/tenants/{id}/federated-providers`). The provider itself is
 * `federatedProviderSchema` (per type); the redirect URLs belong to the
 * tenant's public client, which every provider of the tenant shares.
 */
import { z } from 'zod';
import { FEDERATED_DEFAULT_ROLES, FEDERATED_PROVIDER_TYPES, PROVIDER_NAME_PATTERN, federatedProviderSchema } from './federated-provider.js';

/**
 * Cognito's rule for callback and sign-out URLs: `https`, or `http` to `localhost` only (a developer's
 * machine); no fragment. No credentials either (they would end up in every authorize URL lookup shows).
 */
export function isRedirectUrl(raw: string): boolean {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return false;
  }
  if (url.username !== '' || url.password !== '' || url.hash !== '' || raw.includes('#')) return false;
  if (url.protocol === 'https:') return true;
  return url.protocol === 'http:' && url.hostname === 'localhost';
}

const redirectUrl = z.string().max(1024).refine(isRedirectUrl, 'must be an https URL (or http://localhost), without credentials or fragment');

export const addFederatedProviderSchema = z
  .object({
    provider: federatedProviderSchema,
    /** Where Cognito may send the browser back with the code; the first is the one lookup's sign-in URL uses. */
    callbackUrls: z.array(redirectUrl).min(1).max(10),
    logoutUrls: z.array(redirectUrl).max(10).default([]),
  })
  .strict();
export type AddFederatedProvider = z.infer<typeof addFederatedProviderSchema>;

export const providerNameParamSchema = z.string().regex(PROVIDER_NAME_PATTERN, 'a provider name: letters, digits and hyphens, at most 32');

export const federatedProviderViewSchema = z.object({
  name: z.string().describe('Cognito’s provider name (`identity_provider`); social providers are named after their type.'),
  type: z.enum(FEDERATED_PROVIDER_TYPES),
  displayName: z.string(),
  defaultRole: z.enum(FEDERATED_DEFAULT_ROLES).describe('Role of users this provider creates (never admin).'),
  callbackUrls: z.array(z.string()),
  logoutUrls: z.array(z.string()),
  hostedUiDomain: z.string().describe('The hosted UI domain prefix: `https://<prefix>.auth.<region>.amazoncognito.com`.'),
  settings: z
    .record(z.string(), z.unknown())
    .describe('What was submitted, without secrets (client secret, private key, metadata document).'),
  createdAt: z.string(),
});
export type FederatedProviderView = z.infer<typeof federatedProviderViewSchema>;

export const federatedProviderListSchema = z.object({ items: z.array(federatedProviderViewSchema) });
export type FederatedProviderList = z.infer<typeof federatedProviderListSchema>;
