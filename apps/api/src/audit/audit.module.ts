import { Module } from '@nestjs/common';
import { DatabaseModule } from '../database/database.module.js';
import { AuditController } from './audit.controller.js';
import { AuditService } from './audit.service.js';

/**
 * Writing audit events (AuditService, used by every module that changes
 * things) and the tenant admins' read API. The operators' cross-tenant read
 * API needs the privileged client, so it is served by the tenants context
 * (tenants/admin-audit.controller.ts) with the same query (audit-query.ts).
 */
@Module({ imports: [DatabaseModule], controllers: [AuditController], providers: [AuditService], exports: [AuditService] })
export class AuditModule {}
