import { describe, expect, it } from 'vitest';
import { IssuerRegistry, type MovingWith, type SharedPoolSource } from './issuer-registry.js';
import { tenantSnapshot } from './testing/tenant-snapshot.fixture.js';

const BASIC = 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_basic';
const STANDARD = 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_standard';
const SILO = 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_acme';

const shared: SharedPoolSource[] = [
  { key: 'basic', issuer: BASIC, clientIds: ['basic-client'], pool: { kind: 'tier', tier: 'basic', model: 'pool' } },
  { key: 'standard', issuer: STANDARD, clientIds: [], pool: { kind: 'tier', tier: 'standard', model: 'bridge' } },
];

const movingTo = (model: MovingWith['model'], issuer: string): MovingWith => ({
  tier: model === 'silo' ? 'premium' : 'standard',
  model,
  region: 'us-east-1',
  userPoolId: issuer.split('/').at(-1)!,
  issuer,
  clientId: `${model}-public`,
  gatehouseClientId: `${model}-gatehouse`,
  direction: 'target',
});

describe(`${IssuerRegistry.name} during a tier move`, () => {
  it('trusts a pool tenant’s silo target for that tenant, with its own clients only, and forgets it when the move lets go', () => {
    const sut = new IssuerRegistry(shared, () => true);
    const appClients = [{ clientId: 'silo-public', issuer: SILO, userPoolId: 'us-east-1_acme' }];
    sut.upsertTenant('t1', tenantSnapshot({ id: 't1', slug: 'acme', model: 'pool', issuer: BASIC, appClients, movingWith: movingTo('silo', SILO) }));
    const silo = sut.issuer(SILO);
    expect(silo?.kind === 'cognito' && silo.pool).toEqual({ kind: 'silo', tenantId: 't1' });
    expect(silo?.kind === 'cognito' && [...silo.clients.entries()]).toEqual([['silo-public', 't1']]);
    sut.upsertTenant('t1', tenantSnapshot({ id: 't1', slug: 'acme', model: 'pool', issuer: BASIC, appClients, movingWith: null }));
    expect(sut.issuer(SILO)).toBeUndefined();
    expect(sut.issuer(BASIC)).toBeDefined();
  });

  it('maps a bridge target’s clients to the tenant inside the bridge tier’s pool, and only the clients of that pool', () => {
    const sut = new IssuerRegistry(shared, () => true);
    const appClients = [
      { clientId: 'bridge-public', issuer: STANDARD, userPoolId: 'us-east-1_standard' },
      { clientId: 'silo-public', issuer: SILO, userPoolId: 'us-east-1_acme' },
    ];
    sut.upsertTenant('t1', tenantSnapshot({ id: 't1', slug: 'acme', model: 'silo', issuer: SILO, appClients, movingWith: movingTo('bridge', STANDARD) }));
    const standard = sut.issuer(STANDARD);
    expect(standard?.kind === 'cognito' && standard.clients.get('bridge-public')).toBe('t1');
    expect(standard?.kind === 'cognito' && standard.clients.has('silo-public')).toBe(false);
    expect(sut.issuer(SILO)?.kind === 'cognito' && (sut.issuer(SILO) as { clients: Map<string, string> }).clients.get('silo-public')).toBe('t1');
    sut.upsertTenant('t1', null);
    expect(standard?.kind === 'cognito' && standard.clients.has('bridge-public')).toBe(false);
    expect(sut.issuer(SILO)).toBeUndefined();
  });
});
