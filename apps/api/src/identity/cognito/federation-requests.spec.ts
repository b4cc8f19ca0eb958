/**
 * The exact Cognito requests for SSO through Cognito, against the shapes in Cognito's API reference
 * (CreateIdentityProvider, UpdateIdentityProvider, DeleteIdentityProvider, UpdateUserPoolClient,
 * CreateUserPoolDomain, the /oauth2/authorize endpoint). The emulator has none of them.
 */
import { bridgeClientBlueprints, parseTierConfigurationJson, sharedPoolBlueprints, siloPoolBlueprint } from '@gatehouse/tiers';
import { describe, expect, it } from 'vitest';
import { federatedProviderSchema } from '../../tenants/federation/federated-provider.js';
import {
  hostedSignInUrl,
  hostedUiBaseUrl,
  hostedUiDomainPrefix,
  toCreateIdentityProviderInput,
  toCreateUserPoolDomainInput,
  toDeleteIdentityProviderInput,
  toFederatedClientInput,
  toProviderDetails,
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
