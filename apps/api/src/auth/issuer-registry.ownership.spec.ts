/**
 * Issuer ownership in the registry: removing or refreshing one tenant must only
 * ever drop issuer entries that tenant still owns, and a silo pool must never
 * take over a configured shared pool's issuer. Otherwise a tenant whose external
 * provider names another tenant's silo issuer (or a misconfigured silo row)
 * can, through ordinary refreshes, delete that issuer from the allow-list and
 * then own it with its own JWKS.
 */
import { describe, expect, it } from 'vitest';
import { IssuerRegistry, type SharedPoolSource, type TenantSnapshot } from './issuer-registry.js';
import { tenantSnapshot } from './testing/tenant-snapshot.fixture.js';

const BASIC = 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_basic';
const SILO = 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_siloE';

const shared: SharedPoolSource[] = [
  { key: 'basic', issuer: BASIC, clientIds: ['basic-client'], pool: { kind: 'tier', tier: 'basic', model: 'pool' } },
];

const snapshot = tenantSnapshot;

const silo = (status: TenantSnapshot['status'] = 'active') =>
  snapshot({
    id: 'e',
    slug: 'e',
    model: 'silo',
    tier: 'premium',
    status,
    userPoolId: 'us-east-1_siloE',
    issuer: SILO,
    appClients: [{ clientId: 'e-client', issuer: SILO, userPoolId: 'us-east-1_siloE' }],
  });
const squatter = () =>
  snapshot({
    id: 'x',
    slug: 'x',
    model: 'pool',
    identityProviders: [{ issuer: SILO, audience: 'x-aud', jwksUri: 'https://attacker.test/jwks.json', claimMapping: {}, enabled: true }],
  });

describe('IssuerRegistry issuer ownership', () => {
  it('a silo tenant activated after another tenant’s provider claimed its issuer keeps it through that tenant’s refreshes', () => {
    const sut = new IssuerRegistry(shared, () => true);
    sut.upsertTenant('e', silo('provisioning'));
    sut.upsertTenant('x', squatter());
    expect(sut.issuer(SILO)).toMatchObject({ kind: 'external', tenantId: 'x' });

    sut.upsertTenant('e', silo());
    expect(sut.issuer(SILO)).toMatchObject({ kind: 'cognito', pool: { kind: 'silo', tenantId: 'e' } });

    // Refreshing (or deleting) the squatter must not drop the silo's issuer, nor hand it back to the squatter.
    sut.upsertTenant('x', squatter());
    expect(sut.issuer(SILO)).toMatchObject({ kind: 'cognito', pool: { kind: 'silo', tenantId: 'e' } });
    sut.upsertTenant('x', null);
    expect(sut.issuer(SILO)).toMatchObject({ kind: 'cognito', pool: { kind: 'silo', tenantId: 'e' } });

    sut.upsertTenant('e', null);
    expect(sut.issuer(SILO)).toBeUndefined();
  });

  it('a silo row naming a configured shared pool’s issuer neither takes it over nor removes it', () => {
    const sut = new IssuerRegistry(shared, () => true);
    sut.upsertTenant('m', snapshot({ id: 'm', slug: 'm', model: 'silo', issuer: BASIC, appClients: [{ clientId: 'm-client', issuer: BASIC, userPoolId: 'us-east-1_basic' }] }));
    expect(sut.issuer(BASIC)).toMatchObject({ kind: 'cognito', pool: { kind: 'tier', tier: 'basic' } });
    const basic = sut.issuer(BASIC);
    expect(basic?.kind === 'cognito' && [...basic.clients.keys()]).toEqual(['basic-client']);

    sut.upsertTenant('m', null);
    expect(sut.issuer(BASIC)).toMatchObject({ kind: 'cognito', pool: { kind: 'tier', tier: 'basic' } });
  });

  it('a second silo row with another silo’s issuer neither takes it over nor removes it', () => {
    const sut = new IssuerRegistry(shared, () => true);
    sut.upsertTenant('e', silo());
    sut.upsertTenant('f', snapshot({ id: 'f', slug: 'f', model: 'silo', issuer: SILO, appClients: [{ clientId: 'f-client', issuer: SILO, userPoolId: 'us-east-1_siloE' }] }));
    expect(sut.issuer(SILO)).toMatchObject({ pool: { kind: 'silo', tenantId: 'e' } });
    sut.upsertTenant('f', null);
    expect(sut.issuer(SILO)).toMatchObject({ pool: { kind: 'silo', tenantId: 'e' } });
  });
});
