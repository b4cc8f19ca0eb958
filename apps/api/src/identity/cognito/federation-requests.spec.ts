/**
 * The exact Cognito requests for SSO through Cognito, against the shapes in Cognito's API reference
 * (CreateIdentityProvider, UpdateIdentityProvider, DeleteIdentityProvider, UpdateUserPoolClient,
 * CreateUserPoolDomain, the /oauth2/authorize endpoint). The emulator has none of them.
 */
import { bridgeClientBlueprints, parseTierConfigurationJson, sharedPoolBlueprints, siloPoolBlueprint } from '@gatehouse/tiers';
import { describe, expect, it } from 'vitest';
import { federatedProviderSchema } from '../../tenants/federation/federated-provider.js';
import {
  ProviderNotCopyable,
  hostedSignInUrl,
  hostedUiBaseUrl,
  hostedUiDomainPrefix,
  toCreateIdentityProviderCopyInput,
  toCreateIdentityProviderInput,
  toCreateUserPoolDomainInput,
  toDeleteIdentityProviderInput,
  toDeleteUserPoolDomainInput,
  toDescribeIdentityProviderInput,
  toFederatedClientInput,
  toFederatedProviderCopy,
  toProviderDetails,
  toUpdateIdentityProviderCopyInput,
  toUpdateIdentityProviderInput,
} from './federation-requests.js';
import { toCreateUserPoolClientInput } from './user-pool-requests.js';

const config = parseTierConfigurationJson(
  JSON.stringify({
    tiers: [
      { name: 'standard', model: 'bridge', mfa: 'OPTIONAL' },
      { name: 'premium', model: 'silo', mfa: 'OPTIONAL' },
    ],
  }),
);
const options = { deployment: 'gatehouse-test', deletionProtection: true };
const standardPool = sharedPoolBlueprints(config, options).find((blueprint) => blueprint.key === 'standard')!;
const silo = siloPoolBlueprint(config.tiers.find((tier) => tier.name === 'premium')!, 'acme', options);
const mapping = { email: 'email', given_name: 'given_name' };
const parse = (input: unknown) => federatedProviderSchema.parse(input);

describe(toProviderDetails.name, () => {
  it('SAML by metadata URL, or by document (MetadataFile), with IDPSignout', () => {
    expect(toProviderDetails(parse({ type: 'SAML', name: 'AcmeAD', metadataUrl: 'https://idp.acme.example/metadata', idpSignOut: true, displayName: 'A', attributeMapping: mapping }))).toEqual({
      MetadataURL: 'https://idp.acme.example/metadata',
      IDPSignout: 'true',
    });
    expect(toProviderDetails(parse({ type: 'SAML', name: 'AcmeAD', metadataDocument: '<EntityDescriptor/>', displayName: 'A', attributeMapping: mapping }))).toEqual({
      MetadataFile: '<EntityDescriptor/>',
      IDPSignout: 'false',
    });
  });

  it('OIDC: client_id, client_secret, attributes_request_method, oidc_issuer, authorize_scopes (space-separated)', () => {
    expect(
      toProviderDetails(parse({ type: 'OIDC', name: 'AcmeOkta', issuer: 'https://acme.okta.example', clientId: 'cid', clientSecret: 'sec', displayName: 'Okta', attributeMapping: mapping })),
    ).toEqual({ client_id: 'cid', client_secret: 'sec', attributes_request_method: 'GET', oidc_issuer: 'https://acme.okta.example', authorize_scopes: 'openid email profile' });
  });

  it('Google and Login with Amazon: client_id, client_secret, authorize_scopes; Facebook: comma-separated scopes', () => {
    expect(toProviderDetails(parse({ type: 'Google', clientId: 'g', clientSecret: 's', displayName: 'Google', attributeMapping: mapping }))).toEqual({
      client_id: 'g',
      client_secret: 's',
      authorize_scopes: 'openid email profile',
    });
    expect(toProviderDetails(parse({ type: 'LoginWithAmazon', clientId: 'a', clientSecret: 's', displayName: 'Amazon', attributeMapping: mapping }))).toEqual({
      client_id: 'a',
      client_secret: 's',
      authorize_scopes: 'profile',
    });
    expect(toProviderDetails(parse({ type: 'Facebook', clientId: 'f', clientSecret: 's', displayName: 'Facebook', attributeMapping: mapping }))).toEqual({
      client_id: 'f',
      client_secret: 's',
      authorize_scopes: 'public_profile,email',
    });
  });

  it('Sign in with Apple: client_id, team_id, key_id, private_key, authorize_scopes', () => {
    expect(
      toProviderDetails(
        parse({ type: 'SignInWithApple', clientId: 'com.acme.web', teamId: 'ABCDE12345', keyId: 'KEY1234567', privateKey: '-----BEGIN PRIVATE KEY-----', displayName: 'Apple', attributeMapping: mapping }),
      ),
    ).toEqual({ client_id: 'com.acme.web', team_id: 'ABCDE12345', key_id: 'KEY1234567', private_key: '-----BEGIN PRIVATE KEY-----', authorize_scopes: 'email name' });
  });
});

