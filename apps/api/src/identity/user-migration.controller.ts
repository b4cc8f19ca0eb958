/**
 * `POST /internal/cognito-user-migration`: the target pool's user-migration
 * trigger (infra/lambdas/user-migration.ts) asks whether a user who does not
 * exist in the pool is a deferred user of a tier move, and with which
 * attributes Cognito should create it (user-migration.service.ts).
 *
 * Not for clients. Signed like the post-events reports (Standard Webhooks,
 * the deployment's events secret, COGNITO_EVENTS_SECRET): without a valid
 * signature — or without a configured secret — it answers 401 to everything.
 * The body carries a password (the one the user typed at Cognito): it is
 * checked once at the source and never logged or stored.
 */
import { Body, Controller, HttpCode, Inject, Post, Req } from '@nestjs/common';
import { ApiBadRequestResponse, ApiForbiddenResponse, ApiOkResponse, ApiOperation, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { Public } from '../auth/access.decorators.js';
import { ApiZodBody, ZodValidationPipe, openApiSchema } from '../common/zod-validation.js';
import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig } from '../config/config.schema.js';
import { assertSignedReport } from './cognito-events.js';
import { type UserMigrationAnswer, UserMigrationService, userMigrationAnswerSchema, userMigrationRequestSchema } from './user-migration.service.js';

@ApiTags('internal')
@Public()
@Controller('internal/cognito-user-migration')
export class UserMigrationController {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly migration: UserMigrationService,
  ) {}

  @Post()
  @HttpCode(200)
  @ApiOperation({
    summary: 'User-migration trigger requests (a tier move’s deferred users signing in or resetting directly at the target pool)',
    description:
      'Not for clients: only requests signed per Standard Webhooks with the deployment’s events secret are accepted (401 `invalid_signature` otherwise). ' +
      'Answers the attributes Cognito creates the user with, or 403 `user_migration_refused` (unknown user, wrong password, no move, suspended tenant, disabled or TOTP user).',
  })
  @ApiZodBody(userMigrationRequestSchema)
  @ApiOkResponse({ description: 'The attributes of the user to create in the target pool.', schema: openApiSchema(userMigrationAnswerSchema, 'output') })
  @ApiUnauthorizedResponse({ description: 'problem+json `invalid_signature`' })
  @ApiForbiddenResponse({ description: 'problem+json `user_migration_refused`' })
  @ApiBadRequestResponse({ description: 'problem+json `validation_failed`' })
  async migrate(@Req() request: FastifyRequest, @Body() raw: unknown): Promise<UserMigrationAnswer> {
    assertSignedReport(this.config.env.COGNITO_EVENTS_SECRET, request.headers, raw);
    return this.migration.migrate(new ZodValidationPipe(userMigrationRequestSchema).transform(raw));
  }
}
