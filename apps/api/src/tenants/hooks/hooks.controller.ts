import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Res } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Authenticated } from '../../auth/access.decorators.js';
import { CurrentTenant, type CurrentTenantValue } from '../../auth/current-principal.decorators.js';
import { ApiZodBody, ZodParamPipe, ZodValidationPipe, openApiSchema } from '../../common/zod-validation.js';
import { HOOK_KINDS, type HookKind } from '../../events/hooks/hook-contract.js';
import { HookAdministration } from './hook-administration.service.js';
import { type PutHook, hookKindSchema, hookListSchema, hookSchema, hookWithSecretSchema, putHookSchema } from './hook.dto.js';

const kindParam = new ZodParamPipe('kind', hookKindSchema);
const KIND_PARAM = { name: 'kind', enum: HOOK_KINDS };
const PUT_DESCRIPTION =
  'Creates the hook (201, with its signing secret — shown only now) or replaces its settings (200, secret unchanged). ' +
  'Calls are signed with Standard Webhooks headers; a call that fails (timeout, non-2xx, redirect, oversized or invalid answer) ' +
  'is judged by `failureMode`. `post_confirmation` only accepts `open`.';

/** A tenant admin's synchronous hooks for their own tenant (they replace the platform default of the same kind). */
@ApiTags('hooks')
@ApiBadRequestResponse({ description: 'problem+json `validation_failed` (also for a URL that breaks the outbound rules)' })
@Controller('v1/hooks')
export class HooksController {
  constructor(private readonly hooks: HookAdministration) {}

  @Get()
  @Authenticated({ roles: ['admin'] })
  @ApiOperation({ summary: "The tenant's synchronous hooks (without secrets)" })
  @ApiOkResponse({ schema: openApiSchema(hookListSchema) })
  async list(@CurrentTenant() tenant: CurrentTenantValue) {
    return { items: await this.hooks.list(tenant.id) };
  }

  @Put(':kind')
  @Authenticated({ roles: ['admin'] })
  @ApiParam(KIND_PARAM)
  @ApiOperation({ summary: 'Configure a synchronous hook of the tenant', description: PUT_DESCRIPTION })
  @ApiZodBody(putHookSchema)
  @ApiCreatedResponse({ schema: openApiSchema(hookWithSecretSchema) })
  @ApiOkResponse({ schema: openApiSchema(hookSchema) })
  @ApiConflictResponse({ description: 'problem+json `hook_conflict`' })
  async put(
    @CurrentTenant() tenant: CurrentTenantValue,
    @Param('kind', kindParam) kind: HookKind,
    @Body(new ZodValidationPipe(putHookSchema)) body: PutHook,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const { created, hook } = await this.hooks.put(tenant.id, kind, body);
    void reply.status(created ? 201 : 200);
    return hook;
  }

  @Post(':kind/rotate-secret')
  @HttpCode(200)
  @Authenticated({ roles: ['admin'] })
  @ApiParam(KIND_PARAM)
  @ApiOperation({ summary: "Replace the hook's signing secret (the new one is shown only now; the old one stops at once)" })
  @ApiOkResponse({ schema: openApiSchema(hookWithSecretSchema) })
  @ApiNotFoundResponse({ description: 'problem+json `hook_not_found`' })
  rotate(@CurrentTenant() tenant: CurrentTenantValue, @Param('kind', kindParam) kind: HookKind) {
    return this.hooks.rotateSecret(tenant.id, kind);
  }

  @Delete(':kind')
  @HttpCode(204)
  @Authenticated({ roles: ['admin'] })
  @ApiParam(KIND_PARAM)
  @ApiOperation({ summary: "Remove the tenant's hook of this kind (the platform default applies again, if any)" })
  @ApiNoContentResponse()
  @ApiNotFoundResponse({ description: 'problem+json `hook_not_found`' })
  async remove(@CurrentTenant() tenant: CurrentTenantValue, @Param('kind', kindParam) kind: HookKind): Promise<void> {
    await this.hooks.remove(tenant.id, kind);
  }
}

/** Operators' platform-default hooks: they apply to every tenant without its own hook of that kind. */
@ApiTags('admin: hooks')
@ApiBadRequestResponse({ description: 'problem+json `validation_failed` (also for a URL that breaks the outbound rules)' })
@Controller('v1/admin/hooks')
export class AdminHooksController {
  constructor(private readonly hooks: HookAdministration) {}

  @Get()
  @Authenticated({ roles: ['platform-admin'] })
  @ApiOperation({ summary: 'The platform-default synchronous hooks (without secrets)' })
  @ApiOkResponse({ schema: openApiSchema(hookListSchema) })
  async list() {
    return { items: await this.hooks.list(null) };
  }

  @Put(':kind')
  @Authenticated({ roles: ['platform-admin'] })
  @ApiParam(KIND_PARAM)
  @ApiOperation({ summary: 'Configure a platform-default synchronous hook', description: PUT_DESCRIPTION })
  @ApiZodBody(putHookSchema)
  @ApiCreatedResponse({ schema: openApiSchema(hookWithSecretSchema) })
  @ApiOkResponse({ schema: openApiSchema(hookSchema) })
  @ApiConflictResponse({ description: 'problem+json `hook_conflict`' })
  async put(@Param('kind', kindParam) kind: HookKind, @Body(new ZodValidationPipe(putHookSchema)) body: PutHook, @Res({ passthrough: true }) reply: FastifyReply) {
    const { created, hook } = await this.hooks.put(null, kind, body);
    void reply.status(created ? 201 : 200);
    return hook;
  }

  @Post(':kind/rotate-secret')
  @HttpCode(200)
  @Authenticated({ roles: ['platform-admin'] })
  @ApiParam(KIND_PARAM)
  @ApiOperation({ summary: "Replace the platform hook's signing secret (shown only now)" })
  @ApiOkResponse({ schema: openApiSchema(hookWithSecretSchema) })
  @ApiNotFoundResponse({ description: 'problem+json `hook_not_found`' })
  rotate(@Param('kind', kindParam) kind: HookKind) {
    return this.hooks.rotateSecret(null, kind);
  }

  @Delete(':kind')
  @HttpCode(204)
  @Authenticated({ roles: ['platform-admin'] })
  @ApiParam(KIND_PARAM)
  @ApiOperation({ summary: 'Remove the platform-default hook of this kind' })
  @ApiNoContentResponse()
  @ApiNotFoundResponse({ description: 'problem+json `hook_not_found`' })
  async remove(@Param('kind', kindParam) kind: HookKind): Promise<void> {
    await this.hooks.remove(null, kind);
  }
}