describe('identity provider requests', () => {
  const google = parse({ type: 'Google', clientId: 'g', clientSecret: 's', displayName: 'Google', attributeMapping: mapping });

  it('CreateIdentityProvider: pool, name, type, details and the validated mapping', () => {
    expect(toCreateIdentityProviderInput('eu-west-1_Silo', google)).toEqual({
      UserPoolId: 'eu-west-1_Silo',
      ProviderName: 'Google',
      ProviderType: 'Google',
      ProviderDetails: { client_id: 'g', client_secret: 's', authorize_scopes: 'openid email profile' },
      AttributeMapping: { email: 'email', given_name: 'given_name' },
    });
  });

  it('UpdateIdentityProvider carries no ProviderType (the API has none); DeleteIdentityProvider names pool and provider', () => {
    const update = toUpdateIdentityProviderInput('eu-west-1_Silo', google);
    expect(update).not.toHaveProperty('ProviderType');
    expect(update).toMatchObject({ UserPoolId: 'eu-west-1_Silo', ProviderName: 'Google' });
    expect(toDeleteIdentityProviderInput('eu-west-1_Silo', 'AcmeAD')).toEqual({ UserPoolId: 'eu-west-1_Silo', ProviderName: 'AcmeAD' });
  });
});

describe(toFederatedClientInput.name, () => {
  const settings = { callbackUrls: ['https://app.acme.example/callback'], logoutUrls: ['https://app.acme.example/'], providers: ['AcmeAD', 'Google'] };

  it('switches the tenant’s public client to the code flow with its providers, keeping COGNITO and every contract setting', () => {
    const clients = bridgeClientBlueprints(standardPool, 'acme', options);
    const input = toFederatedClientInput(standardPool, clients.public, 'eu-west-1_Std', 'public-client-id', settings);
    expect(input).toMatchObject({
      UserPoolId: 'eu-west-1_Std',
      ClientId: 'public-client-id',
      AllowedOAuthFlowsUserPoolClient: true,
      AllowedOAuthFlows: ['code'],
      AllowedOAuthScopes: ['openid', 'email', 'profile'],
      CallbackURLs: ['https://app.acme.example/callback'],
      LogoutURLs: ['https://app.acme.example/'],
      SupportedIdentityProviders: ['COGNITO', 'AcmeAD', 'Google'],
    });
    expect(input).not.toHaveProperty('GenerateSecret'); // not a field of UpdateUserPoolClient
    // Cognito resets what an update omits: everything the client was created with is sent again.
    const created = toCreateUserPoolClientInput(standardPool, clients.public, 'eu-west-1_Std');
    for (const field of ['ClientName', 'ExplicitAuthFlows', 'ReadAttributes', 'WriteAttributes', 'AccessTokenValidity', 'IdTokenValidity', 'RefreshTokenValidity', 'TokenValidityUnits', 'PreventUserExistenceErrors', 'EnableTokenRevocation', 'AuthSessionValidity'] as const) {
      expect(input[field], field).toEqual(created[field]);
    }
    expect(input.WriteAttributes).not.toContain('custom:tenantId');
    expect(input.AllowedOAuthFlows).not.toContain('implicit');
  });

  it('refuses to put the hosted UI on the confidential Gatehouse client', () => {
    expect(() => toFederatedClientInput(silo, silo.clients.gatehouse, 'eu-west-1_Silo', 'gh-client', settings)).toThrow(/may not use the hosted UI/);
  });
});

