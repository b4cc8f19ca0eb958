import { z } from 'zod';

/** Scope names as RFC 6749 allows them (printable ASCII without space, quote or backslash), `openid` always among them. */
const scope = z.string().regex(/^[\x21\x23-\x5b\x5d-\x7e]{1,100}$/, 'must be an OAuth scope name');

export const browserSignInSchema = z
  .object({
    /** The public client registered at the provider for the tenant's front ends (no secret: PKCE). */
    clientId: z.string().trim().min(1).max(255).regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces'),
    scopes: z
      .array(scope)
      .min(1)
      .max(20)
      .default(['openid', 'email', 'profile'])
      .refine((scopes) => scopes.includes('openid'), 'must include openid')
      .refine((scopes) => new Set(scopes).size === scopes.length, 'must not repeat a scope'),
  })
  .strict();
export type BrowserSignIn = z.infer<typeof browserSignInSchema>;

export const browserSignInViewSchema = z.object({
  providerId: z.uuid(),
  issuer: z.string(),
  clientId: z.string().nullable(),
  scopes: z.array(z.string()),
  authorizationEndpoint: z.string().nullable(),
  tokenEndpoint: z.string().nullable(),
});
