/**
 * The one event model: every lifecycle event type, its schema version and the
 * schema of its `data`. A webhook body is the envelope {@link eventEnvelopeSchema}
 * around one of these. A type's schema only ever gains optional fields within a
 * version; anything else is a new version (receivers switch on `type` + `version`).
 *
 * Personal data is kept to what a receiver needs to act: ids everywhere, the
 * e-mail address only where an account comes into existence (signed up, invited).
 */
import { z } from 'zod';

const userRole = z.enum(['admin', 'member', 'viewer']);
const tenantFacts = { tenantId: z.uuid() };
const userFacts = { tenantId: z.uuid(), userId: z.uuid() };

/** Why a known user's sign-in failed (`user.sign_in_failed`). */
export const SIGN_IN_FAILURE_REASONS = ['invalid_credentials', 'user_not_confirmed', 'user_disabled', 'invalid_mfa_code'] as const;
export type SignInFailureReason = (typeof SIGN_IN_FAILURE_REASONS)[number];
/** Where an authentication event was observed: Gatehouse's API, or a Cognito trigger (sign-ins directly at Cognito). */
const via = z.enum(['api', 'cognito']);

/** `type` → { version, description, data schema }. */
export const EVENT_CATALOG = {
  'tenant.created': {
    version: 1,
    description: 'An operator created a tenant; provisioning has started.',
    data: z.object({ ...tenantFacts, slug: z.string(), tier: z.string(), model: z.enum(['pool', 'bridge', 'silo']) }),
  },
  'tenant.activated': {
    version: 1,
    description: 'Provisioning finished: the tenant can sign users in.',
    data: z.object({ ...tenantFacts, model: z.enum(['pool', 'bridge', 'silo']) }),
  },
  'tenant.suspended': { version: 1, description: 'An operator suspended the tenant: its tokens are refused.', data: z.object(tenantFacts) },
  'tenant.reactivated': { version: 1, description: 'An operator reactivated a suspended tenant.', data: z.object(tenantFacts) },
  'tenant.deleted': { version: 1, description: 'The tenant and its users are gone (the teardown finished).', data: z.object(tenantFacts) },
  'tenant.moved': {
    version: 1,
    description: 'The tenant finished moving to another tier (after cut-over and removal of the source).',
    data: z.object({ ...tenantFacts, fromTier: z.string(), toTier: z.string() }),
  },
  'user.signed_up': {
    version: 1,
    description: 'A user created an account through the public sign-up (pending until confirmed).',
    data: z.object({ ...userFacts, email: z.email(), role: userRole }),
  },
  'user.confirmed': {
    version: 1,
    description: 'The user confirmed their e-mail address (sign-up code, or first sign-in of an invited user).',
    data: z.object({ ...userFacts, via }),
  },
  'user.invited': {
    version: 1,
    description: 'A tenant admin invited a user (Cognito e-mails a temporary password).',
    data: z.object({ ...userFacts, email: z.email(), role: userRole }),
  },
  'user.signed_in': { version: 1, description: 'The user signed in and received tokens.', data: z.object({ ...userFacts, via }) },
  'user.sign_in_failed': {
    version: 1,
    description:
      'A sign-in of a known user failed. `reason`: invalid_credentials (wrong password), user_not_confirmed (right password, e-mail never confirmed), user_disabled, invalid_mfa_code (wrong authenticator code at the TOTP step). Unknown addresses emit nothing.',
    data: z.object({ ...userFacts, reason: z.enum(SIGN_IN_FAILURE_REASONS) }),
  },
  'user.signed_out': { version: 1, description: 'The user signed out (their refresh token was revoked).', data: z.object(userFacts) },
  'user.disabled': { version: 1, description: 'A tenant admin disabled the user.', data: z.object(userFacts) },
  'user.enabled': { version: 1, description: 'A tenant admin enabled the user again.', data: z.object(userFacts) },
  'user.deleted': { version: 1, description: 'A tenant admin removed the user.', data: z.object(userFacts) },
  'user.role_changed': {
    version: 1,
    description: "A tenant admin changed the user's role.",
    data: z.object({ ...userFacts, from: userRole, to: userRole }),
  },
  'user.mfa_enrolled': { version: 1, description: 'The user has a verified TOTP authenticator.', data: z.object(userFacts) },
  'user.mfa_reset': { version: 1, description: "A tenant admin reset the user's MFA (they enrol again).", data: z.object(userFacts) },
  'user.password_reset': { version: 1, description: 'The user set a new password with a reset code.', data: z.object(userFacts) },
  'identity_provider.added': {
    version: 1,
    description:
      "An operator registered the tenant's own OpenID Connect provider (`issuer`), or attached a provider federated through Cognito (`federated`: SAML, OIDC or social; no `issuer`).",
    data: z.object({
      ...tenantFacts,
      identityProviderId: z.uuid(),
      issuer: z.string().optional(),
      federated: z.object({ name: z.string(), type: z.string() }).optional(),
    }),
  },
  'identity_provider.removed': {
    version: 1,
    description: "An operator removed the tenant's OpenID Connect provider, or a provider federated through Cognito (`federated`).",
    data: z.object({ ...tenantFacts, identityProviderId: z.uuid(), federated: z.object({ name: z.string(), type: z.string() }).optional() }),
  },
  'domain.verified': {
    version: 1,
    description: "A DNS TXT record proved the tenant's claim on an e-mail domain.",
    data: z.object({ ...tenantFacts, domain: z.string() }),
  },
  'webhook_endpoint.disabled': {
    version: 1,
    description: 'Gatehouse disabled a webhook endpoint that kept failing (tenantId null for a platform endpoint).',
    data: z.object({ tenantId: z.uuid().nullable(), endpointId: z.uuid(), failingSince: z.iso.datetime() }),
  },
} as const satisfies Record<string, { version: number; description: string; data: z.ZodObject }>;

export type EventType = keyof typeof EVENT_CATALOG;
export type EventData<T extends EventType> = z.infer<(typeof EVENT_CATALOG)[T]['data']>;

export const EVENT_TYPES = Object.keys(EVENT_CATALOG) as readonly EventType[];

export function isEventType(value: string): value is EventType {
  return Object.hasOwn(EVENT_CATALOG, value);
}

/** An event as a producer hands it to EventsService.emit. */
export type LifecycleEvent = { [T in EventType]: { readonly type: T; readonly data: EventData<T> } }[EventType];

/** What a webhook receiver gets as the JSON body (the data schema depends on `type`). */
export const eventEnvelopeSchema = z.object({
  /** Also the `webhook-id` header: the same on every retry and replay, so receivers can deduplicate. */
  id: z.uuid(),
  type: z.string(),
  version: z.number().int(),
  /** When the change committed (ISO 8601). */
  timestamp: z.iso.datetime(),
  /** Null only for platform events with no tenant. */
  tenantId: z.uuid().nullable(),
  data: z.record(z.string(), z.unknown()),
});
export type EventEnvelope = z.infer<typeof eventEnvelopeSchema>;
