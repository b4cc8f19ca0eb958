import { Controller, Get, Query, Res } from '@nestjs/common';
import { ApiBadRequestResponse, ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { sendAuditExport } from '../audit/audit-export.reply.js';
import { findAuditEvents, findAuditRows } from '../audit/audit-query.js';
import {
  type AdminAuditQuery,
  type AuditExportQuery,
  adminAuditExportSchema,
  adminAuditQuerySchema,
  auditPageSchema,
} from '../audit/dto/audit-event.dto.js';
import { Authenticated } from '../auth/access.decorators.js';
import { ApiZodQuery, ZodValidationPipe, openApiSchema } from '../common/zod-validation.js';
import { PrivilegedPrismaService } from '../database/privileged-database.module.js';

/**
 * The platform audit log for operators: every tenant's events and the
 * platform-wide ones. It reads through the privileged client (the app role
 * sees one tenant's events at most), which only the tenants context holds —
 * hence this controller lives here and not in audit/.
 */
@ApiTags('admin: audit')
@ApiBadRequestResponse({ description: 'problem+json `validation_failed` (also for a cursor that is not from a previous page)' })
@Controller('v1/admin/audit-events')
export class AdminAuditController {
  constructor(private readonly privileged: PrivilegedPrismaService) {}

  @Get()
  @Authenticated({ roles: ['platform-admin'] })
  @ApiOperation({ summary: 'Read the audit log, newest first (filter by tenant, actor, action, target, outcome, time range; cursor paging)' })
  @ApiZodQuery(adminAuditQuerySchema)
  @ApiOkResponse({ schema: openApiSchema(auditPageSchema) })
  list(@Query(new ZodValidationPipe(adminAuditQuerySchema)) query: AdminAuditQuery) {
    return findAuditEvents(this.privileged.client, query);
  }

  @Get('export')
  @Authenticated({ roles: ['platform-admin'] })
  @ApiOperation({
    summary: 'Export the audit log (same filters) as NDJSON or CSV, streamed, newest first',
    description: 'CSV cells that a spreadsheet would read as a formula (= + - @) are prefixed with `\'`.',
  })
  @ApiZodQuery(adminAuditExportSchema)
  @ApiProduces('application/x-ndjson', 'text/csv')
  @ApiOkResponse({ description: 'One event per line (NDJSON) or one per row after a header (CSV)' })
  async export(@Query(new ZodValidationPipe(adminAuditExportSchema)) query: AuditExportQuery, @Res() reply: FastifyReply): Promise<void> {
    const { format, ...filters } = query;
    await sendAuditExport(reply, format, filters, (batchFilters, before, take) => findAuditRows(this.privileged.client, batchFilters, before, take));
  }
}
