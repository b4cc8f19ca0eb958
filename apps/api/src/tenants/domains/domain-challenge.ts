/**
 * The DNS TXT challenge that proves a tenant controls an e-mail domain:
 * publish `gatehouse-domain-verification=<token>` at
 * `_gatehouse-challenge.<domain>`. The token is random per (tenant, domain),
 * so two tenants claiming one domain publish different values and only the
 * one the domain's owner published can pass.
 */
import { randomBytes } from 'node:crypto';

export const CHALLENGE_LABEL = '_gatehouse-challenge';
export const CHALLENGE_PREFIX = 'gatehouse-domain-verification=';

export interface TxtChallenge {
  readonly name: string;
  readonly type: 'TXT';
  readonly value: string;
}

/** 192 random bits, URL-safe (fits a TXT character-string comfortably). */
export function newVerificationToken(): string {
  return randomBytes(24).toString('base64url');
}

export function challengeFor(domain: string, token: string): TxtChallenge {
  return { name: `${CHALLENGE_LABEL}.${domain}`, type: 'TXT', value: `${CHALLENGE_PREFIX}${token}` };
}

/** True when one of the published records is exactly the expected value (surrounding blanks ignored). */
export function challengeMet(records: readonly string[], expected: TxtChallenge): boolean {
  return records.some((record) => record.trim() === expected.value);
}

/** The e-mail domain of an address, lower-case (the part after the last `@`). */
export function emailDomainOf(email: string): string {
  return (email.slice(email.lastIndexOf('@') + 1) || '').toLowerCase();
}
