/**
 * What tenant lookup tells a client that signs in at Cognito directly
 * (amazon-cognito-identity-js, Amplify, the @gatehouse/client SDK): only
 * facts that really work in the current mode, nothing secret.
 *
 * - `authFlows`: the public client's flows as Cognito's `ExplicitAuthFlows`
 *   names (pass them to InitiateAuth without the `ALLOW_` prefix), the one to
 *   use first. In AWS: SRP (the password never leaves the browser) and refresh —
 *   except while the tenant moves between tiers, when USER_PASSWORD_AUTH comes
 *   first: users not on the target pool yet are migrated there by its
 *   user-migration trigger, which Cognito calls only for flows that send it the
 *   password, never SRP. The emulator has no SRP at all, and ignores
 *   `ExplicitAuthFlows`, so locally the flow that works is USER_PASSWORD_AUTH.
 * - `endpoint`: the emulator's URL, local mode only (clients talk to
 *   `cognito-idp.<region>.amazonaws.com` in AWS and need no endpoint).
 * - `signIn`: how to form the USERNAME for InitiateAuth from the e-mail.
 *   `tenant-email`: the username derived from tenant + e-mail (libs/tiers
 *   sign-in-username.ts), in every model. `email`: the e-mail itself is an
 *   alias (silo pools created with the alias, in AWS; the emulator has no
 *   aliases; not during a tier move, whose user-migration trigger needs the
 *   username itself); the derived username works there too.
 * - `sso`: the sign-in options that redirect to an identity provider, a
 *   discriminated union on `kind`.
 */
import { SIGN_IN_USERNAME_FORMAT } from '@gatehouse/tiers';
import { hostedSignInUrl, hostedUiBaseUrl } from './cognito/federation-requests.js';
import { DEFAULT_OAUTH_SCOPES } from './cognito/user-pool-requests.js';
import type { TenantSnapshot } from '../auth/issuer-registry.js';
import type { z } from 'zod';
import type { lookupCognitoHostedSsoSchema, lookupCognitoSchema, lookupSsoOptionSchema } from './dto/tenant-lookup.dto.js';
import type { TenantIdentity } from './tenant-identity.js';

// The shapes are the response schema's (dto/tenant-lookup.dto.ts), so the document and this code can't drift.
export type LookupSignIn = z.infer<typeof lookupCognitoSchema>['signIn'];
export type SignInUsernameKind = LookupSignIn['usernameKind'];
export type CognitoHostedSsoOption = z.infer<typeof lookupCognitoHostedSsoSchema>;
/** Other kinds (e.g. a tenant's own OIDC provider, signed in to directly) join this union in the schema. */
export type SsoOption = z.infer<typeof lookupSsoOptionSchema>;
export type LookupCognito = z.infer<typeof lookupCognitoSchema>;

export interface LookupMode {
  readonly mode: 'local' | 'aws';
  /** The emulator's URL (local mode). */
  readonly cognitoEndpoint?: string | undefined;
}

/** Public client flows that really work in each mode. */
export const DIRECT_AUTH_FLOWS = {
  aws: ['ALLOW_USER_SRP_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
  local: ['ALLOW_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
  /** AWS, while the tenant moves between tiers: the password flow first (the user-migration trigger needs it). */
  moving: ['ALLOW_USER_PASSWORD_AUTH', 'ALLOW_USER_SRP_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
} as const;

/** A tier move under way (not a cancelled one being rolled back): some users may not be on the side lookup names. */
function isMoving(tenant: TenantSnapshot): boolean {
  return tenant.movingWith !== undefined && tenant.movingWith !== null && tenant.movingWith.direction !== 'abandoned';
}

export function lookupSignIn(tenant: TenantSnapshot, mode: LookupMode['mode']): LookupSignIn {
  // The emulator ignores AliasAttributes, so locally only the derived username works in a silo pool too.
  // During a move the user-migration trigger names the new account after what the user typed: the username, never the alias.
  const emailAlias = mode === 'aws' && tenant.model === 'silo' && (tenant.signInAliases ?? []).includes('email') && !isMoving(tenant);
  return { usernameKind: emailAlias ? 'email' : 'tenant-email', namespace: tenant.id, format: SIGN_IN_USERNAME_FORMAT };
}

export function lookupCognito(target: TenantIdentity, mode: LookupMode): LookupCognito {
  const endpoint = mode.mode === 'local' && mode.cognitoEndpoint ? mode.cognitoEndpoint.replace(/\/+$/, '') : undefined;
  return {
    region: target.pool.region,
    userPoolId: target.pool.userPoolId,
    clientId: target.publicClient.clientId,
    issuer: target.issuer,
    authFlows: [...DIRECT_AUTH_FLOWS[mode.mode === 'aws' && isMoving(target.tenant) ? 'moving' : mode.mode]],
    ...(endpoint ? { endpoint } : {}),
    signIn: lookupSignIn(target.tenant, mode.mode),
  };
}

/**
 * One `cognito-hosted` entry per provider federated through Cognito: the hosted UI's authorize URL for the
 * tenant's public client, straight to that provider, back to the provider's first callback URL. Never for the
 * pool model (a shared client cannot isolate one tenant's providers; the API refuses to add any).
 */
export function lookupCognitoHostedSso(target: TenantIdentity): CognitoHostedSsoOption[] {
  if (target.tenant.model === 'pool') return [];
  return (target.tenant.federatedProviders ?? []).flatMap((provider) => {
    const redirectUri = provider.callbackUrls[0];
    if (!redirectUri) return [];
    const url = hostedSignInUrl({
      baseUrl: hostedUiBaseUrl(provider.hostedUiDomain, target.pool.region),
      clientId: target.publicClient.clientId,
      provider: provider.name,
      redirectUri,
      scopes: DEFAULT_OAUTH_SCOPES,
    });
    return [{ kind: 'cognito-hosted' as const, provider: provider.name, name: provider.displayName, url }];
  });
}
