/**
 * The tenant's password policy, checked by Gatehouse before Cognito is called:
 * Cognito enforces it too, but the emulator does not, and a local check gives a
 * precise list of what is missing.
 */
import type { PasswordPolicy } from '@gatehouse/tiers';
import { DomainError, type FieldProblem } from '../common/domain-error.js';

export function passwordProblems(password: string, policy: PasswordPolicy): string[] {
  const problems: string[] = [];
  if ([...password].length < policy.minimumLength) problems.push(`at least ${policy.minimumLength} characters`);
  if (policy.requireLowercase && !/\p{Ll}/u.test(password)) problems.push('a lower-case letter');
  if (policy.requireUppercase && !/\p{Lu}/u.test(password)) problems.push('an upper-case letter');
  if (policy.requireNumbers && !/\p{Nd}/u.test(password)) problems.push('a digit');
  if (policy.requireSymbols && !/[^\p{L}\p{Nd}\s]/u.test(password)) problems.push('a symbol');
  if ([...password].length > 256) problems.push('at most 256 characters');
  return problems;
}

export class PasswordPolicyError extends DomainError {
  readonly code = 'password_policy';
  readonly status = 400;
  override readonly extensions: { errors: readonly FieldProblem[] };
  constructor(problems: readonly string[], field: string) {
    super('The password does not meet the tenant’s password policy.');
    this.extensions = { errors: problems.map((message) => ({ path: field, message: `needs ${message}` })) };
  }
}

export function assertPasswordMeetsPolicy(password: string, policy: PasswordPolicy, field = 'password'): void {
  const problems = passwordProblems(password, policy);
  if (problems.length > 0) throw new PasswordPolicyError(problems, field);
}
