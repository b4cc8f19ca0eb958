import { z } from 'zod';
import { HOOK_KINDS, HOOK_TIMEOUT_MS } from '../../events/hooks/hook-contract.js';

export const hookKindSchema = z.enum(HOOK_KINDS);

export const putHookSchema = z
  .object({
    /** Where Gatehouse POSTs; the same rules as identity-provider URLs (https, public host in AWS mode, no credentials). */
    url: z.string().min(1).max(2000),
    /** The whole call's deadline, DNS included. */
    timeoutMs: z.number().int().min(HOOK_TIMEOUT_MS.min).max(HOOK_TIMEOUT_MS.max).default(HOOK_TIMEOUT_MS.default),
    /** What a failed call (timeout, non-2xx, garbage, redirect, oversized answer) means: `open` proceeds, `closed` refuses. */
    failureMode: z.enum(['open', 'closed']),
    enabled: z.boolean().default(true),
  })
  .strict();
export type PutHook = z.infer<typeof putHookSchema>;

export const hookSchema = z.object({
  id: z.uuid(),
  tenantId: z.uuid().nullable(),
  kind: hookKindSchema,
  url: z.string(),
  timeoutMs: z.number().int(),
  failureMode: z.enum(['open', 'closed']),
  enabled: z.boolean(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});

/** Returned when a hook is created or its secret rotated: the only time the secret is shown. */
export const hookWithSecretSchema = hookSchema.extend({
  secret: z.string().describe('Standard Webhooks signing secret (whsec_...): store it now, it is never shown again'),
});

export const hookListSchema = z.object({ items: z.array(hookSchema) });
