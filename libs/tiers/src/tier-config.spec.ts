import { describe, expect, it } from 'vitest';
import { sharedPoolBlueprints, siloPoolBlueprint, TENANT_ROLES } from './pool-blueprint.js';
import { loadTierConfigurationFile } from './load.js';
import { TierConfigurationError, findTier, parseTierConfiguration, parseTierConfigurationJson } from './tier-config.js';

const options = { deployment: 'gatehouse-test', deletionProtection: true };

describe(parseTierConfiguration.name, () => {
  it('fills defaults for a minimal tier', () => {
    const sut = parseTierConfiguration({ tiers: [{ name: 'basic', model: 'pool' }] });
    expect(sut.tiers[0]).toMatchObject({
      name: 'basic',
      model: 'pool',
      mfa: 'OPTIONAL',
      passwordPolicy: { minimumLength: 10, requireNumbers: true },
      tokenValidity: { accessTokenMinutes: 60, refreshTokenDays: 30 },
    });
    expect(sut.operators.mfa).toBe('ON');
    expect(sut.operators.passwordPolicy.minimumLength).toBe(14);
  });

  it('rejects an unknown isolation model with a message naming the allowed ones', () => {
    expect(() => parseTierConfiguration({ tiers: [{ name: 'gold', model: 'shared' }] })).toThrow(
      /tiers\.0\.model: unknown isolation model "shared": expected one of silo, pool, bridge/,
    );
  });

  it('rejects duplicate and reserved tier names', () => {
    const attempt = () =>
      parseTierConfiguration({
        tiers: [
          { name: 'basic', model: 'pool' },
          { name: 'basic', model: 'bridge' },
          { name: 'operators', model: 'silo' },
        ],
      });
    expect(attempt).toThrow(TierConfigurationError);
    expect(attempt).toThrow(/duplicate tier name "basic"/);
    expect(attempt).toThrow(/"operators" is reserved/);
  });

  it('rejects unknown keys and weak password lengths', () => {
    expect(() => parseTierConfiguration({ tiers: [{ name: 'basic', model: 'pool', colour: 'red' }] })).toThrow(
      /colour/,
    );
    expect(() =>
      parseTierConfiguration({ tiers: [{ name: 'basic', model: 'pool', passwordPolicy: { minimumLength: 4 } }] }),
    ).toThrow(/passwordPolicy\.minimumLength/);
  });

  it('makes self sign-up an explicit boolean per tier, allowed unless a tier turns it off', () => {
    const sut = parseTierConfiguration({ tiers: [{ name: 'basic', model: 'pool' }, { name: 'gold', model: 'silo', selfSignUp: false }] });
    expect(sut.tiers.map((tier) => tier.selfSignUp)).toEqual([true, false]);
    expect(() => parseTierConfiguration({ tiers: [{ name: 'basic', model: 'pool', selfSignUp: 'yes' }] })).toThrow(/selfSignUp/);
  });

  it('reports malformed JSON clearly', () => {
    expect(() => parseTierConfigurationJson('{ tiers: ')).toThrow(/not valid JSON/);
  });
});

describe(sharedPoolBlueprints.name, () => {
  it('creates one pool per pooled or bridged tier plus the operators pool, none for silo tiers', () => {
    const sut = sharedPoolBlueprints(loadTierConfigurationFile(), options);
    expect(sut.map((pool) => pool.key)).toEqual(['basic', 'standard', 'operators']);
    const [basic, standard, operators] = sut;
    expect(basic?.sharedClients).toBe(true);
    expect(standard?.sharedClients).toBe(false);
    expect(basic?.selfSignUp).toBe(true);
    expect(operators?.selfSignUp).toBe(false);
    expect(basic?.groups).toEqual(TENANT_ROLES);
    expect(operators?.groups).toEqual(['platform-admin']);
    expect(operators?.mfa).toBe('ON');
    expect(sut.every((pool) => pool.deletionProtection)).toBe(true);
  });
});

describe(siloPoolBlueprint.name, () => {
  const config = loadTierConfigurationFile();

  it('names the pool after the tenant and applies per-tenant overrides', () => {
    const premium = findTier(config, 'premium');
    if (!premium) throw new Error('the default configuration has a premium tier');
    const sut = siloPoolBlueprint(premium, 'acme', options, { mfa: 'ON', passwordPolicy: { minimumLength: 16 } });
    expect(sut.poolName).toBe('gatehouse-test-tenant-acme');
    expect(sut.mfa).toBe('ON');
    expect(sut.passwordPolicy.minimumLength).toBe(16);
    expect(sut.passwordPolicy.requireUppercase).toBe(true);
    expect(sut.tags['gatehouse:tenant']).toBe('acme');
  });

  it('refuses to make a dedicated pool for a non-silo tier', () => {
    const basic = findTier(config, 'basic');
    if (!basic) throw new Error('the default configuration has a basic tier');
    expect(() => siloPoolBlueprint(basic, 'acme', options)).toThrow(/only silo tiers/);
  });
});
