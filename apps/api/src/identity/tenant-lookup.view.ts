/**
 * What tenant lookup tells a client that signs in at Cognito directly
 * (amazon-cognito-identity-js, Amplify, the @gatehouse/client SDK): only
 * facts that really work in the current mode, nothing secret.
 *
 * - `authFlows`: the public client's flows as Cognito's `ExplicitAuthFlows`
 *   names (pass them to InitiateAuth without the `ALLOW_` prefix). In AWS the
 *   public client allows SRP (never a password in clear) and refresh. The
 *   emulator has no SRP at all, and ignores `ExplicitAuthFlows`, so locally the
 *   flow that works is USER_PASSWORD_AUTH.
 * - `endpoint`: the emulator's URL, local mode only (clients talk to
 *   `cognito-idp.<region>.amazonaws.com` in AWS and need no endpoint).
 * - `signIn`: how to form the USERNAME for InitiateAuth from the e-mail.
 *   `tenant-email`: the username derived from tenant + e-mail (libs/tiers
 *   sign-in-username.ts), in every model. `email`: the e-mail itself is an
 *   alias (silo pools created with the alias, in AWS; the emulator has no
 *   aliases); the derived username works there too.
 * - `sso`: the sign-in options that redirect to an identity provider, a
 *   discriminated union on `kind`.
 */
import { SIGN_IN_USERNAME_FORMAT } from '@gatehouse/tiers';
import type { TenantSnapshot } from '../auth/issuer-registry.js';
import type { TenantIdentity } from './tenant-identity.js';

export type SignInUsernameKind = 'email' | 'tenant-email';

export interface LookupSignIn {
  readonly usernameKind: SignInUsernameKind;
  /** The tenant id: the `namespace` in `format`. */
  readonly namespace: string;
  /** How to derive the username (works in every model, also where `usernameKind` is `email`). */
  readonly format: string;
}

/** A provider federated through Cognito: the hosted UI's authorize URL names it in `identity_provider`. */
export interface CognitoHostedSsoOption {
  readonly kind: 'cognito-hosted';
  /** Cognito's provider name (the `identity_provider` parameter). */
  readonly provider: string;
  /** What to show on the button. */
  readonly name: string;
  /** `https://<domain>/oauth2/authorize?...` without `state` / PKCE parameters, which the client adds. */
  readonly url: string;
}

/** Other kinds (e.g. a tenant's own OIDC provider, signed in to directly) join this union. */
export type SsoOption = CognitoHostedSsoOption;

export interface LookupCognito {
  readonly region: string;
  readonly userPoolId: string;
  readonly clientId: string;
  readonly issuer: string;
  readonly authFlows: readonly string[];
  readonly endpoint?: string;
  readonly signIn: LookupSignIn;
}

export interface LookupMode {
  readonly mode: 'local' | 'aws';
  /** The emulator's URL (local mode). */
  readonly cognitoEndpoint?: string | undefined;
}

/** Public client flows that really work in each mode. */
export const DIRECT_AUTH_FLOWS = {
  aws: ['ALLOW_USER_SRP_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
  local: ['ALLOW_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
} as const;

export function lookupSignIn(tenant: TenantSnapshot, mode: LookupMode['mode']): LookupSignIn {
  // The emulator ignores AliasAttributes, so locally only the derived username works in a silo pool too.
  const emailAlias = mode === 'aws' && tenant.model === 'silo' && (tenant.signInAliases ?? []).includes('email');
  return { usernameKind: emailAlias ? 'email' : 'tenant-email', namespace: tenant.id, format: SIGN_IN_USERNAME_FORMAT };
}

export function lookupCognito(target: TenantIdentity, mode: LookupMode): LookupCognito {
  const endpoint = mode.mode === 'local' && mode.cognitoEndpoint ? mode.cognitoEndpoint.replace(/\/+$/, '') : undefined;
  return {
    region: target.pool.region,
    userPoolId: target.pool.userPoolId,
    clientId: target.publicClient.clientId,
    issuer: target.issuer,
    authFlows: [...DIRECT_AUTH_FLOWS[mode.mode]],
    ...(endpoint ? { endpoint } : {}),
    signIn: lookupSignIn(target.tenant, mode.mode),
  };
}
