import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module.js';
import { DatabaseModule } from '../database/database.module.js';
import { OwnerTransactions } from '../database/owner-transaction.js';
import { PrivilegedDatabaseModule } from '../database/privileged-database.module.js';
import { EventsModule } from './events.module.js';
import { WebhookDispatcher } from './webhook-dispatcher.js';
import { AdminWebhooksController, TenantWebhooksController } from './webhooks.controller.js';
import { WebhooksService } from './webhooks.service.js';

/**
 * Webhook subscriptions (tenant admins' and operators') and the delivery
 * worker that runs on every replica. Holds the privileged client because
 * delivery and platform endpoints span tenants (README "Events and hooks").
 */
@Module({
  imports: [AuditModule, DatabaseModule, PrivilegedDatabaseModule, EventsModule],
  controllers: [TenantWebhooksController, AdminWebhooksController],
  providers: [WebhooksService, WebhookDispatcher, OwnerTransactions],
  exports: [WebhookDispatcher],
})
export class WebhooksModule {}
