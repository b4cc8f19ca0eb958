/**
 * A tenant's MFA policy and what it means for Cognito. One mapping, read by
 * provisioning (a silo pool's MFA setting), the operators' API (which policies
 * a tier can honour) and the sign-in flows.
 *
 * - silo: the tenant's own pool carries the policy (`SetUserPoolMfaConfig`,
 *   TOTP only): off → OFF, optional → OPTIONAL, required → ON.
 * - pool, bridge: the shared pool serves many tenants, so Gatehouse enforces the
 *   policy itself. That needs the pool's MFA to be OPTIONAL (users with TOTP
 *   get SOFTWARE_TOKEN_MFA, the others get tokens and Gatehouse decides); a
 *   shared pool with MFA OFF can only serve `off`, one with MFA ON only `required`.
 */
import type { MfaSetting, TierConfig } from './tier-config.js';

export const MFA_POLICIES = ['off', 'optional', 'required'] as const;
export type MfaPolicy = (typeof MFA_POLICIES)[number];

const SETTING_BY_POLICY: Readonly<Record<MfaPolicy, MfaSetting>> = { off: 'OFF', optional: 'OPTIONAL', required: 'ON' };
const POLICY_BY_SETTING: Readonly<Record<MfaSetting, MfaPolicy>> = { OFF: 'off', OPTIONAL: 'optional', ON: 'required' };

/** The Cognito pool MFA setting that carries a policy (silo pools). */
export function mfaSettingForPolicy(policy: MfaPolicy): MfaSetting {
  return SETTING_BY_POLICY[policy];
}

/** A new tenant's policy when the operator names none: what its tier's pool setting says. */
export function defaultMfaPolicy(tier: Pick<TierConfig, 'mfa'>): MfaPolicy {
  return POLICY_BY_SETTING[tier.mfa];
}

/** The policies a tenant of this tier can have (see the module comment). */
export function allowedMfaPolicies(tier: Pick<TierConfig, 'model' | 'mfa'>): readonly MfaPolicy[] {
  if (tier.model === 'silo') return MFA_POLICIES;
  if (tier.mfa === 'OPTIONAL') return MFA_POLICIES;
  return [POLICY_BY_SETTING[tier.mfa]];
}

/** A stored policy; anything unknown reads as `required` (fail closed: the column has a check constraint anyway). */
export function parseMfaPolicy(value: string | null | undefined): MfaPolicy {
  return (MFA_POLICIES as readonly string[]).includes(value ?? '') ? (value as MfaPolicy) : 'required';
}

/** Strictness order, for "tighten only" decisions. */
export function mfaPolicyRank(policy: MfaPolicy): number {
  return MFA_POLICIES.indexOf(policy);
}
