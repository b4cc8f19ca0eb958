import { Body, Controller, Delete, Get, Header, HttpCode, Param, Patch, Post, Query, Res } from '@nestjs/common';
import { ApiNoContentResponse, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { ApiProblemResponse } from '../common/openapi/problem-responses.js';
import { ApiZodResponse, schemaRef } from '../common/openapi/response-schemas.js';
import type { FastifyReply } from 'fastify';
import { Authenticated } from '../auth/access.decorators.js';
import { ApiZodBody, ApiZodQuery, ZodParamPipe, ZodValidationPipe } from '../common/zod-validation.js';
import {
  type CreateTenant,
  type ListTenantsQuery,
  type RegisterIdentityProvider,
  type UpdateTenant,
  createTenantSchema,
  domainParamSchema,
  emailDomainSchema,
  idParamSchema,
  listTenantsQuerySchema,
  registerIdentityProviderSchema,
  tenantPageSchema,
  tenantSchema,
  updateTenantSchema,
} from './dto/tenant.dto.js';
import { EmailDomainsService } from './domains/email-domains.service.js';
import { TenantsService } from './tenants.service.js';

const tenantId = new ZodParamPipe('tenantId', idParamSchema);
const providerId = new ZodParamPipe('providerId', idParamSchema);
const domainParam = new ZodParamPipe('domain', domainParamSchema);
const OPERATORS = { roles: ['platform-admin'] } as const;

/**
 * Operators' tenant management (`platform-admin` from the operators' pool
 * only; tenant users get 403). Creating and deleting answer 202: the work
 * continues in the background and `GET` shows its progress step by step.
 */
@ApiTags('admin: tenants')
@Controller('v1/admin/tenants')
export class TenantsController {
  constructor(
    private readonly tenants: TenantsService,
    private readonly domains: EmailDomainsService,
  ) {}

  @Post()
  @HttpCode(202)
  @Authenticated(OPERATORS)
  @ApiOperation({
    operationId: 'createTenant',
    summary: 'Create a tenant and provision it in Cognito for its tier',
    description:
      'Silo tiers get their own user pool (optionally with `passwordPolicy`, `region`), bridge tiers their own app client ' +
      'in the tier’s pool (optionally `tokenValidity`), pool tiers share the tier’s pool and client. The first admin is invited by ' +
      'Cognito. `mfaPolicy` (`off`, `optional`, `required`) applies to every model. Answers at once with status `provisioning`; poll `GET /v1/admin/tenants/{id}`.',
  })
  @ApiZodBody(createTenantSchema)
  @ApiResponse({
    status: 202,
    description: 'Accepted: provisioning continues in the background',
    schema: schemaRef('Tenant', tenantSchema),
    headers: { location: { description: 'the tenant’s URL', schema: { type: 'string' } } },
  })
  @ApiProblemResponse(409, '`tenant_slug_taken`, `tenant_host_taken`, `tenant_email_domain_taken`')
  async create(@Body(new ZodValidationPipe(createTenantSchema)) body: CreateTenant, @Res({ passthrough: true }) reply: FastifyReply) {
    const { tenant } = await this.tenants.create(body);
    void reply.header('location', `/v1/admin/tenants/${tenant.id}`);
    return tenant;
  }

  @Get()
  @Authenticated(OPERATORS)
  @ApiOperation({ operationId: 'listTenants', summary: 'List tenants, newest first (filter by tier, status, or text in name/slug)' })
  @ApiZodQuery(listTenantsQuerySchema)
  @ApiZodResponse(200, 'TenantPage', tenantPageSchema)
  list(@Query(new ZodValidationPipe(listTenantsQuerySchema)) query: ListTenantsQuery) {
    return this.tenants.list(query);
  }

  @Get(':tenantId')
  @Authenticated(OPERATORS)
  @ApiOperation({ operationId: 'getTenant', summary: 'Get a tenant, with its provisioning progress' })
  @ApiZodResponse(200, 'Tenant', tenantSchema)
  @ApiProblemResponse(404, '`tenant_not_found`')
  get(@Param('tenantId', tenantId) id: string) {
    return this.tenants.get(id);
  }

  @Patch(':tenantId')
  @Authenticated(OPERATORS)
  @ApiOperation({
    operationId: 'updateTenant',
    summary: 'Change a tenant’s name, host names, e-mail domains (lists are replaced) or sign-up policy',
    description:
      'Kept e-mail domains keep their verification; new ones start `pending` with a TXT challenge. A domain another tenant has verified is 409. ' +
      '`signUpPolicy`: `closed` (invitations only), `domains` (addresses of verified domains), `open`; `signUpDefaultRole`: `member` or `viewer`.',
  })
  @ApiZodBody(updateTenantSchema)
  @ApiZodResponse(200, 'Tenant', tenantSchema)
  @ApiProblemResponse(404, '`tenant_not_found`')
  @ApiProblemResponse(409, '`tenant_host_taken`, `tenant_email_domain_taken`, `invalid_tenant_state`')
  update(@Param('tenantId', tenantId) id: string, @Body(new ZodValidationPipe(updateTenantSchema)) body: UpdateTenant) {
    return this.tenants.update(id, body);
  }

  @Post(':tenantId/suspend')
  @HttpCode(200)
  @Authenticated(OPERATORS)
  @ApiOperation({ operationId: 'suspendTenant', summary: 'Suspend an active tenant: its users’ tokens are refused (403 `tenant_suspended`) from the next request' })
  @ApiZodResponse(200, 'Tenant', tenantSchema)
  @ApiProblemResponse(409, '`invalid_tenant_state`')
  suspend(@Param('tenantId', tenantId) id: string) {
    return this.tenants.suspend(id);
  }

  @Post(':tenantId/reactivate')
  @HttpCode(200)
  @Authenticated(OPERATORS)
  @ApiOperation({ operationId: 'reactivateTenant', summary: 'Reactivate a suspended tenant' })
  @ApiZodResponse(200, 'Tenant', tenantSchema)
  @ApiProblemResponse(409, '`invalid_tenant_state`')
  reactivate(@Param('tenantId', tenantId) id: string) {
    return this.tenants.reactivate(id);
  }

  @Post(':tenantId/retry')
  @HttpCode(202)
  @Authenticated(OPERATORS)
  @ApiOperation({ operationId: 'retryTenantProvisioning', summary: 'Resume a failed provisioning (or an interrupted deletion) from the step that failed' })
  @ApiZodResponse(202, 'Tenant', tenantSchema)
  @ApiProblemResponse(409, '`invalid_tenant_state`, `provisioning_in_progress`')
  async retry(@Param('tenantId', tenantId) id: string) {
    return (await this.tenants.retry(id)).tenant;
  }

  @Delete(':tenantId')
  @HttpCode(202)
  @Authenticated(OPERATORS)
  @ApiOperation({
    operationId: 'deleteTenant',
    summary: 'Delete a tenant',
    description:
      'Its tokens stop working at once; then exactly what provisioning created is removed (pool, app client, its users in shared ' +
      'pools) and its rows are deleted. The tenant row stays with status `deleted`; its slug is not reused.',
  })
  @ApiZodResponse(202, 'Tenant', tenantSchema)
  @ApiProblemResponse(409, '`provisioning_in_progress`')
  async remove(@Param('tenantId', tenantId) id: string) {
    return (await this.tenants.delete(id)).tenant;
  }

  @Post(':tenantId/email-domains/:domain/verify')
  @HttpCode(200)
  @Authenticated(OPERATORS)
  @ApiOperation({
    operationId: 'verifyTenantEmailDomain',
    summary: 'Verify one of the tenant’s e-mail domains by its DNS TXT record',
    description:
      'Looks up `_gatehouse-challenge.<domain>` TXT for `gatehouse-domain-verification=<token>` (see `emailDomainDetails[].txtRecord`). ' +
      'Found: `verified`. Not found: stays `pending`, `lastCheck.error` says what is missing. DNS without an answer: 503 `dns_unavailable` with Retry-After.',
  })
  @ApiZodResponse(200, 'EmailDomain', emailDomainSchema)
  @ApiProblemResponse(404, '`email_domain_not_found`')
  @ApiProblemResponse(409, '`tenant_email_domain_taken` (another tenant verified it)')
  verifyEmailDomain(@Param('tenantId', tenantId) id: string, @Param('domain', domainParam) domain: string) {
    return this.domains.verify(id, domain);
  }

  @Post(':tenantId/identity-providers')
  @HttpCode(201)
  @Authenticated(OPERATORS)
  @ApiOperation({ operationId: 'registerIdentityProvider', summary: 'Trust the tenant’s own OpenID Connect provider (issuer, audience, JWKS URL, claim mapping)' })
  @ApiZodBody(registerIdentityProviderSchema)
  @ApiZodResponse(201, 'Tenant', tenantSchema)
  @ApiProblemResponse(409, '`identity_provider_issuer_taken`')
  @Header('cache-control', 'no-store')
  registerIdentityProvider(
    @Param('tenantId', tenantId) id: string,
    @Body(new ZodValidationPipe(registerIdentityProviderSchema)) body: RegisterIdentityProvider,
  ) {
    return this.tenants.registerIdentityProvider(id, body);
  }

  @Delete(':tenantId/identity-providers/:providerId')
  @HttpCode(204)
  @Authenticated(OPERATORS)
  @ApiOperation({ operationId: 'removeIdentityProvider', summary: 'Stop trusting one of the tenant’s OpenID Connect providers (its tokens are refused at once)' })
  @ApiNoContentResponse()
  @ApiProblemResponse(404, '`tenant_not_found`, `identity_provider_not_found`')
  async removeIdentityProvider(@Param('tenantId', tenantId) id: string, @Param('providerId', providerId) provider: string): Promise<void> {
    await this.tenants.removeIdentityProvider(id, provider);
  }
}
