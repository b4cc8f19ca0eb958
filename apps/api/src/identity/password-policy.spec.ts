import { describe, expect, it } from 'vitest';
import { passwordProblems } from './password-policy.js';

const policy = { minimumLength: 12, requireLowercase: true, requireUppercase: true, requireNumbers: true, requireSymbols: true, temporaryPasswordValidityDays: 7 };

describe(passwordProblems.name, () => {
  it('lists every unmet rule', () => {
    expect(passwordProblems('short', policy)).toEqual(['at least 12 characters', 'an upper-case letter', 'a digit', 'a symbol']);
  });

  it('accepts a password meeting the policy, counting characters rather than bytes', () => {
    expect(passwordProblems('Ünïcödé-Pässwörd-1', policy)).toEqual([]);
  });

  it('only asks for what the policy requires', () => {
    expect(passwordProblems('alllowercaseletters', { ...policy, requireUppercase: false, requireNumbers: false, requireSymbols: false })).toEqual([]);
  });
});
