import { Body, Controller, Delete, Get, Header, HttpCode, Param, Post } from '@nestjs/common';
import { ApiNoContentResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Authenticated } from '../../auth/access.decorators.js';
import { ApiProblemResponse } from '../../common/openapi/problem-responses.js';
import { ApiZodResponse } from '../../common/openapi/response-schemas.js';
import { ApiZodBody, ZodParamPipe, ZodValidationPipe } from '../../common/zod-validation.js';
import { idParamSchema } from '../dto/tenant.dto.js';
import {
  type AddFederatedProvider,
  addFederatedProviderSchema,
  federatedProviderListSchema,
  federatedProviderViewSchema,
  providerNameParamSchema,
} from './federated-providers.dto.js';
import { FederatedProvidersService } from './federated-providers.service.js';

const OPERATORS = { roles: ['platform-admin'] } as const;
const tenantId = new ZodParamPipe('tenantId', idParamSchema);
const providerName = new ZodParamPipe('name', providerNameParamSchema);

/**
 * SAML, OIDC and social sign-in through Cognito for bridge and silo tenants. Operators only: a provider decides
 * who may become a user of the tenant and changes the tenant's Cognito app client (README "SSO through Cognito").
 */
@ApiTags('admin: tenants')
@Controller('v1/admin/tenants/:tenantId/federated-providers')
export class FederatedProvidersController {
  constructor(private readonly providers: FederatedProvidersService) {}

  @Post()
  @Authenticated(OPERATORS)
  @HttpCode(201)
  @ApiOperation({
    operationId: 'addFederatedProvider',
    summary: 'Attach a SAML, OIDC, Google, Facebook, Apple or Amazon identity provider to a bridge or silo tenant, through Cognito’s hosted UI',
  })
  @ApiZodBody(addFederatedProviderSchema)
  @ApiZodResponse(201, 'FederatedProvider', federatedProviderViewSchema)
  @ApiProblemResponse(404, '`tenant_not_found`')
  @ApiProblemResponse(
    409,
    '`federation_not_available_in_pool_model`, `federated_provider_name_taken`, `invalid_tenant_state`, `federation_not_supported_by_identity_provider` (the local emulator)',
  )
  @ApiProblemResponse(503, '`identity_provider_unavailable` with Retry-After')
  @Header('cache-control', 'no-store')
  add(@Param('tenantId', tenantId) id: string, @Body(new ZodValidationPipe(addFederatedProviderSchema)) body: AddFederatedProvider) {
    return this.providers.add(id, body);
  }

  @Get()
  @Authenticated(OPERATORS)
  @ApiOperation({ operationId: 'listFederatedProviders', summary: 'The tenant’s identity providers federated through Cognito (secrets are never shown)' })
  @ApiZodResponse(200, 'FederatedProviderList', federatedProviderListSchema)
  @ApiProblemResponse(404, '`tenant_not_found`')
  @Header('cache-control', 'no-store')
  list(@Param('tenantId', tenantId) id: string) {
    return this.providers.list(id);
  }

  @Delete(':name')
  @Authenticated(OPERATORS)
  @HttpCode(204)
  @ApiOperation({ operationId: 'removeFederatedProvider', summary: 'Detach a federated provider from the tenant’s client and delete it from the pool' })
  @ApiNoContentResponse()
  @ApiProblemResponse(404, '`tenant_not_found`, `federated_provider_not_found`')
  @ApiProblemResponse(409, '`federation_not_available_in_pool_model`, `invalid_tenant_state`, `federation_not_supported_by_identity_provider`')
  @ApiProblemResponse(503, '`identity_provider_unavailable` with Retry-After')
  async remove(@Param('tenantId', tenantId) id: string, @Param('name', providerName) name: string): Promise<void> {
    await this.providers.remove(id, name);
  }
}
