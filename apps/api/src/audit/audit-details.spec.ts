import { describe, expect, it } from 'vitest';
import { minimiseDetails } from './audit-details.js';

describe(minimiseDetails.name, () => {
  it('redacts e-mail addresses at any depth and keeps their domain', () => {
    const sut = minimiseDetails({ note: 'invited ada@acme.test today', nested: { list: ['bob+x@mail.example.com', 3] }, n: 1, ok: true, none: null });
    expect(sut).toEqual({ note: 'invited [redacted]@acme.test today', nested: { list: ['[redacted]@mail.example.com', 3] }, n: 1, ok: true, none: null });
  });

  it('leaves domains, ids and URLs without user info alone', () => {
    const details = { domain: 'acme.test', target: 'user:5f0c', url: 'https://hooks.example.com/pre-sign-up' };
    expect(minimiseDetails(details)).toEqual(details);
  });
});
