/** A tenant snapshot for unit specs of the registry and route hints: an active pool-model tenant unless overridden. */
import type { TenantSnapshot } from '../issuer-registry.js';

export function tenantSnapshot(overrides: Partial<TenantSnapshot> & Pick<TenantSnapshot, 'id' | 'slug'>): TenantSnapshot {
  return {
    name: overrides.slug,
    tier: 'basic',
    model: 'pool',
    status: 'active',
    region: 'us-east-1',
    userPoolId: null,
    issuer: null,
    hosts: [],
    emailDomains: [],
    appClients: [],
    identityProviders: [],
    mfaPolicy: 'optional',
    ...overrides,
  };
}