describe('hosted UI', () => {
  it('CreateUserPoolDomain with a per-tenant prefix', () => {
    expect(hostedUiDomainPrefix('gatehouse-prod', 'acme')).toBe('gatehouse-prod-acme');
    expect(toCreateUserPoolDomainInput('eu-west-1_Silo', 'gatehouse-prod-acme')).toEqual({ UserPoolId: 'eu-west-1_Silo', Domain: 'gatehouse-prod-acme' });
    expect(hostedUiBaseUrl('gatehouse-prod-acme', 'eu-west-1')).toBe('https://gatehouse-prod-acme.auth.eu-west-1.amazoncognito.com');
  });

  it('the authorize URL names the provider in identity_provider, code flow, the scopes', () => {
    const url = new URL(
      hostedSignInUrl({
        baseUrl: 'https://gatehouse-prod-acme.auth.eu-west-1.amazoncognito.com',
        clientId: 'public-client-id',
        provider: 'AcmeAD',
        redirectUri: 'https://app.acme.example/callback',
        scopes: ['openid', 'email', 'profile'],
      }),
    );
    expect(url.origin + url.pathname).toBe('https://gatehouse-prod-acme.auth.eu-west-1.amazoncognito.com/oauth2/authorize');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      response_type: 'code',
      client_id: 'public-client-id',
      redirect_uri: 'https://app.acme.example/callback',
      identity_provider: 'AcmeAD',
      scope: 'openid email profile',
    });
  });
});

/**
 * Tier moves copy a provider from one pool to another. The DescribeIdentityProvider answers below are the
 * "Describe response" examples of Cognito's API reference (IdentityProviderType.ProviderDetails), secrets included.
 */
