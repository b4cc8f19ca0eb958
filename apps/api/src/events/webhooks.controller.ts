import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { Authenticated, type AuthenticatedOptions } from '../auth/access.decorators.js';
import { ApiZodBody, ApiZodQuery, ZodParamPipe, ZodValidationPipe, openApiSchema } from '../common/zod-validation.js';
import {
  type CreateWebhook,
  type ListDeliveriesQuery,
  type RotateSecret,
  type UpdateWebhook,
  createWebhookSchema,
  deliveryPageSchema,
  idParamSchema,
  listDeliveriesQuerySchema,
  rotateSecretSchema,
  updateWebhookSchema,
  webhookListSchema,
  webhookSchema,
  webhookWithSecretSchema,
} from './dto/webhook.dto.js';
import { type WebhookOwner, WebhooksService } from './webhooks.service.js';

const webhookId = new ZodParamPipe('webhookId', idParamSchema);
const deliveryId = new ZodParamPipe('deliveryId', idParamSchema);
const NOT_FOUND = 'problem+json `webhook_not_found` (also for endpoints of other tenants)';

/**
 * The routes of both owners share this body; the subclasses below only say
 * who the owner is and who may call (tenant admins / operators). A factory, not
 * one shared base class: the access decorator documents each route method it
 * finds on the class it decorates, and the two owners' routes need their own
 * methods to carry their own roles into the OpenAPI document.
 */
function webhookRoutes(roles: AuthenticatedOptions['roles']) {
  @Authenticated({ roles })
  abstract class WebhookRoutes {
    constructor(protected readonly webhooks: WebhooksService) {}
    protected abstract owner(): WebhookOwner;

    @Post()
    @ApiOperation({
      summary: 'Subscribe an endpoint to event types',
      description:
        'Deliveries are POSTed as JSON, signed per Standard Webhooks (`webhook-id`, `webhook-timestamp`, `webhook-signature`) with the `secret` returned here — shown only now and at rotation. The URL must be https without credentials; in AWS mode it must not reach loopback, private, link-local or metadata addresses.',
    })
    @ApiZodBody(createWebhookSchema)
    @ApiCreatedResponse({ schema: openApiSchema(webhookWithSecretSchema) })
    create(@Body(new ZodValidationPipe(createWebhookSchema)) body: CreateWebhook) {
      return this.webhooks.create(this.owner(), body);
    }

    @Get()
    @ApiOperation({ summary: 'List the endpoints' })
    @ApiOkResponse({ schema: openApiSchema(webhookListSchema) })
    list() {
      return this.webhooks.list(this.owner());
    }

    @Get(':webhookId')
    @ApiOperation({ summary: 'Get one endpoint' })
    @ApiOkResponse({ schema: openApiSchema(webhookSchema) })
    @ApiNotFoundResponse({ description: NOT_FOUND })
    get(@Param('webhookId', webhookId) id: string) {
      return this.webhooks.get(this.owner(), id);
    }

    @Patch(':webhookId')
    @ApiOperation({ summary: 'Change the URL, event types or description; pause (`enabled: false`) or re-enable an endpoint' })
    @ApiZodBody(updateWebhookSchema)
    @ApiOkResponse({ schema: openApiSchema(webhookSchema) })
    @ApiNotFoundResponse({ description: NOT_FOUND })
    update(@Param('webhookId', webhookId) id: string, @Body(new ZodValidationPipe(updateWebhookSchema)) body: UpdateWebhook) {
      return this.webhooks.update(this.owner(), id, body);
    }

    @Delete(':webhookId')
    @HttpCode(204)
    @ApiOperation({ summary: 'Remove an endpoint (its pending deliveries are dropped)' })
    @ApiNoContentResponse({ description: 'removed' })
    @ApiNotFoundResponse({ description: NOT_FOUND })
    async remove(@Param('webhookId', webhookId) id: string): Promise<void> {
      await this.webhooks.remove(this.owner(), id);
    }

    @Post(':webhookId/rotate-secret')
    @ApiOperation({
      summary: 'Rotate the signing secret',
      description: 'The new secret signs from now on; the previous one also signs (a second signature) until `overlapSeconds` (default 24 h) have passed.',
    })
    @ApiZodBody(rotateSecretSchema)
    @ApiCreatedResponse({ schema: openApiSchema(webhookWithSecretSchema) })
    @ApiNotFoundResponse({ description: NOT_FOUND })
    rotate(@Param('webhookId', webhookId) id: string, @Body(new ZodValidationPipe(rotateSecretSchema)) body: RotateSecret) {
      return this.webhooks.rotateSecret(this.owner(), id, body);
    }

    @Get(':webhookId/deliveries')
    @ApiOperation({ summary: 'The delivery log, newest first: status, attempts (HTTP status or error, duration) and the next retry' })
    @ApiZodQuery(listDeliveriesQuerySchema)
    @ApiOkResponse({ schema: openApiSchema(deliveryPageSchema) })
    @ApiNotFoundResponse({ description: NOT_FOUND })
    deliveries(@Param('webhookId', webhookId) id: string, @Query(new ZodValidationPipe(listDeliveriesQuerySchema)) query: ListDeliveriesQuery) {
      return this.webhooks.deliveries(this.owner(), id, query);
    }

    @Post(':webhookId/deliveries/:deliveryId/replay')
    @HttpCode(202)
    @ApiOperation({ summary: 'Send a delivery’s event again (same `webhook-id`), at the end of the endpoint’s queue' })
    @ApiAcceptedResponse({ schema: { type: 'object', properties: { id: { type: 'string', format: 'uuid' } }, required: ['id'] } })
    @ApiNotFoundResponse({ description: `${NOT_FOUND}, \`webhook_delivery_not_found\`` })
    replay(@Param('webhookId', webhookId) id: string, @Param('deliveryId', deliveryId) delivery: string) {
      return this.webhooks.replay(this.owner(), id, delivery);
    }
  }
  return WebhookRoutes;
}

/** A tenant admin's webhooks: their own tenant's events only. */
@ApiTags('webhooks')
@ApiBadRequestResponse({ description: 'problem+json `validation_failed`' })
@Authenticated({ roles: ['admin'] })
@Controller('v1/webhooks')
export class TenantWebhooksController extends webhookRoutes(['admin']) {
  // Declared here (not only inherited) so Nest sees the dependency in this class's metadata.
  constructor(webhooks: WebhooksService) {
    super(webhooks);
  }

  protected owner(): WebhookOwner {
    return WebhooksService.tenantOwner();
  }
}

/** Operators' platform-wide webhooks: every tenant's events (and platform events). */
@ApiTags('admin: webhooks')
@ApiBadRequestResponse({ description: 'problem+json `validation_failed`' })
@Authenticated({ roles: ['platform-admin'] })
@Controller('v1/admin/webhooks')
export class AdminWebhooksController extends webhookRoutes(['platform-admin']) {
  constructor(webhooks: WebhooksService) {
    super(webhooks);
  }

  protected owner(): WebhookOwner {
    return WebhooksService.platform;
  }
}
