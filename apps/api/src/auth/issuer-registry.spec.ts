import { describe, expect, it } from 'vitest';
import { IssuerRegistry, type SharedPoolSource } from './issuer-registry.js';
import { tenantSnapshot } from './testing/tenant-snapshot.fixture.js';

const BASIC = 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_basic';
const STANDARD = 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_standard';
const OPERATORS = 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_ops';

const shared: SharedPoolSource[] = [
  { key: 'basic', issuer: BASIC, clientIds: ['basic-client'], pool: { kind: 'tier', tier: 'basic', model: 'pool' } },
  { key: 'standard', issuer: STANDARD, clientIds: [], pool: { kind: 'tier', tier: 'standard', model: 'bridge' } },
  { key: 'operators', issuer: OPERATORS, clientIds: ['ops-client'], pool: { kind: 'operators' } },
];

const snapshot = tenantSnapshot;

const acceptAll = () => true;

describe(IssuerRegistry.name, () => {
  it('trusts the configured shared pools with their shared clients only', () => {
    const sut = new IssuerRegistry(shared, acceptAll);
    const basic = sut.issuer(BASIC);
    expect(basic?.kind).toBe('cognito');
    expect(basic?.kind === 'cognito' && [...basic.clients.entries()]).toEqual([['basic-client', null]]);
    expect(sut.issuer(STANDARD)?.kind === 'cognito' && sut.issuer(STANDARD)?.algorithms).toEqual(['RS256']);
    expect(sut.issuer('https://evil.example/us-east-1_basic')).toBeUndefined();
  });

  it('adds a silo tenant’s issuer with its clients, and removes exactly that on suspension-free deletion', () => {
    const sut = new IssuerRegistry(shared, acceptAll);
    const silo = 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_acme';
    sut.upsertTenant('t1', snapshot({ id: 't1', slug: 'acme', model: 'silo', issuer: silo, appClients: [{ clientId: 'acme-client', issuer: silo, userPoolId: 'eu-west-1_acme' }] }));
    const entry = sut.issuer(silo);
    expect(entry?.kind === 'cognito' && entry.pool).toEqual({ kind: 'silo', tenantId: 't1' });
    expect(entry?.kind === 'cognito' && entry.clients.get('acme-client')).toBe('t1');
    sut.upsertTenant('t1', snapshot({ id: 't1', slug: 'acme', model: 'silo', issuer: silo, status: 'deleted' }));
    expect(sut.issuer(silo)).toBeUndefined();
    expect(sut.tenant('t1')).toBeUndefined();
    expect(sut.issuer(BASIC)).toBeDefined();
  });

  it('maps a bridge tenant’s client inside the shared bridge pool, and never into a pool-model pool', () => {
    const sut = new IssuerRegistry(shared, acceptAll);
    sut.upsertTenant(
      't2',
      snapshot({
        id: 't2',
        slug: 'globex',
        model: 'bridge',
        appClients: [
          { clientId: 'globex-client', issuer: STANDARD, userPoolId: 'us-east-1_standard' },
          { clientId: 'sneaky-client', issuer: BASIC, userPoolId: 'us-east-1_basic' },
        ],
      }),
    );
    const standard = sut.issuer(STANDARD);
    const basic = sut.issuer(BASIC);
    expect(standard?.kind === 'cognito' && standard.clients.get('globex-client')).toBe('t2');
    expect(basic?.kind === 'cognito' && basic.clients.has('sneaky-client')).toBe(false);
    sut.upsertTenant('t2', null);
    expect(standard?.kind === 'cognito' && standard.clients.has('globex-client')).toBe(false);
  });

  it('keeps suspended tenants (to refuse them clearly) and drops provisioning, failed and deleted ones', () => {
    const sut = new IssuerRegistry(shared, acceptAll);
    sut.upsertTenant('s', snapshot({ id: 's', slug: 'sus', model: 'pool', status: 'suspended' }));
    sut.upsertTenant('p', snapshot({ id: 'p', slug: 'prov', model: 'pool', status: 'provisioning' }));
    sut.upsertTenant('f', snapshot({ id: 'f', slug: 'fail', model: 'pool', status: 'failed' }));
    expect(sut.tenant('s')?.status).toBe('suspended');
    expect(sut.tenant('p')).toBeUndefined();
    expect(sut.tenant('f')).toBeUndefined();
  });

  it('never lets an external issuer shadow a Cognito pool or another tenant’s provider', () => {
    const sut = new IssuerRegistry(shared, acceptAll);
    const provider = (issuer: string) => ({ issuer, audience: 'aud', jwksUri: `${issuer}/jwks`, claimMapping: {}, enabled: true });
    sut.upsertTenant('a', snapshot({ id: 'a', slug: 'a', model: 'pool', identityProviders: [provider('https://idp.a.test')] }));
    sut.upsertTenant('b', snapshot({ id: 'b', slug: 'b', model: 'pool', identityProviders: [provider('https://idp.a.test'), provider(BASIC)] }));
    const entry = sut.issuer('https://idp.a.test');
    expect(entry?.kind === 'external' && entry.tenantId).toBe('a');
    expect(sut.issuer(BASIC)?.kind).toBe('cognito');
  });

  it('refuses issuers the mode does not accept', () => {
    const onlyAws = (issuer: string) => issuer.startsWith('https://cognito-idp.');
    const sut = new IssuerRegistry([...shared, { key: 'x', issuer: 'http://127.0.0.1:9229/local_x', clientIds: ['c'], pool: { kind: 'tier', tier: 'x', model: 'pool' } }], onlyAws);
    expect(sut.issuer('http://127.0.0.1:9229/local_x')).toBeUndefined();
    sut.upsertTenant('e', snapshot({ id: 'e', slug: 'e', model: 'silo', issuer: 'http://127.0.0.1:9229/local_e' }));
    expect(sut.issuer('http://127.0.0.1:9229/local_e')).toBeUndefined();
  });

  it('looks tenants up by slug, host and e-mail domain, case-insensitively, and forgets old ones on change', () => {
    const sut = new IssuerRegistry(shared, acceptAll);
    sut.upsertTenant('h', snapshot({ id: 'h', slug: 'hooli', model: 'pool', hosts: ['login.hooli.test'], emailDomains: ['hooli.test'] }));
    expect(sut.tenantBySlug('HOOLI')?.id).toBe('h');
    expect(sut.tenantByHost('Login.Hooli.Test')?.id).toBe('h');
    expect(sut.tenantByEmailDomain('hooli.test')?.id).toBe('h');
    sut.upsertTenant('h', snapshot({ id: 'h', slug: 'hooli', model: 'pool', hosts: ['sso.hooli.test'] }));
    expect(sut.tenantByHost('login.hooli.test')).toBeUndefined();
    expect(sut.tenantByEmailDomain('hooli.test')).toBeUndefined();
    expect(sut.tenantByHost('sso.hooli.test')?.id).toBe('h');
  });
});
