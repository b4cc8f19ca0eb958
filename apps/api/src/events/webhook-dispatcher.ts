/**
 * Webhook delivery, on every replica, without double sends:
 *
 * 1. **Relay** (fan-out). One replica at a time (a transaction-scoped advisory
 *    lock) turns outbox events into one delivery per subscribed endpoint, in
 *    outbox order: only events whose transaction is older than every running
 *    transaction are taken, ordered by (transaction id, event id), so a slow
 *    transaction's event can never be queued behind a later one's.
 * 2. **Dispatch**. An endpoint's deliveries form a queue (`seq`). A replica
 *    leases a whole endpoint (as provisioning leases a tenant) and sends its
 *    queue head, one request at a time: per-endpoint ordering, and no two
 *    replicas sending to one endpoint. A failed head is retried on the
 *    schedule (WEBHOOK_RETRY_SCHEDULE_MS) and blocks the endpoint's later
 *    deliveries until it succeeds or exhausts the schedule (then `failed`).
 *    A lease expires on its own, so a crashed replica's endpoints are taken
 *    over; a send starts only when the lease outlives its timeout.
 * 3. An endpoint whose attempts have all failed for WEBHOOK_DISABLE_AFTER_MS is
 *    disabled, with a `webhook_endpoint.disabled` event and an audit entry.
 *
 * The worker works across tenants, so it uses the privileged client (the one
 * exception to "privileged client only in tenants", see README "Events and hooks").
 */
import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { AuditService } from '../audit/audit.service.js';
import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig } from '../config/config.schema.js';
import { PrivilegedPrismaService } from '../database/privileged-database.module.js';
import type { TransactionClient } from '../database/prisma-client.js';
import type { EventEnvelope } from './event-catalog.js';
import { EventsService } from './events.service.js';
import { retryDelayMs } from './retry-schedule.js';
import { signMessage } from './standard-webhooks.js';
import { type SendOutcome, WebhookSender } from './webhook-sender.js';

/** Key of the advisory lock that makes the relay single-file across replicas. */
const RELAY_LOCK_KEY = 0x6761_7465; // "gate"
const RELAY_BATCH = 500;
/** Sends per lease before the endpoint is let go (fairness between busy endpoints). */
const SENDS_PER_CLAIM = 100;
/** Margin between a send's deadline and the lease's end. */
const LEASE_MARGIN_MS = 1000;

interface ClaimedEndpoint {
  readonly id: string;
}

/** The envelope of one outbox event, as the JSON body of every delivery of it. */
export function envelopeOf(event: { eventId: string; type: string; version: number; occurredAt: Date; tenantId: string | null; data: unknown }): EventEnvelope {
  return {
    id: event.eventId,
    type: event.type,
    version: event.version,
    timestamp: event.occurredAt.toISOString(),
    tenantId: event.tenantId,
    data: (event.data ?? {}) as Record<string, unknown>,
  };
}

/** The endpoint's live secrets, newest first: the previous one only inside its overlap window. */
export function liveSecrets(endpoint: { secret: string; previousSecret: string | null; previousSecretExpiresAt: Date | null }, now: Date): string[] {
  const previous = endpoint.previousSecret && endpoint.previousSecretExpiresAt && endpoint.previousSecretExpiresAt > now ? [endpoint.previousSecret] : [];
  return [endpoint.secret, ...previous];
}

