import { describe, expect, it } from 'vitest';
import { type PreTokenGenerationV2Event, handler, strongestRole, tenantClaims } from './pre-token-generation.js';

function event(attributes: Record<string, string>, groups: string[] = []): PreTokenGenerationV2Event {
  return {
    version: '2',
    triggerSource: 'TokenGeneration_Authentication',
    userPoolId: 'eu-west-1_pool',
    request: { userAttributes: attributes, groupConfiguration: { groupsToOverride: groups } },
    response: { claimsAndScopeOverrideDetails: null },
  };
}

const TENANT = '7d4f9a52-1c0e-4a7b-9d2e-5f1a3b6c8e90';

describe('pre-token-generation trigger (V2)', () => {
  it('puts tenant id, tier and the strongest role into the access token', async () => {
    const result = await handler(event({ sub: 's', email: 'a@b.example', 'custom:tenantId': TENANT, 'custom:tenantTier': 'basic' }, ['viewer', 'admin']));
    expect(result.response.claimsAndScopeOverrideDetails?.accessTokenGeneration).toEqual({
      claimsToAddOrOverride: { 'custom:tenantId': TENANT, 'custom:tenantTier': 'basic', 'custom:role': 'admin' },
      claimsToSuppress: [],
    });
    expect(result.response.claimsAndScopeOverrideDetails?.idTokenGeneration).toEqual({ claimsToAddOrOverride: { 'custom:role': 'admin' } });
  });

  it('takes the tenant only from the immutable tenant attributes, never from other (user-writable) attributes', () => {
    const claims = tenantClaims(
      event({ 'custom:tenantId': TENANT, 'custom:tenantTier': 'basic', 'custom:role': 'admin', name: 'custom:tenantId=other', 'custom:tenant': 'x' }, ['member']),
    );
    expect(claims.add).toEqual({ 'custom:tenantId': TENANT, 'custom:tenantTier': 'basic', 'custom:role': 'member' });
  });

  it('suppresses every tenant claim for a user with no tenant, and a tier without a tenant', () => {
    expect(tenantClaims(event({ 'custom:tenantTier': 'basic' }, []))).toEqual({
      add: {},
      suppress: ['custom:tenantId', 'custom:tenantTier', 'custom:role'],
    });
  });

  it('ignores implausible attribute values instead of copying them into tokens', () => {
    const claims = tenantClaims(event({ 'custom:tenantId': 'a b\u0000c', 'custom:tenantTier': 'basic' }, ['member']));
    expect(claims.add).toEqual({ 'custom:role': 'member' });
    expect(claims.suppress).toEqual(['custom:tenantId', 'custom:tenantTier']);
  });

  it('gives operators their role and no tenant', () => {
    expect(tenantClaims(event({ email: 'op@example.com' }, ['platform-admin'])).add).toEqual({ 'custom:role': 'platform-admin' });
  });

  it('ranks roles admin > member > viewer and ignores groups that are not roles', () => {
    expect(strongestRole(['viewer', 'member'])).toBe('member');
    expect(strongestRole(['billing', 'viewer'])).toBe('viewer');
    expect(strongestRole(['billing'])).toBeUndefined();
    expect(strongestRole(undefined)).toBeUndefined();
  });
});
