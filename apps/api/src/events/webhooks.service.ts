/**
 * Webhook subscriptions for two kinds of owner, with one set of rules:
 * - a tenant's admins (their tenant's endpoints, through TenantDb: row-level
 *   security shows and changes their own tenant's rows only);
 * - operators (platform-wide endpoints, tenant_id null, which receive every
 *   tenant's events; through the privileged client).
 * Every change is audited in its transaction. The signing secret is shown
 * once, at creation and at rotation.
 */
import { Injectable } from '@nestjs/common';
import { AuditService } from '../audit/audit.service.js';
import { OutboundUrlRefused, withoutCredentials } from '../auth/outbound-url.js';
import { OwnerTransactions } from '../database/owner-transaction.js';
import type { TransactionClient } from '../database/prisma-client.js';
import { currentAuth } from '../tenancy/request-context.js';
import type { CreateWebhook, DeliveryView, ListDeliveriesQuery, RotateSecret, UpdateWebhook, WebhookView } from './dto/webhook.dto.js';
import { generateWebhookSecret } from './standard-webhooks.js';
import { WebhookDispatcher } from './webhook-dispatcher.js';
import { deliveryNotFound, invalidWebhookUrl, webhookNotFound } from './webhooks.errors.js';

/** Whose endpoints: a tenant's (its id) or the platform's (null). */
export type WebhookOwner = { readonly tenantId: string } | { readonly tenantId: null };

type EndpointRow = {
  id: string;
  tenantId: string | null;
  url: string;
  eventTypes: string[];
  description: string | null;
  enabled: boolean;
  disabledReason: string | null;
  failingSince: Date | null;
  previousSecretExpiresAt: Date | null;
  createdAt: Date;
};

function toView(row: EndpointRow): WebhookView {
  return {
    id: row.id,
    tenantId: row.tenantId,
    url: row.url,
    eventTypes: row.eventTypes,
    description: row.description,
    enabled: row.enabled,
    disabledReason: row.disabledReason,
    failingSince: row.failingSince?.toISOString() ?? null,
    previousSecretExpiresAt: row.previousSecretExpiresAt && row.previousSecretExpiresAt > new Date() ? row.previousSecretExpiresAt.toISOString() : null,
    createdAt: row.createdAt.toISOString(),
  };
}

@Injectable()
export class WebhooksService {
  constructor(
    private readonly owners: OwnerTransactions,
    private readonly audit: AuditService,
    private readonly dispatcher: WebhookDispatcher,
  ) {}

  /** The caller's tenant, from the verified context (the guard ran: admins only). */
  static tenantOwner(): WebhookOwner {
    const auth = currentAuth();
    if (!auth) throw new Error('no tenant context');
    return { tenantId: auth.tenantId };
  }

  static readonly platform: WebhookOwner = { tenantId: null };

  private async findEndpoint(tx: TransactionClient, owner: WebhookOwner, id: string): Promise<EndpointRow & { secret: string }> {
    const row = await tx.webhookEndpoint.findFirst({ where: { id, tenantId: owner.tenantId } });
    return row ?? Promise.reject(webhookNotFound());
  }

  private async assertDestination(url: string): Promise<void> {
    try {
      await this.dispatcher.sender.assertAllowed(url);
    } catch (error) {
      if (error instanceof OutboundUrlRefused) throw invalidWebhookUrl(error.message);
      throw error;
    }
  }

  async list(owner: WebhookOwner): Promise<{ items: WebhookView[] }> {
    const rows = await this.owners.run(owner, (tx) => tx.webhookEndpoint.findMany({ where: { tenantId: owner.tenantId }, orderBy: { createdAt: 'asc' } }));
    return { items: rows.map(toView) };
  }

  async get(owner: WebhookOwner, id: string): Promise<WebhookView> {
    return toView(await this.owners.run(owner, (tx) => this.findEndpoint(tx, owner, id)));
  }

  async create(owner: WebhookOwner, input: CreateWebhook): Promise<WebhookView & { secret: string }> {
    await this.assertDestination(input.url);
    const secret = generateWebhookSecret();
    const row = await this.owners.run(owner, async (tx) => {
      const created = await tx.webhookEndpoint.create({
        data: { tenantId: owner.tenantId, url: input.url, eventTypes: [...new Set(input.eventTypes)], description: input.description ?? null, secret },
      });
      await this.audit.record(tx, {
        action: 'webhook.endpoint.create',
        tenantId: owner.tenantId,
        target: `webhook-endpoint:${created.id}`,
        details: { url: withoutCredentials(input.url), eventTypes: created.eventTypes },
      });
      return created;
    });
    return { ...toView(row), secret };
  }

