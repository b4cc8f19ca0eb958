import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { deriveSignInUsername, SIGN_IN_USERNAME_PREFIX } from './sign-in-username.js';

const TENANT_A = '7b0e3c1e-2f57-4a55-9d43-6f7a3c1a0001';
const TENANT_B = '7b0e3c1e-2f57-4a55-9d43-6f7a3c1a0002';

describe(deriveSignInUsername.name, () => {
  const sut = deriveSignInUsername;

  it('is the documented formula: gh1- + hex SHA-256 of "<tenant>:<e-mail>"', () => {
    const expected = createHash('sha256').update(`${TENANT_A}:ann@example.com`).digest('hex');
    expect(sut(TENANT_A, 'ann@example.com')).toBe(`gh1-${expected}`);
  });

  it('normalises the e-mail (trim, lower case) and the tenant id', () => {
    expect(sut(TENANT_A.toUpperCase(), '  Ann@Example.COM ')).toBe(sut(TENANT_A, 'ann@example.com'));
  });

  it('gives one address unrelated usernames in two tenants and never contains the address', () => {
    const a = sut(TENANT_A, 'ann@example.com');
    const b = sut(TENANT_B, 'ann@example.com');
    expect(a).not.toBe(b);
    expect(a).not.toContain('ann');
    expect(a).toMatch(new RegExp(`^${SIGN_IN_USERNAME_PREFIX}[0-9a-f]{64}$`));
  });

  it('fits Cognito usernames (at most 128 characters, no "@" so it cannot be mistaken for an e-mail alias)', () => {
    const username = sut(TENANT_A, 'a-very-long-address.with.parts@sub.domain.example.com');
    expect(username.length).toBeLessThanOrEqual(128);
    expect(username).not.toContain('@');
  });
});
