import { z } from 'zod';
import { EVENT_TYPES } from '../event-catalog.js';

const eventType = z.enum(['*', ...EVENT_TYPES] as [string, ...string[]], { error: `must be "*" or one of: ${EVENT_TYPES.join(', ')}` });

const endpointFields = {
  /** Where deliveries are POSTed: https (http only in local mode), no credentials, no private addresses in AWS mode. */
  url: z.string().min(1).max(2000),
  /** Event types to receive; `*` is every type (including ones added later). */
  eventTypes: z.array(eventType).min(1).max(EVENT_TYPES.length + 1),
  description: z.string().max(500).optional(),
};

export const createWebhookSchema = z.object(endpointFields).strict();
export type CreateWebhook = z.infer<typeof createWebhookSchema>;

export const updateWebhookSchema = z
  .object({
    url: endpointFields.url.optional(),
    eventTypes: endpointFields.eventTypes.optional(),
    description: z.string().max(500).nullable().optional(),
    /** `true` re-enables an endpoint (also one Gatehouse disabled after sustained failures); `false` pauses it. */
    enabled: z.boolean().optional(),
  })
  .strict()
  .refine((value) => Object.keys(value).length > 0, 'name at least one field to change');
export type UpdateWebhook = z.infer<typeof updateWebhookSchema>;

export const rotateSecretSchema = z
  .object({
    /** How long the previous secret keeps signing too (both signatures are sent); default 24 h, at most 7 days, 0 ends it now. */
    overlapSeconds: z.number().int().min(0).max(7 * 86_400).default(86_400),
  })
  .strict();
export type RotateSecret = z.infer<typeof rotateSecretSchema>;

export const listDeliveriesQuerySchema = z
  .object({
    status: z.enum(['pending', 'succeeded', 'failed']).optional(),
    limit: z.coerce.number().int().min(1).max(200).default(50),
    /** Opaque cursor from the previous page's `nextCursor`. */
    cursor: z.string().regex(/^\d{1,19}$/, 'must be a cursor from a previous page').optional(),
  })
  .strict();
export type ListDeliveriesQuery = z.infer<typeof listDeliveriesQuerySchema>;

export const idParamSchema = z.uuid({ error: 'must be a UUID' });

export const webhookSchema = z.object({
  id: z.uuid(),
  tenantId: z.uuid().nullable(),
  url: z.string(),
  eventTypes: z.array(z.string()),
  description: z.string().nullable(),
  enabled: z.boolean(),
  /** `failing` when Gatehouse disabled it after sustained failures; null otherwise. */
  disabledReason: z.string().nullable(),
  failingSince: z.iso.datetime().nullable(),
  /** While a rotation overlaps: until when the previous secret still signs. */
  previousSecretExpiresAt: z.iso.datetime().nullable(),
  createdAt: z.iso.datetime(),
});
export type WebhookView = z.infer<typeof webhookSchema>;

/** Only on creation and rotation: the signing secret is shown once. */
export const webhookWithSecretSchema = webhookSchema.extend({ secret: z.string() });

export const webhookListSchema = z.object({ items: z.array(webhookSchema) });

export const deliveryAttemptSchema = z.object({
  attemptedAt: z.iso.datetime(),
  statusCode: z.number().int().nullable(),
  error: z.string().nullable(),
  durationMs: z.number().int(),
});

export const deliverySchema = z.object({
  id: z.uuid(),
  /** The event's id: also the `webhook-id` header. */
  eventId: z.uuid(),
  eventType: z.string(),
  status: z.enum(['pending', 'succeeded', 'failed']),
  attempts: z.number().int(),
  nextAttemptAt: z.iso.datetime().nullable(),
  lastStatus: z.number().int().nullable(),
  lastError: z.string().nullable(),
  replayOf: z.uuid().nullable(),
  createdAt: z.iso.datetime(),
  finishedAt: z.iso.datetime().nullable(),
  attemptLog: z.array(deliveryAttemptSchema),
});
export type DeliveryView = z.infer<typeof deliverySchema>;

export const deliveryPageSchema = z.object({ items: z.array(deliverySchema), nextCursor: z.string().nullable() });