  async update(owner: WebhookOwner, id: string, input: UpdateWebhook): Promise<WebhookView> {
    if (input.url !== undefined) await this.assertDestination(input.url);
    const row = await this.owners.run(owner, async (tx) => {
      const current = await this.findEndpoint(tx, owner, id);
      const reenabled = input.enabled === true && !current.enabled;
      const updated = await tx.webhookEndpoint.update({
        where: { id: current.id },
        data: {
          ...(input.url !== undefined ? { url: input.url } : {}),
          ...(input.eventTypes !== undefined ? { eventTypes: [...new Set(input.eventTypes)] } : {}),
          ...(input.description !== undefined ? { description: input.description } : {}),
          ...(input.enabled !== undefined ? { enabled: input.enabled, disabledReason: input.enabled ? null : 'paused' } : {}),
          // A fresh start: the failure clock of an endpoint that was disabled for failing restarts.
          ...(reenabled ? { failingSince: null } : {}),
        },
      });
      await this.audit.record(tx, {
        action: 'webhook.endpoint.update',
        tenantId: owner.tenantId,
        target: `webhook-endpoint:${id}`,
        details: { ...input, ...(input.url !== undefined ? { url: withoutCredentials(input.url) } : {}) },
      });
      return updated;
    });
    return toView(row);
  }

  async remove(owner: WebhookOwner, id: string): Promise<void> {
    await this.owners.run(owner, async (tx) => {
      await this.findEndpoint(tx, owner, id);
      await tx.webhookEndpoint.deleteMany({ where: { id, tenantId: owner.tenantId } });
      await this.audit.record(tx, { action: 'webhook.endpoint.delete', tenantId: owner.tenantId, target: `webhook-endpoint:${id}` });
    });
  }

  /**
   * A new secret signs from now on; the previous one keeps signing alongside
   * it (two signatures in `webhook-signature`) until the overlap ends, so a
   * receiver can switch at its own pace. A second rotation inside the window
   * retires the oldest secret at once.
   */
  async rotateSecret(owner: WebhookOwner, id: string, input: RotateSecret): Promise<WebhookView & { secret: string }> {
    const secret = generateWebhookSecret();
    const row = await this.owners.run(owner, async (tx) => {
      const current = await this.findEndpoint(tx, owner, id);
      const expiresAt = new Date(Date.now() + input.overlapSeconds * 1000);
      const updated = await tx.webhookEndpoint.update({
        where: { id: current.id },
        data: { secret, previousSecret: input.overlapSeconds > 0 ? current.secret : null, previousSecretExpiresAt: input.overlapSeconds > 0 ? expiresAt : null },
      });
      await this.audit.record(tx, {
        action: 'webhook.endpoint.rotate_secret',
        tenantId: owner.tenantId,
        target: `webhook-endpoint:${id}`,
        details: { overlapSeconds: input.overlapSeconds },
      });
      return updated;
    });
    return { ...toView(row), secret };
  }

  /** The delivery log, newest first, each delivery with its attempts. */
  async deliveries(owner: WebhookOwner, id: string, query: ListDeliveriesQuery): Promise<{ items: DeliveryView[]; nextCursor: string | null }> {
    return this.owners.run(owner, async (tx) => {
      await this.findEndpoint(tx, owner, id);
      const rows = await tx.webhookDelivery.findMany({
        where: { endpointId: id, ...(query.status ? { status: query.status } : {}), ...(query.cursor ? { seq: { lt: BigInt(query.cursor) } } : {}) },
        orderBy: { seq: 'desc' },
        take: query.limit + 1,
        include: { event: { select: { eventId: true, type: true } }, attemptLog: { orderBy: { id: 'asc' } } },
      });
      const page = rows.slice(0, query.limit);
      return {
        items: page.map(
          (row): DeliveryView => ({
            id: row.id,
            eventId: row.event.eventId,
            eventType: row.event.type,
            status: row.status as DeliveryView['status'],
            attempts: row.attempts,
            nextAttemptAt: row.status === 'pending' ? row.nextAttemptAt.toISOString() : null,
            lastStatus: row.lastStatus,
            lastError: row.lastError,
            replayOf: row.replayOf,
            createdAt: row.createdAt.toISOString(),
            finishedAt: row.finishedAt?.toISOString() ?? null,
            attemptLog: row.attemptLog.map((attempt) => ({
              attemptedAt: attempt.attemptedAt.toISOString(),
              statusCode: attempt.statusCode,
              error: attempt.error,
              durationMs: attempt.durationMs,
            })),
          }),
        ),
        nextCursor: rows.length > query.limit ? (page.at(-1)?.seq.toString() ?? null) : null,
      };
    });
  }

  /**
   * Manual replay: the same event (same `webhook-id`, so receivers can tell)
   * queued again for the endpoint, at the end of its queue, as a new delivery
   * with its own attempts. The original stays in the log as it was.
   */
  async replay(owner: WebhookOwner, id: string, deliveryId: string): Promise<{ id: string }> {
    return this.owners.run(owner, async (tx) => {
      const endpoint = await this.findEndpoint(tx, owner, id);
      const original = await tx.webhookDelivery.findFirst({ where: { id: deliveryId, endpointId: endpoint.id } });
      if (!original) throw deliveryNotFound();
      const replay = await tx.webhookDelivery.create({
        data: { endpointId: endpoint.id, tenantId: endpoint.tenantId, eventId: original.eventId, replayOf: original.id },
        select: { id: true },
      });
      await this.audit.record(tx, {
        action: 'webhook.delivery.replay',
        tenantId: owner.tenantId,
        target: `webhook-delivery:${original.id}`,
        details: { replay: replay.id },
      });
      return replay;
    });
  }
}
