/**
 * The event model in the OpenAPI document: one entry per event type under
 * OpenAPI 3.1's top-level `webhooks` (what Gatehouse POSTs to subscribed
 * endpoints), with the envelope, the type's versioned `data` schema and the
 * Standard Webhooks headers. @nestjs/swagger builds a 3.0 document from the
 * controllers; this post-processing marks it 3.1 and adds the section.
 */
import type { OpenAPIObject } from '@nestjs/swagger';
import { z } from 'zod';
import { openApiSchema } from '../common/zod-validation.js';
import { EVENT_CATALOG, EVENT_TYPES, eventEnvelopeSchema } from './event-catalog.js';

const SIGNATURE_HEADERS = [
  { name: 'webhook-id', description: 'The event id (same on retries and replays: deduplicate on it).' },
  { name: 'webhook-timestamp', description: 'Seconds since the epoch when this attempt was signed; reject stale ones (5 min).' },
  {
    name: 'webhook-signature',
    description:
      'Space-separated `v1,<base64 HMAC-SHA256>` of `${webhook-id}.${webhook-timestamp}.${body}` with each live secret (two during a rotation).',
  },
] as const;

/** `tenant.created` → `onTenantCreated`: readable and unique, as generators want. */
function eventOperationId(type: string): string {
  return 'on' + type.split(/[._]/).map((part) => part.charAt(0).toUpperCase() + part.slice(1)).join('');
}

export function eventWebhooks(): Record<string, unknown> {
  return Object.fromEntries(
    EVENT_TYPES.map((type) => {
      const entry = EVENT_CATALOG[type];
      const body = eventEnvelopeSchema.extend({ type: z.literal(type), version: z.literal(entry.version), data: entry.data });
      return [
        type,
        {
          post: {
            summary: `${type} (v${entry.version})`,
            description: entry.description,
            operationId: eventOperationId(type),
            tags: ['events'],
            // Gatehouse is the caller here: receivers check the Standard Webhooks signature, not a token.
            security: [],
            parameters: SIGNATURE_HEADERS.map((header) => ({ in: 'header', required: true, schema: { type: 'string' }, ...header })),
            requestBody: { required: true, content: { 'application/json': { schema: openApiSchema(body) } } },
            responses: {
              '2XX': { description: 'Received. Anything else (or no answer within the timeout) is retried with backoff for more than 24 h.' },
            },
          },
        },
      ];
    }),
  );
}

export function withEventWebhooks(document: OpenAPIObject): OpenAPIObject {
  return { ...document, openapi: '3.1.0', webhooks: eventWebhooks() } as OpenAPIObject;
}
