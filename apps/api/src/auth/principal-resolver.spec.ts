import { describe, expect, it } from 'vitest';
import { effectiveRoles } from './principal-resolver.js';

describe(effectiveRoles.name, () => {
  it('takes tenant roles from the token’s groups, highest first', () => {
    expect(effectiveRoles(['viewer', 'admin', 'unrelated'], 'admin')).toEqual(['admin', 'viewer']);
  });

  it('never grants platform-admin from a tenant pool', () => {
    expect(effectiveRoles(['platform-admin'], 'viewer')).toEqual(['viewer']);
  });

  it('caps the token’s roles at the role Gatehouse holds, so a demotion applies before the token expires', () => {
    expect(effectiveRoles(['admin'], 'member')).toEqual(['member']);
    expect(effectiveRoles(['admin', 'member'], 'member')).toEqual(['member']);
  });

  it('falls back to the stored role when the token names none', () => {
    expect(effectiveRoles([], 'member')).toEqual(['member']);
  });
});
