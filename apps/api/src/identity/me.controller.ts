import { Body, Controller, Delete, Get, HttpCode, Post, createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { Authenticated } from '../auth/access.decorators.js';
import { extractBearerToken } from '../auth/bearer-token.js';
import { ApiZodBody, ZodValidationPipe } from '../common/zod-validation.js';
import { type ChangePassword, type TotpCode, changePasswordSchema, totpCodeSchema } from './dto/auth.dto.js';
import { MeService } from './me.service.js';

/** The caller's own access token (already verified by the guard), for Cognito calls made on their behalf. */
const AccessToken = createParamDecorator((_data: unknown, context: ExecutionContext) =>
  extractBearerToken(context.switchToHttp().getRequest<FastifyRequest>().headers.authorization),
);

@ApiTags('me')
@Authenticated()
@Controller('v1/me')
export class MeController {
  constructor(private readonly me: MeService) {}

  @Get()
  @Authenticated({ duringMfaEnrollment: true })
  @ApiOperation({ summary: 'The signed-in user, their tenant and roles; `hookClaims`: what the tenant\'s token-enrichment hook added at the last sign-in' })
  @ApiOkResponse({
    schema: {
      example: {
        user: { id: 'uuid', email: 'ada@acme.test', role: 'member', status: 'active', emailVerified: true },
        tenant: { id: 'uuid', slug: 'acme', name: 'Acme', tier: 'basic', model: 'pool' },
        roles: ['member'],
        hookClaims: { plan: 'pro' },
      },
    },
  })
  get() {
    return this.me.me();
  }

  @Post('password')
  @HttpCode(204)
  @ApiOperation({ summary: 'Change the password (the tenant’s policy applies)' })
  @ApiZodBody(changePasswordSchema)
  @ApiNoContentResponse()
  async changePassword(@AccessToken() token: string, @Body(new ZodValidationPipe(changePasswordSchema)) body: ChangePassword): Promise<void> {
    await this.me.changePassword(token, body.previousPassword, body.proposedPassword);
  }

  @Post('mfa/totp')
  @HttpCode(201)
  @Authenticated({ duringMfaEnrollment: true })
  @ApiOperation({
    summary: 'Start TOTP set-up: a secret for an authenticator app',
    description: 'Reachable while the tenant requires MFA and the user has not enrolled yet. 403 `mfa_off_for_tenant` when the tenant’s MFA policy is `off`.',
  })
  @ApiCreatedResponse({ schema: { example: { secretCode: 'BASE32SECRET', otpauthUri: 'otpauth://totp/Gatehouse:acme%3Auser?secret=…' } } })
  startTotp(@AccessToken() token: string) {
    return this.me.startTotpSetup(token);
  }

  @Post('mfa/totp/verify')
  @HttpCode(204)
  @Authenticated({ duringMfaEnrollment: true })
  @ApiOperation({ summary: 'Verify a code from the app and turn TOTP MFA on' })
  @ApiZodBody(totpCodeSchema)
  @ApiNoContentResponse()
  async verifyTotp(@AccessToken() token: string, @Body(new ZodValidationPipe(totpCodeSchema)) body: TotpCode): Promise<void> {
    await this.me.enableTotp(token, body.code);
  }

  @Delete('mfa/totp')
  @HttpCode(204)
  @ApiOperation({ summary: 'Turn TOTP MFA off', description: '409 `mfa_required_by_tenant` while the tenant’s MFA policy is `required`.' })
  @ApiNoContentResponse()
  async disableTotp(@AccessToken() token: string): Promise<void> {
    await this.me.disableTotp(token);
  }
}
