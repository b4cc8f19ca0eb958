import { describe, expect, it } from 'vitest';
import { challengeFor, challengeMet, emailDomainOf, newVerificationToken } from './domain-challenge.js';

describe(challengeFor.name, () => {
  it('names the record under _gatehouse-challenge and carries the token', () => {
    expect(challengeFor('acme.test', 'abc')).toEqual({ name: '_gatehouse-challenge.acme.test', type: 'TXT', value: 'gatehouse-domain-verification=abc' });
  });
});

describe(challengeMet.name, () => {
  const expected = challengeFor('acme.test', 'tok-1');

  it('accepts the exact value among other records', () => {
    expect(challengeMet(['v=spf1 -all', ' gatehouse-domain-verification=tok-1 '], expected)).toBe(true);
  });

  it('refuses another tenant’s token, a prefix, a suffix and an empty answer', () => {
    expect(challengeMet(['gatehouse-domain-verification=tok-2'], expected)).toBe(false);
    expect(challengeMet(['gatehouse-domain-verification=tok-'], expected)).toBe(false);
    expect(challengeMet(['gatehouse-domain-verification=tok-1x'], expected)).toBe(false);
    expect(challengeMet([], expected)).toBe(false);
  });
});

describe(newVerificationToken.name, () => {
  it('is random and URL-safe', () => {
    const tokens = new Set(Array.from({ length: 50 }, () => newVerificationToken()));
    expect(tokens.size).toBe(50);
    for (const token of tokens) expect(token).toMatch(/^[A-Za-z0-9_-]{32}$/);
  });
});

describe(emailDomainOf.name, () => {
  it('takes the part after the last @, lower-case', () => {
    expect(emailDomainOf('Eve@GMAIL.com')).toBe('gmail.com');
    expect(emailDomainOf('"a@b"@acme.test')).toBe('acme.test');
  });
});
