import { Body, Controller, Delete, Get, HttpCode, Post, createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { ApiNoContentResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { Authenticated } from '../auth/access.decorators.js';
import { extractBearerToken } from '../auth/bearer-token.js';
import { ApiProblemResponse } from '../common/openapi/problem-responses.js';
import { ApiZodResponse } from '../common/openapi/response-schemas.js';
import { ApiZodBody, ZodValidationPipe } from '../common/zod-validation.js';
import { meSchema, totpSetupSchema } from './dto/me.dto.js';
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
  @ApiOperation({
    operationId: 'getMe',
    summary: 'The signed-in user, their tenant and roles; `hookClaims`: what the tenant\'s token-enrichment hook added at the last sign-in',
  })
  @ApiZodResponse(200, 'Me', meSchema)
  get() {
    return this.me.me();
  }

  @Post('password')
  @HttpCode(204)
  @ApiOperation({ operationId: 'changePassword', summary: 'Change the password (the tenant’s policy applies)' })
  @ApiZodBody(changePasswordSchema)
  @ApiNoContentResponse()
  async changePassword(@AccessToken() token: string, @Body(new ZodValidationPipe(changePasswordSchema)) body: ChangePassword): Promise<void> {
    await this.me.changePassword(token, body.previousPassword, body.proposedPassword);
  }

  @Post('mfa/totp')
  @HttpCode(201)
  @Authenticated({ duringMfaEnrollment: true })
  @ApiOperation({
    operationId: 'startTotpSetup',
    summary: 'Start TOTP set-up: a secret for an authenticator app',
    description: 'Reachable while the tenant requires MFA and the user has not enrolled yet. Then verify a code with `verifyTotp`.',
  })
  @ApiZodResponse(201, 'TotpSetup', totpSetupSchema)
  @ApiProblemResponse(403, '`mfa_off_for_tenant`: the tenant’s MFA policy is `off`')
  startTotp(@AccessToken() token: string): Promise<z.infer<typeof totpSetupSchema>> {
    return this.me.startTotpSetup(token);
  }

  @Post('mfa/totp/verify')
  @HttpCode(204)
  @Authenticated({ duringMfaEnrollment: true })
  @ApiOperation({ operationId: 'verifyTotp', summary: 'Verify a code from the app and turn TOTP MFA on' })
  @ApiZodBody(totpCodeSchema)
  @ApiNoContentResponse({ description: 'TOTP MFA is on: the next sign-ins ask for a code.' })
  async verifyTotp(@AccessToken() token: string, @Body(new ZodValidationPipe(totpCodeSchema)) body: TotpCode): Promise<void> {
    await this.me.enableTotp(token, body.code);
  }

  @Delete('mfa/totp')
  @HttpCode(204)
  @ApiOperation({ operationId: 'disableTotp', summary: 'Turn TOTP MFA off' })
  @ApiNoContentResponse({ description: 'TOTP MFA is off.' })
  @ApiProblemResponse(409, '`mfa_required_by_tenant`: the tenant’s MFA policy is `required`')
  async disableTotp(@AccessToken() token: string): Promise<void> {
    await this.me.disableTotp(token);
  }
}
