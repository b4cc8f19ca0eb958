/**
 * What public tenant lookup answers: everything a client library needs to sign a
 * user in to that tenant. Each part is its own schema so that new settings (sign-in
 * aliases, SSO options, a local endpoint, …) are one `.extend()` away, and the
 * OpenAPI document (`TenantLookup`) and generated clients follow.
 */
import { ISOLATION_MODELS } from '@gatehouse/tiers';
import { z } from 'zod';

export const lookupTenantSchema = z.object({
  slug: z.string(),
  name: z.string(),
  tier: z.string(),
  model: z.enum(ISOLATION_MODELS),
});

/** The tenant's Cognito user pool and public app client, for signing in at Cognito directly. */
export const lookupCognitoSchema = z.object({
  region: z.string(),
  userPoolId: z.string(),
  clientId: z.string().describe('The public app client (no secret) to sign in with.'),
  issuer: z.string().describe('The `iss` of this tenant’s tokens.'),
  authFlows: z
    .array(z.string())
    .describe('The flows that really work with this client in this mode, as `ExplicitAuthFlows` names (pass them to InitiateAuth without `ALLOW_`).'),
  endpoint: z.string().optional().describe('Local mode only: the Cognito emulator’s URL.'),
  signIn: z
    .object({
      usernameKind: z.enum(['email', 'tenant-email']),
      namespace: z.string().describe('The tenant id: the `namespace` in `format`.'),
      format: z.string().describe('How to derive the sign-in username from the e-mail (works in every model).'),
    })
    .describe('How to form the USERNAME for InitiateAuth from the user’s e-mail.'),
});

export const lookupIdentityProviderSchema = z.object({ issuer: z.string() });

/** A provider federated through Cognito: the hosted UI's authorize URL names it in `identity_provider`. */
export const lookupCognitoHostedSsoSchema = z.object({
  kind: z.literal('cognito-hosted'),
  provider: z.string().describe('Cognito’s provider name (the `identity_provider` parameter).'),
  name: z.string().describe('What to show on the button.'),
  url: z.string().describe('The hosted UI authorize URL without `state` / PKCE parameters, which the client adds.'),
});

/** The tenant's own OpenID Connect provider, signed in at directly from the browser (code + PKCE). */
export const lookupOidcSsoSchema = z.object({
  kind: z.literal('oidc'),
  issuer: z.string(),
  clientId: z.string().describe('The provider’s public client for browsers (no secret).'),
  authorizationEndpoint: z.string(),
  tokenEndpoint: z.string(),
  scopes: z.array(z.string()),
});

/** Sign-in options that redirect to an identity provider, one kind per variant. */
export const lookupSsoOptionSchema = z.discriminatedUnion('kind', [lookupOidcSsoSchema, lookupCognitoHostedSsoSchema]);

export const tenantLookupSchema = z.object({
  tenant: lookupTenantSchema,
  cognito: lookupCognitoSchema,
  /** The tenant's own OpenID Connect providers whose tokens Gatehouse accepts. */
  identityProviders: z.array(lookupIdentityProviderSchema),
  sso: z.array(lookupSsoOptionSchema),
});
export type TenantLookup = z.infer<typeof tenantLookupSchema>;
