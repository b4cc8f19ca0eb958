/**
 * The one way to record a lifecycle event: `emit(tx, event)` inserts it into
 * the outbox (`event_outbox`) with the transaction client of the change, so
 * the event commits or rolls back with it. Delivery happens later, from the
 * outbox (WebhookDispatcher), never from inside the change's transaction.
 *
 * Events with no database change of their own (a sign-in, a failed sign-in)
 * still go through the outbox, in a small transaction of their own
 * (`emitAlone`), so every event takes the same path to its receivers.
 */
import { Injectable } from '@nestjs/common';
import type { TransactionClient } from '../database/prisma-client.js';
import { EVENT_CATALOG, type LifecycleEvent } from './event-catalog.js';

type OutboxWriter = Pick<TransactionClient, 'eventOutbox'>;

export interface EmitOptions {
  /** For producers that may report one fact twice (Cognito retries its triggers): a repeated key is skipped. */
  readonly dedupeKey?: string;
}

@Injectable()
export class EventsService {
  /**
   * Inserts the event in the caller's transaction. Returns false when an event
   * with the same `dedupeKey` already exists (nothing inserted). The data is
   * checked against the catalog: a producer that drifts from the documented
   * schema fails loudly (and its change rolls back) instead of sending it.
   */
  async emit(tx: OutboxWriter, event: LifecycleEvent, options: EmitOptions = {}): Promise<boolean> {
    const entry = EVENT_CATALOG[event.type];
    const data = entry.data.parse(event.data) as Record<string, unknown>;
    const tenantId = typeof data['tenantId'] === 'string' ? data['tenantId'] : null;
    const { count } = await tx.eventOutbox.createMany({
      data: [{ tenantId, type: event.type, version: entry.version, data: data as object, dedupeKey: options.dedupeKey ?? null }],
      skipDuplicates: true,
    });
    return count === 1;
  }
}
