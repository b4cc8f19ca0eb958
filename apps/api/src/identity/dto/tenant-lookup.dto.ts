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
  authFlows: z.array(z.string()).describe('The auth flows this client allows, e.g. `ALLOW_USER_SRP_AUTH`.'),
});

export const lookupIdentityProviderSchema = z.object({ issuer: z.string() });

export const tenantLookupSchema = z.object({
  tenant: lookupTenantSchema,
  cognito: lookupCognitoSchema,
  /** The tenant's own OpenID Connect providers whose tokens Gatehouse accepts. */
  identityProviders: z.array(lookupIdentityProviderSchema),
});
export type TenantLookup = z.infer<typeof tenantLookupSchema>;
