import { Controller, Get, Query, Res } from '@nestjs/common';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { ApiProblemResponse } from '../common/openapi/problem-responses.js';
import { ApiZodResponse } from '../common/openapi/response-schemas.js';
import { Authenticated } from '../auth/access.decorators.js';
import { ApiZodQuery, ZodValidationPipe } from '../common/zod-validation.js';
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
@ApiProblemResponse(400, '`validation_failed` (also for a cursor that is not from a previous page)')
@Controller('v1/audit-events')
export class AuditController {
  constructor(private readonly db: TenantDb) {}

  @Get()
  @Authenticated({ roles: ['admin'] })
  @ApiOperation({ operationId: 'listAuditEvents', summary: "Read the tenant's audit log, newest first (filter by actor, action, target, outcome, time range; cursor paging)" })
  @ApiZodQuery(tenantAuditQuerySchema)
  @ApiZodResponse(200, 'AuditEventPage', auditPageSchema)
  list(@Query(new ZodValidationPipe(tenantAuditQuerySchema)) query: TenantAuditQuery) {
    return this.db.autocommit((tx) => findAuditEvents(tx, query));
  }

  @Get('export')
  @Authenticated({ roles: ['admin'] })
  @ApiOperation({
    operationId: 'exportAuditEvents',
    summary: "Export the tenant's audit log (same filters) as NDJSON or CSV, streamed, newest first",
    description: 'CSV cells that a spreadsheet would read as a formula (= + - @) are prefixed with `\'`.',
  })
  @ApiZodQuery(tenantAuditExportSchema)
  @ApiResponse({
    status: 200,
    description: 'One event per line (NDJSON) or one per row after a header (CSV)',
    content: {
      'application/x-ndjson': { schema: { type: 'string', description: 'One `AuditEvent` JSON object per line.' } },
      'text/csv': { schema: { type: 'string', description: 'A header row, then one event per row.' } },
    },
  })
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
