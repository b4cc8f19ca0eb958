import { Controller, Get, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiZodResponse } from '../common/openapi/response-schemas.js';
import { Authenticated } from '../auth/access.decorators.js';
import { ApiZodQuery, ZodValidationPipe } from '../common/zod-validation.js';
import { TenantDb } from '../database/tenant-db.js';
import { findAuditEvents } from './audit-query.js';
import { type TenantAuditQuery, auditPageSchema, tenantAuditQuerySchema } from './dto/audit-event.dto.js';

/**
 * A tenant admin's view of their own tenant's audit log. Postgres decides
 * which rows exist (audit_events_select: own tenant, admin role); operators
 * read every tenant's at `/v1/admin/audit-events`.
 */
@ApiTags('audit')
@Controller('v1/audit-events')
export class AuditController {
  constructor(private readonly db: TenantDb) {}

  @Get()
  @Authenticated({ roles: ['admin'] })
  @ApiOperation({ operationId: 'listAuditEvents', summary: "Read the tenant's audit log, newest first (filter by actor, action, time range)" })
  @ApiZodQuery(tenantAuditQuerySchema)
  @ApiZodResponse(200, 'AuditEventPage', auditPageSchema)
  list(@Query(new ZodValidationPipe(tenantAuditQuerySchema)) query: TenantAuditQuery) {
    return this.db.autocommit((tx) => findAuditEvents(tx, query));
  }
}
