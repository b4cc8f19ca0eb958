import { Body, Controller, Get, HttpCode, Param, Patch, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiProblemResponse } from '../common/openapi/problem-responses.js';
import { ApiZodResponse } from '../common/openapi/response-schemas.js';
import { Authenticated } from '../auth/access.decorators.js';
import { CurrentTenant, type CurrentTenantValue } from '../auth/current-principal.decorators.js';
import { ApiZodBody, ZodParamPipe, ZodValidationPipe } from '../common/zod-validation.js';
import {
  type UpdateSignUpPolicy,
  domainParamSchema,
  emailDomainSchema,
  signUpSettingsSchema,
  updateSignUpPolicySchema,
} from './dto/tenant.dto.js';
import { EmailDomainsService } from './domains/email-domains.service.js';
import { SignUpSettingsService } from './sign-up-settings.service.js';

const ADMINS = { roles: ['admin'] } as const;
const domainParam = new ZodParamPipe('domain', domainParamSchema);

/**
 * A tenant admin's view of who may join their own tenant: the sign-up policy,
 * the default role of self-sign-ups, and the tenant's e-mail domains with the
 * DNS TXT record that verifies each. Domains themselves are added by operators.
 */
@ApiTags('tenant settings')
@Controller('v1')
export class SignUpSettingsController {
  constructor(
    private readonly settings: SignUpSettingsService,
    private readonly domains: EmailDomainsService,
  ) {}

  @Get('sign-up-policy')
  @Authenticated(ADMINS)
  @ApiOperation({ operationId: 'getSignUpSettings', summary: 'Who may sign up to this tenant, with its e-mail domains and their verification records' })
  @ApiZodResponse(200, 'SignUpSettings', signUpSettingsSchema)
  get(@CurrentTenant() tenant: CurrentTenantValue) {
    return this.settings.get(tenant.id);
  }

  @Patch('sign-up-policy')
  @Authenticated(ADMINS)
  @ApiOperation({
    operationId: 'changeSignUpPolicy',
    summary: 'Change the sign-up policy (`closed` or `domains`) or the default role of self-sign-ups (`member` or `viewer`)',
    description: 'Only an operator can set `open` (403 `sign_up_policy_operator_only`); an admin may close a tenant an operator opened.',
  })
  @ApiZodBody(updateSignUpPolicySchema)
  @ApiZodResponse(200, 'SignUpSettings', signUpSettingsSchema)
  @ApiProblemResponse(403, '`sign_up_policy_operator_only`, `insufficient_role`')
  change(@CurrentTenant() tenant: CurrentTenantValue, @Body(new ZodValidationPipe(updateSignUpPolicySchema)) body: UpdateSignUpPolicy) {
    return this.settings.changeByTenantAdmin(tenant.id, body);
  }

  @Get('email-domains')
  @Authenticated(ADMINS)
  @ApiOperation({ operationId: 'listEmailDomains', summary: 'The tenant’s e-mail domains, their state and the TXT record that verifies each' })
  @ApiZodResponse(200, 'EmailDomainList', signUpSettingsSchema.shape.emailDomains)
  listDomains(@CurrentTenant() tenant: CurrentTenantValue) {
    return this.domains.list(tenant.id);
  }

  @Post('email-domains/:domain/verify')
  @HttpCode(200)
  @Authenticated(ADMINS)
  @ApiOperation({
    operationId: 'verifyEmailDomain',
    summary: 'Verify one of the tenant’s e-mail domains by its DNS TXT record',
    description: 'Not found in DNS: stays `pending` with `lastCheck.error`. DNS without an answer: 503 `dns_unavailable` with Retry-After.',
  })
  @ApiZodResponse(200, 'EmailDomain', emailDomainSchema)
  @ApiProblemResponse(404, '`email_domain_not_found` (also for other tenants’ domains)')
  @ApiProblemResponse(409, '`tenant_email_domain_taken` (another tenant verified it)')
  verifyDomain(@CurrentTenant() tenant: CurrentTenantValue, @Param('domain', domainParam) domain: string) {
    return this.domains.verify(tenant.id, domain);
  }
}
