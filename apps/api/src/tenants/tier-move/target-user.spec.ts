import { describe, expect, it } from 'vitest';
import type { IdentityUser } from '../../identity/identity-provider.js';
import { hasPasswordToMove, targetUserAttributes } from './target-user.js';

const confirmed: IdentityUser = {
  username: 'gh1-opaque',
  sub: 'sub-source',
  email: 'ann@acme.test',
  emailVerified: true,
  enabled: true,
  status: 'CONFIRMED',
  attributes: { sub: 'sub-source', email: 'ann@acme.test', given_name: 'Ann', locale: 'fr', 'custom:tenantId': 'tenant-1', 'custom:tenantTier': 'basic', phone_number: '+3312345678' },
};

describe(hasPasswordToMove.name, () => {
  it('defers only confirmed, enabled users Gatehouse has not disabled: they have a password of their own', () => {
    expect(hasPasswordToMove(confirmed, 'active')).toBe(true);
    // Confirmed at Cognito directly, not seen by Gatehouse yet: the password is theirs all the same.
    expect(hasPasswordToMove(confirmed, 'pending')).toBe(true);
  });

  it('copies everyone else up front: invited users who never chose a password, identity-provider users, disabled users', () => {
    expect(hasPasswordToMove({ ...confirmed, status: 'FORCE_CHANGE_PASSWORD' }, 'pending')).toBe(false);
    expect(hasPasswordToMove({ ...confirmed, status: 'EXTERNAL_PROVIDER' }, 'active')).toBe(false);
    expect(hasPasswordToMove({ ...confirmed, enabled: false }, 'active')).toBe(false);
    expect(hasPasswordToMove(confirmed, 'disabled')).toBe(false);
  });
});

describe(targetUserAttributes.name, () => {
  const facts = { tenantId: 'tenant-1', targetTier: 'premium', fallbackEmail: 'fallback@acme.test' };

  it('keeps the profile and e-mail, writes the tenant attributes afresh with the target tier, nothing else', () => {
    expect(targetUserAttributes(confirmed, facts)).toEqual({
      email: 'ann@acme.test',
      email_verified: 'true',
      given_name: 'Ann',
      locale: 'fr',
      'custom:tenantId': 'tenant-1',
      'custom:tenantTier': 'premium',
    });
  });

  it('uses Gatehouse’s address when the source has none, and leaves an unverified address unverified', () => {
    const attributes = targetUserAttributes({ ...confirmed, email: undefined, emailVerified: false }, facts);
    expect(attributes['email']).toBe('fallback@acme.test');
    expect(attributes).not.toHaveProperty('email_verified');
  });
});
