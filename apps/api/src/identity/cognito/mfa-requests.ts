/**
 * Cognito requests for MFA administration, as pure functions so their exact
 * shapes are unit-tested against Cognito's documented API (the emulator lacks
 * AdminSetUserMFAPreference altogether).
 */
import type {
  AdminSetUserMFAPreferenceCommandInput,
  SetUserPoolMfaConfigCommandInput,
} from '@aws-sdk/client-cognito-identity-provider';
import type { MfaSetting } from '@gatehouse/tiers';

/** TOTP off and not preferred: the user has no second factor until they enrol again. */
export function resetUserMfaInput(userPoolId: string, username: string): AdminSetUserMFAPreferenceCommandInput {
  return { UserPoolId: userPoolId, Username: username, SoftwareTokenMfaSettings: { Enabled: false, PreferredMfa: false } };
}

/** The pool's MFA with TOTP as its only factor (`OFF` turns TOTP off too). */
export function poolMfaConfigInput(userPoolId: string, setting: MfaSetting): SetUserPoolMfaConfigCommandInput {
  return { UserPoolId: userPoolId, MfaConfiguration: setting, SoftwareTokenMfaConfiguration: { Enabled: setting !== 'OFF' } };
}

/**
 * ListUsers' filter for one exact e-mail. Cognito's filter grammar quotes the
 * value with `"`; an address containing a quote or backslash cannot be
 * expressed safely and matches nobody.
 */
export function emailFilter(email: string): string | undefined {
  if (/["\\\u0000-\u001f]/.test(email)) return undefined;
  return `email = "${email.toLowerCase()}"`;
}
