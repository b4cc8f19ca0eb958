/**
 * One `LISTEN` connection per API process for the change notifications the
 * triggers send (see the *_notify_registry_and_user_changes migration). When
 * the connection drops, it reconnects with backoff and tells every subscriber
 * to reload in full, because notifications sent meanwhile are lost.
 */
import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import pg from 'pg';
import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig } from '../config/config.schema.js';

export type ChangeChannel = 'gatehouse_registry' | 'gatehouse_users';

export interface ChangeSubscriber {
  onChange(payload: string): void;
  /** Called after a reconnect: anything may have changed while we were deaf. */
  onResync(): void;
}

@Injectable()
export class DatabaseChangeListener implements OnModuleDestroy {
  private readonly logger = new Logger(DatabaseChangeListener.name);
  private readonly subscribers = new Map<ChangeChannel, Set<ChangeSubscriber>>();
  private client: pg.Client | undefined;
  private connecting: Promise<void> | undefined;
  private closed = false;
  private retryDelayMs = 250;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  /** Subscribes and makes sure the connection is listening; resolves once it is. */
  async subscribe(channel: ChangeChannel, subscriber: ChangeSubscriber): Promise<void> {
    const set = this.subscribers.get(channel) ?? new Set<ChangeSubscriber>();
    set.add(subscriber);
    this.subscribers.set(channel, set);
    await this.ensureConnected();
    await this.client?.query(`LISTEN ${channel}`);
  }

  private ensureConnected(): Promise<void> {
    if (this.client) return Promise.resolve();
    this.connecting ??= this.connect().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({
      connectionString: this.config.env.DATABASE_URL,
      application_name: 'gatehouse-api-listener',
      keepAlive: true,
    });
    client.on('notification', (message) => {
      for (const subscriber of this.subscribers.get(message.channel as ChangeChannel) ?? []) {
        subscriber.onChange(message.payload ?? '');
      }
    });
    client.on('error', (error) => {
      this.logger.warn(`change listener connection lost: ${error.message}`);
      void this.reconnect(client);
    });
    client.on('end', () => void this.reconnect(client));
    try {
      await client.connect();
      for (const channel of this.subscribers.keys()) await client.query(`LISTEN ${channel}`);
    } catch (error) {
      // Not ours yet (this.client is unset), so its 'end' does not trigger a reconnect; just release it.
      await client.end().catch(() => undefined);
      throw error;
    }
    this.client = client;
    this.retryDelayMs = 250;
  }

  private async reconnect(lost: pg.Client): Promise<void> {
    if (this.closed || this.client !== lost) return;
    this.client = undefined;
    await lost.end().catch(() => undefined);
    while (!this.closed) {
      await new Promise((resolve) => setTimeout(resolve, this.retryDelayMs).unref());
      try {
        await this.ensureConnected();
        for (const set of this.subscribers.values()) for (const subscriber of set) subscriber.onResync();
        this.logger.log('change listener reconnected; caches resynchronised');
        return;
      } catch (error) {
        this.retryDelayMs = Math.min(this.retryDelayMs * 2, 10_000);
        this.logger.warn(`change listener reconnect failed: ${(error as Error).message}`);
      }
    }
  }

  async onModuleDestroy(): Promise<void> {
    this.closed = true;
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }
}
