/**
 * Pure mapping from a federated provider (tenants/federation) to the Cognito
 * requests that attach it, after Cognito's API reference:
 *
 * - `CreateIdentityProvider` / `UpdateIdentityProvider` / `DeleteIdentityProvider`
 *   on the tenant's pool (silo: its own; bridge: the tier's shared pool — the
 *   provider is then made available only to the tenant's own app client);
 * - `UpdateUserPoolClient` on the tenant's PUBLIC client: code flow only, the
 *   scopes, callback / logout URLs and `SupportedIdentityProviders`. Cognito
 *   resets every setting an update leaves out, so the request is the client's
 *   whole contract (the same mapping that created it) plus the OAuth part;
 * - `CreateUserPoolDomain`: the hosted UI's domain (a prefix under
 *   `auth.<region>.amazoncognito.com`);
 * - the hosted UI's authorize URL with `identity_provider`, which lookup gives
 *   clients.
 *
 * The emulator has none of these operations: unit specs cover them.
 */
import type {
  CreateIdentityProviderCommandInput,
  CreateUserPoolDomainCommandInput,
  DeleteIdentityProviderCommandInput,
  UpdateIdentityProviderCommandInput,
  UpdateUserPoolClientCommandInput,
} from '@aws-sdk/client-cognito-identity-provider';
import type { AppClientBlueprint, UserPoolBlueprint } from '@gatehouse/tiers';
import type { FederatedProviderInput } from '../../tenants/federation/federated-provider.js';
import { providerName } from '../../tenants/federation/federated-provider.js';
import { type UserPoolClientOverrides, toCreateUserPoolClientInput } from './user-pool-requests.js';

/** Cognito's `ProviderDetails` for each type (keys as the API reference lists them). */
export function toProviderDetails(provider: FederatedProviderInput): Record<string, string> {
  switch (provider.type) {
    case 'SAML':
      return {
        ...(provider.metadataUrl !== undefined ? { MetadataURL: provider.metadataUrl } : { MetadataFile: provider.metadataDocument! }),
        IDPSignout: String(provider.idpSignOut),
      };
    case 'OIDC':
      return {
        client_id: provider.clientId,
        client_secret: provider.clientSecret,
        attributes_request_method: provider.attributesRequestMethod,
        oidc_issuer: provider.issuer,
        authorize_scopes: provider.scopes.join(' '),
      };
    case 'Google':
    case 'LoginWithAmazon':
      return { client_id: provider.clientId, client_secret: provider.clientSecret, authorize_scopes: provider.scopes.join(' ') };
    case 'Facebook':
      // Facebook's scopes are comma-separated in Cognito's examples.
      return { client_id: provider.clientId, client_secret: provider.clientSecret, authorize_scopes: provider.scopes.join(',') };
    case 'SignInWithApple':
      return {
        client_id: provider.clientId,
        team_id: provider.teamId,
        key_id: provider.keyId,
        private_key: provider.privateKey,
        authorize_scopes: provider.scopes.join(' '),
      };
  }
}

export function toCreateIdentityProviderInput(userPoolId: string, provider: FederatedProviderInput): CreateIdentityProviderCommandInput {
  return {
    UserPoolId: userPoolId,
    ProviderName: providerName(provider),
    ProviderType: provider.type,
    ProviderDetails: toProviderDetails(provider),
    AttributeMapping: { ...provider.attributeMapping },
  };
}

export function toUpdateIdentityProviderInput(userPoolId: string, provider: FederatedProviderInput): UpdateIdentityProviderCommandInput {
  return {
    UserPoolId: userPoolId,
    ProviderName: providerName(provider),
    ProviderDetails: toProviderDetails(provider),
    AttributeMapping: { ...provider.attributeMapping },
  };
}

export function toDeleteIdentityProviderInput(userPoolId: string, name: string): DeleteIdentityProviderCommandInput {
  return { UserPoolId: userPoolId, ProviderName: name };
}

export interface HostedSignInSettings {
  readonly callbackUrls: readonly string[];
  readonly logoutUrls: readonly string[];
  readonly scopes?: readonly string[];
  /** Provider names attached to the client. `COGNITO` (password sign-in in the hosted UI) is always kept. */
  readonly providers: readonly string[];
  readonly tokenValidity?: UserPoolClientOverrides['tokenValidity'];
}

/**
 * The tenant's public client with the hosted UI switched on for its providers. Only a client the contract marks
 * `oauthCapable` (the public one) may carry it; the confidential Gatehouse client never does.
 */
export function toFederatedClientInput(
  blueprint: UserPoolBlueprint,
  client: AppClientBlueprint,
  userPoolId: string,
  clientId: string,
  settings: HostedSignInSettings,
): UpdateUserPoolClientCommandInput {
  if (!client.oauthCapable) throw new Error(`client "${client.name}" may not use the hosted UI`);
  const providers = ['COGNITO', ...settings.providers.filter((name) => name !== 'COGNITO')];
  const { GenerateSecret: _generated, ...input } = toCreateUserPoolClientInput(blueprint, client, userPoolId, {
    callbackUrls: settings.callbackUrls,
    logoutUrls: settings.logoutUrls,
    ...(settings.scopes ? { oauthScopes: settings.scopes } : {}),
    identityProviders: providers,
    ...(settings.tokenValidity ? { tokenValidity: settings.tokenValidity } : {}),
  });
  return { ...input, ClientId: clientId };
}

/** The hosted UI's domain prefix for a tenant (unique per region; slugs are never reused). */
export function hostedUiDomainPrefix(deployment: string, tenantSlug: string): string {
  return `${deployment}-${tenantSlug}`.toLowerCase().slice(0, 63).replace(/-+$/, '');
}

export function toCreateUserPoolDomainInput(userPoolId: string, domainPrefix: string): CreateUserPoolDomainCommandInput {
  return { UserPoolId: userPoolId, Domain: domainPrefix };
}

/** `https://<prefix>.auth.<region>.amazoncognito.com` */
export function hostedUiBaseUrl(domainPrefix: string, region: string): string {
  return `https://${domainPrefix}.auth.${region}.amazoncognito.com`;
}

/**
 * The authorize URL that sends the browser straight to one provider (`identity_provider`), authorization code
 * flow. The client adds `state`, `code_challenge` and `code_challenge_method=S256` (PKCE) itself.
 */
export function hostedSignInUrl(input: {
  readonly baseUrl: string;
  readonly clientId: string;
  readonly provider: string;
  readonly redirectUri: string;
  readonly scopes: readonly string[];
}): string {
  const url = new URL('/oauth2/authorize', input.baseUrl);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('client_id', input.clientId);
  url.searchParams.set('redirect_uri', input.redirectUri);
  url.searchParams.set('identity_provider', input.provider);
  url.searchParams.set('scope', input.scopes.join(' '));
  return url.toString();
}
