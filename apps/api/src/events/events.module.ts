import { Module } from '@nestjs/common';
import { EventsService } from './events.service.js';

/**
 * The event producers' side of the events context: EventsService.emit, used
 * by tenants, users and identity inside their own transactions. It depends on
 * nothing, so any module can import it without a cycle; webhook subscriptions
 * and delivery live in WebhooksModule.
 */
@Module({ providers: [EventsService], exports: [EventsService] })
export class EventsModule {}