describe(toFederatedProviderCopy.name, () => {
  const described = (type: string, details: Record<string, string>, extra: Record<string, unknown> = {}) => ({
    UserPoolId: 'eu-west-1_Source',
    ProviderName: type === 'SAML' || type === 'OIDC' ? 'acme-idp' : type,
    ProviderType: type as 'SAML',
    ProviderDetails: details,
    AttributeMapping: { email: 'email', username: 'sub' },
    ...extra,
  });

  it('OIDC: keeps the client secret and what Gatehouse wrote, drops the endpoints Cognito discovered', () => {
    const copy = toFederatedProviderCopy(
      described(
        'OIDC',
        {
          attributes_request_method: 'GET',
          attributes_url: 'https://auth.example.com/userInfo',
          attributes_url_add_attributes: 'false',
          authorize_scopes: 'openid profile email',
          authorize_url: 'https://auth.example.com/authorize',
          client_id: '1example23456789',
          client_secret: 'provider-app-client-secret',
          jwks_uri: 'https://auth.example.com/.well-known/jwks.json',
          oidc_issuer: 'https://auth.example.com',
          token_url: 'https://example.com/token',
        },
        { IdpIdentifiers: ['acme.example'] },
      ),
    );
    expect(copy).toEqual({
      name: 'acme-idp',
      type: 'OIDC',
      details: {
        attributes_request_method: 'GET',
        authorize_scopes: 'openid profile email',
        client_id: '1example23456789',
        client_secret: 'provider-app-client-secret',
        oidc_issuer: 'https://auth.example.com',
      },
      attributeMapping: { email: 'email', username: 'sub' },
      idpIdentifiers: ['acme.example'],
    });
  });

  it('SAML: keeps the metadata URL (not the document Cognito fetched) and the options; drops the certificate and binding URIs', () => {
    const copy = toFederatedProviderCopy(
      described('SAML', {
        IDPInit: 'true',
        IDPSignout: 'true',
        EncryptedResponses: 'true',
        ActiveEncryptionCertificate: '[certificate]',
        MetadataURL: 'https://auth.example.com/sso/saml/metadata',
        MetadataFile: '<EntityDescriptor/>',
        RequestSigningAlgorithm: 'rsa-sha256',
        SLORedirectBindingURI: 'https://auth.example.com/slo/saml',
        SSORedirectBindingURI: 'https://auth.example.com/sso/saml',
      }),
    );
    expect(copy.details).toEqual({
      IDPInit: 'true',
      IDPSignout: 'true',
      EncryptedResponses: 'true',
      MetadataURL: 'https://auth.example.com/sso/saml/metadata',
      RequestSigningAlgorithm: 'rsa-sha256',
    });
    expect(toFederatedProviderCopy(described('SAML', { IDPSignout: 'false', MetadataFile: '<EntityDescriptor/>' })).details).toEqual({
      IDPSignout: 'false',
      MetadataFile: '<EntityDescriptor/>',
    });
  });

  it('social providers: client id, secret and scopes (Facebook its API version too), nothing Cognito derived', () => {
    const google = toFederatedProviderCopy(
      described('Google', {
        attributes_url: 'https://people.googleapis.com/v1/people/me?personFields=',
        attributes_url_add_attributes: 'true',
        authorize_scopes: 'email profile openid',
        authorize_url: 'https://accounts.google.com/o/oauth2/v2/auth',
        client_id: '1example23456789.apps.googleusercontent.com',
        client_secret: 'provider-app-client-secret',
        oidc_issuer: 'https://accounts.google.com',
        token_request_method: 'POST',
        token_url: 'https://www.googleapis.com/oauth2/v4/token',
      }),
    );
    expect(google.details).toEqual({ authorize_scopes: 'email profile openid', client_id: '1example23456789.apps.googleusercontent.com', client_secret: 'provider-app-client-secret' });
    const facebook = toFederatedProviderCopy(
      described('Facebook', {
        api_version: 'v17.0',
        attributes_url: 'https://graph.facebook.com/v17.0/me?fields=',
        authorize_scopes: 'public_profile, email',
        client_id: '1example23456789',
        client_secret: 'provider-app-client-secret',
        token_request_method: 'GET',
      }),
    );
    expect(facebook.details).toEqual({ api_version: 'v17.0', authorize_scopes: 'public_profile, email', client_id: '1example23456789', client_secret: 'provider-app-client-secret' });
  });

  it('refuses Sign in with Apple (Cognito does not return its private key) and types Gatehouse does not manage, naming no value', () => {
    const apple = described('SignInWithApple', {
      authorize_scopes: 'email name',
      client_id: 'com.example.cognito',
      key_id: '1EXAMPLE',
      team_id: '2EXAMPLE',
      oidc_issuer: 'https://appleid.apple.com',
    });
    expect(() => toFederatedProviderCopy(apple)).toThrow(ProviderNotCopyable);
    expect(() => toFederatedProviderCopy(apple)).toThrow(/private_key/);
    const noSecret = described('Google', { client_id: 'g', authorize_scopes: 'openid' });
    expect(() => toFederatedProviderCopy(noSecret)).toThrow(/client_secret/);
    expect(() => toFederatedProviderCopy(described('SAML', { IDPSignout: 'true' }))).toThrow(/MetadataURL or MetadataFile/);
    const error = (() => {
      try {
        toFederatedProviderCopy(described('Twitter', { client_secret: 'do-not-show' }));
      } catch (caught) {
        return caught as Error;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(ProviderNotCopyable);
    expect(error?.message).not.toContain('do-not-show');
  });
});

describe('copy requests', () => {
  const copy = {
    name: 'acme-idp',
    type: 'OIDC' as const,
    details: { client_id: 'c', client_secret: 's', attributes_request_method: 'GET', oidc_issuer: 'https://idp.acme.example', authorize_scopes: 'openid email' },
    attributeMapping: { email: 'email', username: 'sub' },
    idpIdentifiers: ['acme.example'],
  };

  it('DescribeIdentityProvider names the pool and the provider', () => {
    expect(toDescribeIdentityProviderInput('eu-west-1_Source', 'acme-idp')).toEqual({ UserPoolId: 'eu-west-1_Source', ProviderName: 'acme-idp' });
  });

  it('CreateIdentityProvider on the target: same name, type, details, mapping and IdP identifiers', () => {
    expect(toCreateIdentityProviderCopyInput('eu-west-1_Target', copy)).toEqual({
      UserPoolId: 'eu-west-1_Target',
      ProviderName: 'acme-idp',
      ProviderType: 'OIDC',
      ProviderDetails: copy.details,
      AttributeMapping: { email: 'email', username: 'sub' },
      IdpIdentifiers: ['acme.example'],
    });
    expect(toCreateIdentityProviderCopyInput('eu-west-1_Target', { ...copy, idpIdentifiers: [] })).not.toHaveProperty('IdpIdentifiers');
  });

  it('UpdateIdentityProvider (a resumed copy): the same without ProviderType, identifiers always sent so the target ends with exactly the source’s', () => {
    const update = toUpdateIdentityProviderCopyInput('eu-west-1_Target', { ...copy, idpIdentifiers: [] });
    expect(update).toEqual({ UserPoolId: 'eu-west-1_Target', ProviderName: 'acme-idp', ProviderDetails: copy.details, AttributeMapping: copy.attributeMapping, IdpIdentifiers: [] });
    expect(update).not.toHaveProperty('ProviderType');
  });

  it('DeleteUserPoolDomain names the pool and its domain prefix', () => {
    expect(toDeleteUserPoolDomainInput('eu-west-1_Silo', 'gh-acme')).toEqual({ UserPoolId: 'eu-west-1_Silo', Domain: 'gh-acme' });
  });
});
