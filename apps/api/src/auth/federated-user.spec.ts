import { describe, expect, it } from 'vitest';
import { tenantSnapshot } from './testing/tenant-snapshot.fixture.js';
import { federatedProviderOfUsername, identitiesListProvider, mayRebindFederatedUser, providerNameOfUsername } from './federated-user.js';

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

describe(providerNameOfUsername.name, () => {
  it('names the provider a `<provider>_<subject>` username belongs to, case-insensitively (copy_users leaves such users to Cognito)', () => {
    expect(providerNameOfUsername('acme-ad_12345', ['Google', 'acme-ad'])).toBe('acme-ad');
    expect(providerNameOfUsername('google_1029384756', ['Google'])).toBe('Google');
    expect(providerNameOfUsername('gh1-abcdef', ['Google'])).toBeUndefined();
    expect(providerNameOfUsername('acme-adx_1', ['acme-ad'])).toBeUndefined();
    expect(providerNameOfUsername('acme-ad_1', [])).toBeUndefined();
  });
});

describe(mayRebindFederatedUser.name, () => {
  const SOURCE = 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Source';
  const TARGET = 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Target';
  const tenant = (model: 'bridge' | 'silo' | 'pool', tier: string, issuer: string | null) =>
    tenantSnapshot({ id: '0b7c9a4e-0000-4000-8000-000000000003', slug: 'acme', model, tier, issuer, federatedProviders: [provider] });
  const silo = (issuer: string) => ({ issuer, pool: { kind: 'silo' as const, tenantId: '0b7c9a4e-0000-4000-8000-000000000003' } });
  const tierPool = (tier: string, model: 'bridge' | 'pool' = 'bridge') => ({ issuer: `https://issuer.test/${tier}`, pool: { kind: 'tier' as const, tier, model } });

  it('re-binds only for a token of the tenant’s current pool (after cut-over), never the other side of a move under way', () => {
    // Moved to a silo tier: its own pool's tokens.
    expect(mayRebindFederatedUser(tenant('silo', 'premium', TARGET), silo(TARGET))).toBe(true);
    // Moved to a bridge tier: the tier's shared pool.
    expect(mayRebindFederatedUser(tenant('bridge', 'standard', null), tierPool('standard'))).toBe(true);
    // Before cut-over the tenant is still the source's: a target token must not move the row (a cancel would strand it).
    expect(mayRebindFederatedUser(tenant('silo', 'premium', SOURCE), silo(TARGET))).toBe(false);
    expect(mayRebindFederatedUser(tenant('silo', 'premium', SOURCE), tierPool('standard'))).toBe(false);
    expect(mayRebindFederatedUser(tenant('bridge', 'standard', null), tierPool('standard-2'))).toBe(false);
    expect(mayRebindFederatedUser(tenant('pool', 'basic', null), tierPool('basic', 'pool'))).toBe(false);
    expect(mayRebindFederatedUser(tenant('bridge', 'standard', null), { issuer: 'x', pool: { kind: 'operators' } })).toBe(false);
  });
});
