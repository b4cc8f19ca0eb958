import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBadRequestResponse, ApiConflictResponse, ApiNotFoundResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Authenticated } from '../../auth/access.decorators.js';
import { ApiZodBody, ZodParamPipe, ZodValidationPipe, openApiSchema } from '../../common/zod-validation.js';
import { idParamSchema, tenantSchema } from '../dto/tenant.dto.js';
import { TenantsService } from '../tenants.service.js';
import { type MoveTenant, moveTenantSchema } from './tier-move.dto.js';
import { TierMoveService } from './tier-move.service.js';

const tenantId = new ZodParamPipe('tenantId', idParamSchema);
const OPERATORS = { roles: ['platform-admin'] } as const;

/**
 * Operators move a live tenant between tiers (`platform-admin` only). Every
 * call answers 202 with the tenant: the move runs in the background and
 * `GET /v1/admin/tenants/{id}` shows it step by step under `tierMove`.
 */
@ApiTags('admin: tenants')
@ApiBadRequestResponse({ description: 'problem+json `validation_failed`' })
@ApiNotFoundResponse({ description: 'problem+json `tenant_not_found`' })
@Controller('v1/admin/tenants/:tenantId/move')
export class TierMoveController {
  constructor(
    private readonly moves: TierMoveService,
    private readonly tenants: TenantsService,
  ) {}

  @Post()
  @HttpCode(202)
  @Authenticated(OPERATORS)
  @ApiOperation({
    summary: 'Move an active tenant to another tier (pool ↔ bridge ↔ silo), users and sign-ins included',
    description:
      'Users are copied to the target with the same ids; passwords move at each user’s next sign-in; both sides are trusted ' +
      'until the source’s tokens have expired, then the source is removed. See README “Moving a tenant between tiers”.',
  })
  @ApiZodBody(moveTenantSchema)
  @ApiAcceptedResponse({ schema: openApiSchema(tenantSchema) })
  @ApiConflictResponse({ description: 'problem+json `invalid_tenant_state`, `tier_move_in_progress`, `mfa_reenrolment_not_accepted`' })
  async move(@Param('tenantId', tenantId) id: string, @Body(new ZodValidationPipe(moveTenantSchema)) body: MoveTenant) {
    await this.moves.requestMove(id, body);
    return this.tenants.get(id);
  }

  @Post('retry')
  @HttpCode(202)
  @Authenticated(OPERATORS)
  @ApiOperation({ summary: 'Resume a failed tier move from the step that failed' })
  @ApiAcceptedResponse({ schema: openApiSchema(tenantSchema) })
  @ApiConflictResponse({ description: 'problem+json `no_tier_move`, `tier_move_in_progress`' })
  async retry(@Param('tenantId', tenantId) id: string) {
    await this.moves.retry(id);
    return this.tenants.get(id);
  }

  @Post('cancel')
  @HttpCode(202)
  @Authenticated(OPERATORS)
  @ApiOperation({ summary: 'Cancel a tier move before cut-over: what the target got is removed, the tenant stays in its tier' })
  @ApiAcceptedResponse({ schema: openApiSchema(tenantSchema) })
  @ApiConflictResponse({ description: 'problem+json `no_tier_move`, `tier_move_cut_over`' })
  async cancel(@Param('tenantId', tenantId) id: string) {
    await this.moves.cancel(id);
    return this.tenants.get(id);
  }
}
