import { Controller, Get, Query, Res } from '@nestjs/common';
import { ApiBadRequestResponse, ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Authenticated } from '../auth/access.decorators.js';
import { ApiZodQuery, ZodValidationPipe, openApiSchema } from '../common/zod-validation.js';
import { MissingTenantContextError } from '../common/domain-error.js';
import { TenantDb } from '../database/tenant-db.js';
import { currentAuth } from '../tenancy/request-context.js';
import { sendAuditExport } from './audit-export.reply.js';
import { findAuditEvents, findAuditRows } from './audit-query.js';
import {
  type AuditExportQuery,
  type TenantAuditQuery,
  auditPageSchema,
  tenantAuditExportSchema,
  tenantAuditQuerySchema,
} from './dto/audit-event.dto.js';

/**
 * A tenant admin's view of their own tenant's audit log. Postgres decides
 * which rows exist (audit_events_select: own tenant, admin role); operators
 * read every tenant's at `/v1/admin/audit-events`.
 */
@ApiTags('audit')
@ApiBadRequestResponse({ description: 'problem+json `validation_failed` (also for a cursor that is not from a previous page)' })
@Controller('v1/audit-events')
export class AuditController {
  constructor(private readonly db: TenantDb) {}

  @Get()
  @Authenticated({ roles: ['admin'] })
  @ApiOperation({ summary: "Read the tenant's audit log, newest first (filter by actor, action, target, outcome, time range; cursor paging)" })
  @ApiZodQuery(tenantAuditQuerySchema)
  @ApiOkResponse({ schema: openApiSchema(auditPageSchema) })
  list(@Query(new ZodValidationPipe(tenantAuditQuerySchema)) query: TenantAuditQuery) {
    return this.db.autocommit((tx) => findAuditEvents(tx, query));
  }

  @Get('export')
  @Authenticated({ roles: ['admin'] })
  @ApiOperation({
    summary: "Export the tenant's audit log (same filters) as NDJSON or CSV, streamed, newest first",
    description: 'CSV cells that a spreadsheet would read as a formula (= + - @) are prefixed with `\'`.',
  })
  @ApiZodQuery(tenantAuditExportSchema)
  @ApiProduces('application/x-ndjson', 'text/csv')
  @ApiOkResponse({ description: 'One event per line (NDJSON) or one per row after a header (CSV)' })
  async export(@Query(new ZodValidationPipe(tenantAuditExportSchema)) query: AuditExportQuery, @Res() reply: FastifyReply): Promise<void> {
    // Batches are read while the response streams, after this handler has returned: the verified
    // context is captured now and passed explicitly rather than looked up from async storage later.
    const auth = currentAuth();
    if (!auth) throw new MissingTenantContextError();
    const { format, ...filters } = query;
    await sendAuditExport(reply, format, filters, (batchFilters, before, take) =>
      this.db.autocommitAs(auth, (tx) => findAuditRows(tx, batchFilters, before, take)),
    );
  }
}
