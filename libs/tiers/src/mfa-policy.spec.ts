import { describe, expect, it } from 'vitest';
import { allowedMfaPolicies, defaultMfaPolicy, mfaSettingForPolicy, parseMfaPolicy } from './mfa-policy.js';

describe('MFA policy', () => {
  it('maps each policy to the silo pool setting that carries it', () => {
    expect(['off', 'optional', 'required'].map((policy) => mfaSettingForPolicy(policy as 'off'))).toEqual(['OFF', 'OPTIONAL', 'ON']);
    expect(defaultMfaPolicy({ mfa: 'ON' })).toBe('required');
  });

  it('lets silo tenants and OPTIONAL shared pools have any policy, and fixed shared pools only theirs', () => {
    expect(allowedMfaPolicies({ model: 'silo', mfa: 'OFF' })).toEqual(['off', 'optional', 'required']);
    expect(allowedMfaPolicies({ model: 'pool', mfa: 'OPTIONAL' })).toEqual(['off', 'optional', 'required']);
    expect(allowedMfaPolicies({ model: 'bridge', mfa: 'OFF' })).toEqual(['off']);
    expect(allowedMfaPolicies({ model: 'pool', mfa: 'ON' })).toEqual(['required']);
  });

  it('reads an unknown stored value as required (fail closed)', () => {
    expect(parseMfaPolicy('optional')).toBe('optional');
    expect(parseMfaPolicy('ON')).toBe('required');
    expect(parseMfaPolicy(null)).toBe('required');
  });
});
