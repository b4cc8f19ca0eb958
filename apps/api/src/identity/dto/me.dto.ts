/** What `/v1/me` answers: response shapes, which are also the OpenAPI document's. */
import { ISOLATION_MODELS, PLATFORM_ADMIN_ROLE, TENANT_ROLES } from '@gatehouse/tiers';
import { z } from 'zod';

export const meSchema = z.object({
  user: z.object({
    id: z.uuid(),
    email: z.string(),
    role: z.enum(TENANT_ROLES),
    status: z.enum(['pending', 'active', 'disabled']),
    emailVerified: z.boolean(),
    createdAt: z.iso.datetime(),
  }),
  tenant: z.object({ id: z.uuid(), slug: z.string(), name: z.string(), tier: z.string(), model: z.enum(ISOLATION_MODELS) }),
  /** The roles this request was granted (from the token's groups, or the tenant IdP's mapped claim). */
  roles: z.array(z.enum([...TENANT_ROLES, PLATFORM_ADMIN_ROLE])),
  /** What the tenant's token-enrichment hook returned at the last sign-in (namespaced claims, never roles or tenant). */
  hookClaims: z.record(z.string(), z.unknown()),
});

/** The answer of `POST /v1/me/mfa/totp`: enter the secret in an authenticator app, or show the URI as a QR code. */
export const totpSetupSchema = z.object({
  secretCode: z.string().describe('The TOTP secret (base32).'),
  otpauthUri: z.string().describe('The same secret as an otpauth:// URI, for a QR code.'),
});