@Injectable()
export class WebhookDispatcher implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(WebhookDispatcher.name);
  /** This replica's identity in leases. */
  private readonly owner = randomUUID();
  private readonly active = new Map<string, Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private stopping = false;
  readonly sender: WebhookSender;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly privileged: PrivilegedPrismaService,
    private readonly events: EventsService,
    private readonly audit: AuditService,
  ) {
    this.sender = new WebhookSender({ allowPrivateAddresses: config.isLocal, timeoutMs: config.env.WEBHOOK_TIMEOUT_MS });
  }

  onApplicationBootstrap(): void {
    if (!this.config.env.WEBHOOK_DELIVERY_ENABLED) return;
    this.timer = setInterval(() => this.tick(), this.config.env.WEBHOOK_POLL_INTERVAL_MS);
    this.timer.unref();
    this.tick();
  }

  /** Stops taking work, lets running sends finish (each is bounded by its timeout), and lets its leases go. */
  async onApplicationShutdown(): Promise<void> {
    this.stopping = true;
    clearInterval(this.timer);
    this.timer = undefined;
    await this.ticking;
    await Promise.allSettled([...this.active.values()]);
  }

  /** One round at a time; a failing round (database down) is logged and the next one tries again. */
  private tick(): void {
    if (this.ticking || this.stopping) return;
    this.ticking = this.round()
      .catch((error: unknown) => this.logger.warn(`webhook round failed: ${error instanceof Error ? error.message : String(error)}`))
      .finally(() => {
        this.ticking = undefined;
      });
  }

  private async round(): Promise<void> {
    await this.relay();
    const free = this.config.env.WEBHOOK_CONCURRENCY - this.active.size;
    if (free <= 0 || this.stopping) return;
    for (const endpoint of await this.claim(free)) {
      const run = this.drain(endpoint.id)
        .catch((error: unknown) => this.logger.warn(`webhook endpoint ${endpoint.id}: ${error instanceof Error ? error.message : String(error)}`))
        .finally(() => {
          this.active.delete(endpoint.id);
          void this.release(endpoint.id).catch(() => undefined);
        });
      this.active.set(endpoint.id, run);
    }
  }

  /** Fans committed outbox events out to subscribed endpoints; returns how many events it relayed. */
  async relay(): Promise<number> {
    return this.privileged.client.$transaction(async (tx) => {
      const [lock] = await tx.$queryRaw<{ locked: boolean }[]>`SELECT pg_try_advisory_xact_lock(${RELAY_LOCK_KEY}::bigint) AS locked`;
      if (!lock?.locked) return 0;
      const [result] = await tx.$queryRaw<{ relayed: number }[]>`
        WITH batch AS (
          SELECT id, tenant_id, type, tx_id FROM event_outbox
          WHERE relayed_at IS NULL AND tx_id < pg_snapshot_xmin(pg_current_snapshot())
          ORDER BY tx_id, id
          LIMIT ${RELAY_BATCH}
        ), fanned AS (
          INSERT INTO webhook_deliveries (endpoint_id, tenant_id, event_id)
          SELECT e.id, e.tenant_id, b.id
          FROM batch b
          JOIN webhook_endpoints e
            ON e.enabled
           AND (e.tenant_id IS NULL OR e.tenant_id = b.tenant_id)
           AND (b.type = ANY (e.event_types) OR '*' = ANY (e.event_types))
          ORDER BY b.tx_id, b.id, e.id
          RETURNING 1
        ), marked AS (
          UPDATE event_outbox SET relayed_at = now() WHERE id IN (SELECT id FROM batch) RETURNING 1
        )
        SELECT (SELECT count(*) FROM marked)::int AS relayed, (SELECT count(*) FROM fanned)::int AS fanned`;
      return result?.relayed ?? 0;
    });
  }

  /** Leases up to `limit` enabled endpoints whose queue head is due and that nobody else holds. */
  private claim(limit: number): Promise<ClaimedEndpoint[]> {
    return this.privileged.client.$queryRaw<ClaimedEndpoint[]>`
      UPDATE webhook_endpoints SET lease_owner = ${this.owner}::uuid,
             lease_expires_at = now() + ${this.config.env.WEBHOOK_LEASE_MS} * interval '1 millisecond'
      WHERE id IN (
        SELECT c.id FROM webhook_endpoints c
        WHERE c.enabled
          AND (c.lease_expires_at IS NULL OR c.lease_expires_at < now())
          AND (SELECT d.next_attempt_at FROM webhook_deliveries d
               WHERE d.endpoint_id = c.id AND d.status = 'pending' ORDER BY d.seq LIMIT 1) <= now()
        ORDER BY c.id
        LIMIT ${limit}
        FOR UPDATE SKIP LOCKED)
      RETURNING id::text AS id`;
  }

  private async release(endpointId: string): Promise<void> {
    await this.privileged.client.webhookEndpoint.updateMany({
      where: { id: endpointId, leaseOwner: this.owner },
      data: { leaseOwner: null, leaseExpiresAt: null },
    });
  }

  /** Sends the endpoint's due queue head, again and again, while this replica holds the lease. */
  private async drain(endpointId: string): Promise<void> {
    for (let sends = 0; sends < SENDS_PER_CLAIM && !this.stopping; sends += 1) {
      const endpoint = await this.privileged.client.webhookEndpoint.findUnique({ where: { id: endpointId } });
      if (!endpoint?.enabled || endpoint.leaseOwner !== this.owner || !endpoint.leaseExpiresAt) return;
      if (endpoint.leaseExpiresAt.getTime() - Date.now() < this.config.env.WEBHOOK_TIMEOUT_MS + LEASE_MARGIN_MS) return;
      const head = await this.privileged.client.webhookDelivery.findFirst({
        where: { endpointId, status: 'pending' },
        orderBy: { seq: 'asc' },
        include: { event: true },
      });
      if (!head || head.nextAttemptAt.getTime() > Date.now()) return;

      const body = JSON.stringify(envelopeOf(head.event));
      const now = new Date();
      const headers = signMessage(liveSecrets(endpoint, now), head.event.eventId, body, Math.floor(now.getTime() / 1000));
      const started = Date.now();
      const outcome = await this.sender.send(endpoint.url, { ...headers }, body);
      const finished = await this.settle(endpoint, head, outcome, Date.now() - started);
      if (!finished) return; // a retry is scheduled: the queue waits for it
    }
  }

  /**
   * Records one attempt and its consequence in one transaction: success, a
   * scheduled retry, or `failed` once the schedule is exhausted; renews the
   * lease; disables an endpoint that has failed for too long. Returns whether
   * the delivery left the queue.
   */
  private async settle(
    endpoint: { id: string; tenantId: string | null; failingSince: Date | null },
    delivery: { id: string; attempts: number },
    outcome: SendOutcome,
    durationMs: number,
  ): Promise<boolean> {
    const env = this.config.env;
    return this.privileged.client.$transaction(async (tx) => {
      const now = new Date();
      await tx.webhookDeliveryAttempt.create({
        data: {
          deliveryId: delivery.id,
          tenantId: endpoint.tenantId,
          attemptedAt: now,
          statusCode: outcome.status,
          error: outcome.ok ? null : outcome.error.slice(0, 500),
          durationMs,
        },
      });
      const attempts = delivery.attempts + 1;
      const lease = { leaseExpiresAt: new Date(now.getTime() + env.WEBHOOK_LEASE_MS) };
      if (outcome.ok) {
        await tx.webhookDelivery.update({
          where: { id: delivery.id },
          data: { status: 'succeeded', attempts, lastStatus: outcome.status, lastError: null, finishedAt: now },
        });
        await tx.webhookEndpoint.updateMany({ where: { id: endpoint.id, leaseOwner: this.owner }, data: { failingSince: null, ...lease } });
        return true;
      }
      const delay = retryDelayMs(env.WEBHOOK_RETRY_SCHEDULE_MS, attempts);
      await tx.webhookDelivery.update({
        where: { id: delivery.id },
        data: {
          attempts,
          lastStatus: outcome.status,
          lastError: outcome.error.slice(0, 500),
          ...(delay === null ? { status: 'failed', finishedAt: now } : { nextAttemptAt: new Date(now.getTime() + delay) }),
        },
      });
      const failingSince = endpoint.failingSince ?? now;
      if (now.getTime() - failingSince.getTime() >= env.WEBHOOK_DISABLE_AFTER_MS) {
        await this.disable(tx, endpoint, failingSince);
      } else {
        await tx.webhookEndpoint.updateMany({ where: { id: endpoint.id, leaseOwner: this.owner }, data: { failingSince, ...lease } });
      }
      return delay === null;
    });
  }

  private async disable(tx: TransactionClient, endpoint: { id: string; tenantId: string | null }, failingSince: Date): Promise<void> {
    const { count } = await tx.webhookEndpoint.updateMany({
      where: { id: endpoint.id, enabled: true },
      data: { enabled: false, disabledReason: 'failing', failingSince },
    });
    if (count === 0) return;
    this.logger.warn(`webhook endpoint ${endpoint.id} disabled: every attempt failed since ${failingSince.toISOString()}`);
    await this.events.emit(tx, {
      type: 'webhook_endpoint.disabled',
      data: { tenantId: endpoint.tenantId, endpointId: endpoint.id, failingSince: failingSince.toISOString() },
    });
    await this.audit.record(tx, {
      action: 'webhook.endpoint.disable',
      tenantId: endpoint.tenantId,
      target: `webhook-endpoint:${endpoint.id}`,
      details: { reason: 'failing', failingSince: failingSince.toISOString() },
    });
  }
}
