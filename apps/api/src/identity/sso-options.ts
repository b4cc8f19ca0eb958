/**
 * The SSO buttons tenant lookup offers. `oidc`: the tenant's own OpenID Connect
 * provider, signed in at directly from the browser (authorization code + PKCE);
 * its access tokens are then bearer tokens the API already trusts for that tenant.
 * Everything comes from the registry in memory (the endpoints were read from the
 * provider's discovery document when an operator set the client id): lookup never
 * fetches anything.
 */
import type { z } from 'zod';
import type { TenantSnapshot } from '../auth/issuer-registry.js';
import type { lookupOidcSsoSchema } from './dto/tenant-lookup.dto.js';

/** The lookup schema's `oidc` variant (dto/tenant-lookup.dto.ts). */
export type OidcSsoOption = z.infer<typeof lookupOidcSsoSchema>;

export function oidcSsoOptions(tenant: TenantSnapshot): OidcSsoOption[] {
  return tenant.identityProviders.flatMap((provider) =>
    provider.enabled && provider.browserSignIn
      ? [
          {
            kind: 'oidc' as const,
            issuer: provider.issuer,
            clientId: provider.browserSignIn.clientId,
            authorizationEndpoint: provider.browserSignIn.authorizationEndpoint,
            tokenEndpoint: provider.browserSignIn.tokenEndpoint,
            scopes: [...provider.browserSignIn.scopes],
          },
        ]
      : [],
  );
}
