import { Controller, Get, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiZodResponse } from '../common/openapi/response-schemas.js';
import { findAuditEvents } from '../audit/audit-query.js';
import { type AdminAuditQuery, adminAuditQuerySchema, auditPageSchema } from '../audit/dto/audit-event.dto.js';
import { Authenticated } from '../auth/access.decorators.js';
import { ApiZodQuery, ZodValidationPipe } from '../common/zod-validation.js';
import { PrivilegedPrismaService } from '../database/privileged-database.module.js';

/**
 * The platform audit log for operators: every tenant's events and the
 * platform-wide ones. It reads through the privileged client (the app role
 * sees one tenant's events at most), which only the tenants context holds —
 * hence this controller lives here and not in audit/.
 */
@ApiTags('admin: audit')
@Controller('v1/admin/audit-events')
export class AdminAuditController {
  constructor(private readonly privileged: PrivilegedPrismaService) {}

  @Get()
  @Authenticated({ roles: ['platform-admin'] })
  @ApiOperation({ operationId: 'listPlatformAuditEvents', summary: 'Read the audit log, newest first (filter by tenant, actor, action, time range)' })
  @ApiZodQuery(adminAuditQuerySchema)
  @ApiZodResponse(200, 'AuditEventPage', auditPageSchema)
  list(@Query(new ZodValidationPipe(adminAuditQuerySchema)) query: AdminAuditQuery) {
    return findAuditEvents(this.privileged.client, query);
  }
}
