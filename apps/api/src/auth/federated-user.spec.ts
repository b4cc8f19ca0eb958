import { describe, expect, it } from 'vitest';
import { tenantSnapshot } from './testing/tenant-snapshot.fixture.js';
import { federatedProviderOfUsername, identitiesListProvider } from './federated-user.js';

const provider = { name: 'acme-ad', displayName: 'Acme AD', defaultRole: 'viewer' as const, callbackUrls: ['https://a.example/cb'], hostedUiDomain: 'gh-acme' };
const google = { ...provider, name: 'Google', displayName: 'Google', defaultRole: 'member' as const };

describe(federatedProviderOfUsername.name, () => {
  const sut = federatedProviderOfUsername;
  const tenant = tenantSnapshot({ id: '0b7c9a4e-0000-4000-8000-000000000002', slug: 'acme', model: 'bridge', federatedProviders: [provider, google] });

  it('finds the tenant’s provider from `<provider>_<subject>` (Cognito lower-cases social names)', () => {
    expect(sut(tenant, 'acme-ad_12345')).toBe(provider);
    expect(sut(tenant, 'google_1029384756_x')).toBe(google);
  });

  it('finds none for Gatehouse’s own usernames, other tenants’ providers or malformed names', () => {
    expect(sut(tenant, 'gh1-abcdef')).toBeUndefined();
    expect(sut(tenant, 'Facebook_123')).toBeUndefined();
    expect(sut(tenant, '_123')).toBeUndefined();
    expect(sut(tenant, 'acme-ad_')).toBeUndefined();
    expect(sut(tenantSnapshot({ id: '0b7c9a4e-0000-4000-8000-000000000002', slug: 'acme', model: 'bridge' }), 'acme-ad_1')).toBeUndefined();
  });
});

describe(identitiesListProvider.name, () => {
  const sut = identitiesListProvider;

  it('accepts Cognito’s identities attribute naming the provider', () => {
    expect(sut('[{"userId":"123","providerName":"acme-ad","providerType":"SAML","primary":true}]', 'acme-ad')).toBe(true);
    expect(sut('[{"userId":"1","providerName":"Google"}]', 'google')).toBe(true);
  });

  it('refuses a missing, malformed or other provider’s attribute', () => {
    expect(sut(undefined, 'acme-ad')).toBe(false);
    expect(sut('not json', 'acme-ad')).toBe(false);
    expect(sut('{"providerName":"acme-ad"}', 'acme-ad')).toBe(false);
    expect(sut('[{"providerName":"other"}]', 'acme-ad')).toBe(false);
  });
});
