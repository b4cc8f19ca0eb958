import { describe, expect, it } from 'vitest';
import {
  type AppClientBlueprint,
  TOKEN_EXCHANGE_AUTH_FLOW,
  bridgeClientBlueprints,
  sharedPoolBlueprints,
  siloPoolBlueprint,
} from './pool-blueprint.js';
import { parseTierConfiguration } from './tier-config.js';

const tiers = parseTierConfiguration({
  tiers: [
    { name: 'basic', model: 'pool' },
    { name: 'standard', model: 'bridge' },
    { name: 'premium', model: 'silo' },
  ],
});
const options = { deployment: 'gatehouse-test', deletionProtection: false };
const shared = sharedPoolBlueprints(tiers, options);
const standard = shared.find((blueprint) => blueprint.key === 'standard')!;
const premium = tiers.tiers.find((tier) => tier.name === 'premium')!;

/** Every client blueprint the mapping can produce: shared pools' clients, a silo pool's, a bridge tenant's. */
const everyClient: readonly AppClientBlueprint[] = [
  ...shared.flatMap((blueprint) => [blueprint.clients.public, blueprint.clients.gatehouse]),
  ...Object.values(siloPoolBlueprint(premium, 'acme', options).clients),
  ...Object.values(bridgeClientBlueprints(standard, 'globex', options)),
];

describe('app client blueprints and the tier-move token exchange (custom auth)', () => {
  it('never lets a public client start the custom flow: it has no secret, anyone could call it', () => {
    const publicClients = everyClient.filter((client) => client.role === 'public');
    expect(publicClients.length).toBeGreaterThanOrEqual(5);
    for (const client of publicClients) expect(client.authFlows).not.toContain(TOKEN_EXCHANGE_AUTH_FLOW);
  });

  it('allows it on the Gatehouse client of every tenant pool: tier pools, silo pools and bridge tenants', () => {
    const tenantGatehouseClients = everyClient.filter((client) => client.role === 'gatehouse' && !client.name.includes('-operators-'));
    expect(tenantGatehouseClients.map((client) => client.name).sort()).toEqual([
      'gatehouse-test-basic-gatehouse',
      'gatehouse-test-standard-gatehouse',
      'gatehouse-test-tenant-acme-gatehouse',
      'gatehouse-test-tenant-globex-gatehouse',
    ]);
    for (const client of tenantGatehouseClients) {
      expect(client.generateSecret).toBe(true);
      expect(client.authFlows).toContain(TOKEN_EXCHANGE_AUTH_FLOW);
    }
  });

  it('keeps it off the operators’ Gatehouse client (operators never move between tiers)', () => {
    const operators = shared.find((blueprint) => blueprint.kind === 'operators')!;
    expect(operators.clients.gatehouse.authFlows).not.toContain(TOKEN_EXCHANGE_AUTH_FLOW);
  });
});
