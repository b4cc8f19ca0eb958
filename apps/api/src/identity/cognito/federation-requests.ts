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
  DeleteUserPoolDomainCommandInput,
  DescribeIdentityProviderCommandInput,
  IdentityProviderType,
  UpdateIdentityProviderCommandInput,
  UpdateUserPoolClientCommandInput,
} from '@aws-sdk/client-cognito-identity-provider';
import type { AppClientBlueprint, UserPoolBlueprint } from '@gatehouse/tiers';
import type { FederatedProviderInput, FederatedProviderType } from '../../tenants/federation/federated-provider.js';
import { FEDERATED_PROVIDER_TYPES, providerName } from '../../tenants/federation/federated-provider.js';
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

export function toDescribeIdentityProviderInput(userPoolId: string, name: string): DescribeIdentityProviderCommandInput {
  return { UserPoolId: userPoolId, ProviderName: name };
}

/**
 * A provider as Cognito holds it, ready to be created again in another pool (a tier move). `details` carries
 * the provider's secrets (client secret, SAML metadata): it lives in memory between two Cognito calls only —
 * never logged, audited, stored or put in an error message.
 */
export interface FederatedProviderCopy {
  readonly name: string;
  readonly type: FederatedProviderType;
  readonly details: Readonly<Record<string, string>>;
  readonly attributeMapping: Readonly<Record<string, string>>;
  readonly idpIdentifiers: readonly string[];
}

/**
 * The `ProviderDetails` keys a create / update request may carry, per type (Cognito API reference,
 * IdentityProviderType). DescribeIdentityProvider answers with more: endpoints Cognito discovered
 * (`authorize_url`, `token_url`, `attributes_url`, `jwks_uri`, `oidc_issuer` of social providers,
 * `token_request_method`, `attributes_url_add_attributes`) and, for SAML, `ActiveEncryptionCertificate` and the
 * IdP's binding URIs. Those are left out: sent back they would pin what the target pool must discover itself.
 */
const WRITABLE_DETAILS: Readonly<Record<FederatedProviderType, readonly string[]>> = {
  SAML: ['MetadataURL', 'MetadataFile', 'IDPSignout', 'IDPInit', 'EncryptedResponses', 'RequestSigningAlgorithm'],
  OIDC: ['client_id', 'client_secret', 'attributes_request_method', 'oidc_issuer', 'authorize_scopes'],
  Google: ['client_id', 'client_secret', 'authorize_scopes'],
  LoginWithAmazon: ['client_id', 'client_secret', 'authorize_scopes'],
  Facebook: ['client_id', 'client_secret', 'authorize_scopes', 'api_version'],
  SignInWithApple: ['client_id', 'team_id', 'key_id', 'private_key', 'authorize_scopes'],
};

/**
 * What a copy cannot do without. Cognito's DescribeIdentityProvider returns client secrets, but not Sign in with
 * Apple's `private_key`: such a provider cannot be copied (the move refuses it up front).
 */
const REQUIRED_DETAILS: Readonly<Record<FederatedProviderType, readonly string[]>> = {
  SAML: [],
  OIDC: ['client_id', 'client_secret', 'oidc_issuer', 'authorize_scopes'],
  Google: ['client_id', 'client_secret', 'authorize_scopes'],
  LoginWithAmazon: ['client_id', 'client_secret', 'authorize_scopes'],
  Facebook: ['client_id', 'client_secret', 'authorize_scopes'],
  SignInWithApple: ['client_id', 'team_id', 'key_id', 'private_key', 'authorize_scopes'],
};

/** A described provider that cannot be created again elsewhere. The message names keys, never values. */
export class ProviderNotCopyable extends Error {
  override readonly name = 'ProviderNotCopyable';
}

/** DescribeIdentityProvider's answer → the copy to create in another pool (writable details only), or ProviderNotCopyable. */
export function toFederatedProviderCopy(described: IdentityProviderType): FederatedProviderCopy {
  const name = described.ProviderName ?? '';
  const type = FEDERATED_PROVIDER_TYPES.find((candidate) => candidate === described.ProviderType);
  if (!type) throw new ProviderNotCopyable(`provider ${name} has a type Gatehouse does not manage (${String(described.ProviderType)})`);
  const all = described.ProviderDetails ?? {};
  const details: Record<string, string> = {};
  for (const key of WRITABLE_DETAILS[type]) if (all[key] !== undefined) details[key] = all[key];
  // A SAML provider created from a URL is described with the document Cognito fetched too: keep the URL (Cognito refreshes it).
  if (details['MetadataURL'] !== undefined) delete details['MetadataFile'];
  const missing = REQUIRED_DETAILS[type].filter((key) => details[key] === undefined);
  if (type === 'SAML' && details['MetadataURL'] === undefined && details['MetadataFile'] === undefined) missing.push('MetadataURL or MetadataFile');
  if (missing.length > 0) throw new ProviderNotCopyable(`Cognito did not return ${missing.join(', ')} of provider ${name}`);
  return { name, type, details, attributeMapping: { ...(described.AttributeMapping ?? {}) }, idpIdentifiers: [...(described.IdpIdentifiers ?? [])] };
}

/** CreateIdentityProvider for a copy: same name, type, details, attribute mapping and IdP identifiers. */
export function toCreateIdentityProviderCopyInput(userPoolId: string, copy: FederatedProviderCopy): CreateIdentityProviderCommandInput {
  return {
    UserPoolId: userPoolId,
    ProviderName: copy.name,
    ProviderType: copy.type,
    ProviderDetails: { ...copy.details },
    AttributeMapping: { ...copy.attributeMapping },
    ...(copy.idpIdentifiers.length > 0 ? { IdpIdentifiers: [...copy.idpIdentifiers] } : {}),
  };
}

/** UpdateIdentityProvider for a copy (no ProviderType: the API has none; an update cannot change the type). */
export function toUpdateIdentityProviderCopyInput(userPoolId: string, copy: FederatedProviderCopy): UpdateIdentityProviderCommandInput {
  return {
    UserPoolId: userPoolId,
    ProviderName: copy.name,
    ProviderDetails: { ...copy.details },
    AttributeMapping: { ...copy.attributeMapping },
    IdpIdentifiers: [...copy.idpIdentifiers],
  };
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

/** Cognito refuses to delete a pool that still has a domain ("It has a domain configured that should be deleted first"). */
export function toDeleteUserPoolDomainInput(userPoolId: string, domainPrefix: string): DeleteUserPoolDomainCommandInput {
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
