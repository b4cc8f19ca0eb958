import { SIGN_IN_USERNAME_FORMAT } from '@gatehouse/tiers';
import { describe, expect, it } from 'vitest';
import { tenantSnapshot } from '../auth/testing/tenant-snapshot.fixture.js';
import type { TenantIdentity } from './tenant-identity.js';
import { lookupCognito, lookupCognitoHostedSso } from './tenant-lookup.view.js';

const TENANT_ID = '0b7c9a4e-0000-4000-8000-000000000001';

function target(overrides: Parameters<typeof tenantSnapshot>[0]): TenantIdentity {
  const tenant = tenantSnapshot(overrides);
  return {
    tenant,
    pool: { userPoolId: 'eu-west-1_Pool', region: 'eu-west-1' },
    client: { userPoolId: 'eu-west-1_Pool', region: 'eu-west-1', clientId: 'confidential' },
    publicClient: { userPoolId: 'eu-west-1_Pool', region: 'eu-west-1', clientId: 'public' },
    issuer: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Pool',
    passwordPolicy: {} as TenantIdentity['passwordPolicy'],
    selfSignUp: true,
  };
}

describe(lookupCognito.name, () => {
  const sut = lookupCognito;

  it('gives the public client, never the confidential one, and SRP + refresh in AWS, with no endpoint', () => {
    const cognito = sut(target({ id: TENANT_ID, slug: 'acme' }), { mode: 'aws', cognitoEndpoint: 'http://127.0.0.1:9229' });
    expect(cognito).toMatchObject({ clientId: 'public', userPoolId: 'eu-west-1_Pool', region: 'eu-west-1', authFlows: ['ALLOW_USER_SRP_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'] });
    expect(cognito).not.toHaveProperty('endpoint');
  });

  it('locally gives the emulator’s URL and USER_PASSWORD_AUTH (the emulator has no SRP)', () => {
    const cognito = sut(target({ id: TENANT_ID, slug: 'acme' }), { mode: 'local', cognitoEndpoint: 'http://127.0.0.1:9229/' });
    expect(cognito.endpoint).toBe('http://127.0.0.1:9229');
    expect(cognito.authFlows).toEqual(['ALLOW_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH']);
  });

  it.each(['pool', 'bridge'] as const)('tells a %s tenant’s clients to derive the username from tenant + e-mail', (model) => {
    expect(sut(target({ id: TENANT_ID, slug: 'acme', model, signInAliases: ['email'] }), { mode: 'aws' }).signIn).toEqual({
      usernameKind: 'tenant-email',
      namespace: TENANT_ID,
      format: SIGN_IN_USERNAME_FORMAT,
    });
  });

  it('offers the e-mail itself for a silo pool created with the alias, in AWS only (the emulator ignores aliases)', () => {
    const silo = target({ id: TENANT_ID, slug: 'acme', model: 'silo', signInAliases: ['email'] });
    expect(sut(silo, { mode: 'aws' }).signIn.usernameKind).toBe('email');
    expect(sut(silo, { mode: 'local', cognitoEndpoint: 'http://127.0.0.1:9229' }).signIn.usernameKind).toBe('tenant-email');
  });

  it('during a tier move in AWS: USER_PASSWORD_AUTH first (the user-migration trigger needs the password) and the username, not the alias', () => {
    const movingWith = { tier: 'premium', model: 'silo' as const, region: 'eu-west-1', userPoolId: 'eu-west-1_T', issuer: 'https://x/eu-west-1_T', clientId: 'p', gatehouseClientId: 'g' };
    const moving = target({ id: TENANT_ID, slug: 'acme', model: 'silo', signInAliases: ['email'], movingWith: { ...movingWith, direction: 'source' } });
    expect(sut(moving, { mode: 'aws' }).authFlows).toEqual(['ALLOW_USER_PASSWORD_AUTH', 'ALLOW_USER_SRP_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH']);
    expect(sut(moving, { mode: 'aws' }).signIn.usernameKind).toBe('tenant-email');
    // A cancelled move being rolled back: nobody is migrated any more.
    const rollingBack = target({ id: TENANT_ID, slug: 'acme', movingWith: { ...movingWith, direction: 'abandoned' } });
    expect(sut(rollingBack, { mode: 'aws' }).authFlows).toEqual(['ALLOW_USER_SRP_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH']);
  });

  it('does not promise the alias for a silo pool created before aliases existed', () => {
    expect(sut(target({ id: TENANT_ID, slug: 'acme', model: 'silo' }), { mode: 'aws' }).signIn.usernameKind).toBe('tenant-email');
  });
});

describe(lookupCognitoHostedSso.name, () => {
  const sut = lookupCognitoHostedSso;
  const provider = { name: 'acme-ad', displayName: 'Acme AD', defaultRole: 'member' as const, callbackUrls: ['https://acme.example/cb', 'https://other.example/cb'], hostedUiDomain: 'gh-acme' };

  it.each(['bridge', 'silo'] as const)('gives a %s tenant the hosted authorize URL of its public client, straight to the provider', (model) => {
    const [entry, ...rest] = sut(target({ id: TENANT_ID, slug: 'acme', model, federatedProviders: [provider] }));
    expect(rest).toEqual([]);
    expect(entry).toMatchObject({ kind: 'cognito-hosted', provider: 'acme-ad', name: 'Acme AD' });
    const url = new URL(entry!.url);
    expect(url.origin + url.pathname).toBe('https://gh-acme.auth.eu-west-1.amazoncognito.com/oauth2/authorize');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      response_type: 'code',
      client_id: 'public',
      redirect_uri: 'https://acme.example/cb',
      identity_provider: 'acme-ad',
      scope: 'openid email profile',
    });
  });

  it('never offers one for the pool model, and none when there is no provider', () => {
    expect(sut(target({ id: TENANT_ID, slug: 'acme', model: 'pool', federatedProviders: [provider] }))).toEqual([]);
    expect(sut(target({ id: TENANT_ID, slug: 'acme', model: 'bridge' }))).toEqual([]);
  });
});
