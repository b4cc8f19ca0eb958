import { describe, expect, it } from 'vitest';
import { EVENT_CATALOG, EVENT_TYPES, isEventType } from './event-catalog.js';
import { EventsService } from './events.service.js';
import { eventWebhooks, withEventWebhooks } from './openapi-webhooks.js';

const TENANT = '3b1e6b8e-8a8e-4a55-9f0c-6a1c2e1f0b11';
const USER = '9a7d0e4c-2d5f-4b1a-8c3e-7f6a5b4c3d21';

/** A fake outbox writer that records what would be inserted. */
function outbox(count = 1) {
  const inserted: Record<string, unknown>[] = [];
  return {
    inserted,
    writer: {
      eventOutbox: {
        createMany: async ({ data }: { data: Record<string, unknown>[] }) => {
          inserted.push(...data);
          return { count };
        },
      },
    } as never,
  };
}

describe(EventsService.name, () => {
  const sut = new EventsService();

  it('writes the type, its schema version, the tenant and the checked data', async () => {
    const { inserted, writer } = outbox();
    expect(await sut.emit(writer, { type: 'user.role_changed', data: { tenantId: TENANT, userId: USER, from: 'member', to: 'admin' } })).toBe(true);
    expect(inserted).toEqual([
      { tenantId: TENANT, type: 'user.role_changed', version: 1, data: { tenantId: TENANT, userId: USER, from: 'member', to: 'admin' }, dedupeKey: null },
    ]);
  });

  it('refuses data that drifts from the documented schema (the change rolls back with it)', async () => {
    const { inserted, writer } = outbox();
    await expect(sut.emit(writer, { type: 'user.role_changed', data: { tenantId: TENANT, userId: 'not-a-uuid', from: 'member', to: 'root' } as never })).rejects.toThrow();
    expect(inserted).toEqual([]);
  });

  it('says when a dedupe key was seen before (nothing inserted)', async () => {
    const { writer } = outbox(0);
    expect(await sut.emit(writer, { type: 'user.signed_in', data: { tenantId: TENANT, userId: USER, via: 'cognito' } }, { dedupeKey: 'k' })).toBe(false);
  });
});

describe('event catalog', () => {
  it('holds every lifecycle event issue 15 names, each versioned and described', () => {
    for (const type of [
      'tenant.created', 'tenant.activated', 'tenant.suspended', 'tenant.reactivated', 'tenant.deleted', 'tenant.moved',
      'user.signed_up', 'user.confirmed', 'user.invited', 'user.signed_in', 'user.sign_in_failed', 'user.signed_out',
      'user.disabled', 'user.enabled', 'user.deleted', 'user.role_changed', 'user.mfa_enrolled', 'user.mfa_reset',
      'user.password_reset', 'identity_provider.added', 'identity_provider.removed', 'domain.verified',
    ]) {
      expect(isEventType(type), type).toBe(true);
      expect(EVENT_CATALOG[type as keyof typeof EVENT_CATALOG].version).toBeGreaterThanOrEqual(1);
    }
    expect(isEventType('toString')).toBe(false);
  });

  it('documents every type in the OpenAPI 3.1 webhooks section with its body schema and the signature headers', () => {
    const webhooks = eventWebhooks() as Record<string, { post: { requestBody: { content: Record<string, { schema: { properties: Record<string, unknown> } }> }; parameters: { name: string }[] } }>;
    expect(Object.keys(webhooks).sort()).toEqual([...EVENT_TYPES].sort());
    const post = webhooks['user.sign_in_failed']!.post;
    const schema = post.requestBody.content['application/json']!.schema;
    expect(schema.properties['type']).toMatchObject({ const: 'user.sign_in_failed' });
    expect(JSON.stringify(schema.properties['data'])).toContain('user_not_confirmed');
    expect(post.parameters.map((parameter) => parameter.name)).toEqual(['webhook-id', 'webhook-timestamp', 'webhook-signature']);
    expect(withEventWebhooks({ openapi: '3.0.0', info: { title: 't', version: '1' }, paths: {} }).openapi).toBe('3.1.0');
  });
});
