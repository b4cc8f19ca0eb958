import { Body, Controller, Delete, Get, HttpCode, Param, Put } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import { Authenticated } from '../auth/access.decorators.js';
import { ApiZodBody, ZodParamPipe, ZodValidationPipe, openApiSchema } from '../common/zod-validation.js';
import { type BrowserSignIn, browserSignInSchema, browserSignInViewSchema } from './dto/browser-sign-in.dto.js';
import { idParamSchema } from './dto/tenant.dto.js';
import { IdentityProviderSignInService } from './identity-provider-sign-in.service.js';

const tenantId = new ZodParamPipe('tenantId', idParamSchema);
const providerId = new ZodParamPipe('providerId', idParamSchema);
/**
 * Operators only, not tenant admins: the client id and the provider's endpoints decide where the
 * tenant's users are sent to type their passwords, so setting them is as sensitive as registering
 * the provider itself (which is operators' too).
 */
const OPERATORS = { roles: ['platform-admin'] } as const;

@ApiTags('admin: tenants')
@ApiBadRequestResponse({ description: 'problem+json `validation_failed` (also: a discovery document that cannot be used)' })
@ApiNotFoundResponse({ description: 'problem+json `tenant_not_found`, `identity_provider_not_found`' })
@Controller('v1/admin/tenants/:tenantId/identity-providers/:providerId/browser-sign-in')
export class IdentityProviderSignInController {
  constructor(private readonly signIn: IdentityProviderSignInService) {}

  @Get()
  @Authenticated(OPERATORS)
  @ApiOperation({ summary: 'Front-channel sign-in settings of one of the tenant’s OpenID Connect providers' })
  @ApiOkResponse({ schema: openApiSchema(browserSignInViewSchema) })
  get(@Param('tenantId', tenantId) tenant: string, @Param('providerId', providerId) provider: string) {
    return this.signIn.view(tenant, provider);
  }

  @Put()
  @Authenticated(OPERATORS)
  @ApiOperation({
    summary: 'Offer sign-in at the tenant’s OpenID Connect provider from the browser (code flow + PKCE)',
    description:
      'Sets the provider’s public client id and scopes; the API fetches the provider’s discovery document (outbound URL rules apply) ' +
      'for its authorization and token endpoints. Tenant lookup then lists it under `sso`.',
  })
  @ApiZodBody(browserSignInSchema)
  @ApiOkResponse({ schema: openApiSchema(browserSignInViewSchema) })
  @ApiServiceUnavailableResponse({ description: 'problem+json `identity_provider_discovery_unavailable` with Retry-After' })
  enable(
    @Param('tenantId', tenantId) tenant: string,
    @Param('providerId', providerId) provider: string,
    @Body(new ZodValidationPipe(browserSignInSchema)) body: BrowserSignIn,
  ) {
    return this.signIn.enable(tenant, provider, body);
  }

  @Delete()
  @HttpCode(204)
  @Authenticated(OPERATORS)
  @ApiOperation({ summary: 'Stop offering browser sign-in at this provider (its bearer tokens stay trusted)' })
  @ApiNoContentResponse()
  async disable(@Param('tenantId', tenantId) tenant: string, @Param('providerId', providerId) provider: string): Promise<void> {
    await this.signIn.disable(tenant, provider);
  }
}
