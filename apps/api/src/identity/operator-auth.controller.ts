import { Body, Controller, Header, HttpCode, Post, Req } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags, ApiTooManyRequestsResponse } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { Public } from '../auth/access.decorators.js';
import { ApiZodBody, ZodValidationPipe, openApiSchema } from '../common/zod-validation.js';
import type { SignInResult } from './challenges/sign-in-steps.js';
import {
  type OperatorChallenge,
  type OperatorSignIn,
  operatorChallengeSchema,
  operatorSignInSchema,
  signInResultSchema,
} from './dto/auth.dto.js';
import { OperatorAuthService } from './operator-auth.service.js';

/**
 * Platform operators' sign-in (the operators' pool): password, then TOTP, or
 * the TOTP set-up on a first sign-in. The access token then works on `/v1/admin/*`.
 */
@ApiTags('admin: sign-in')
@Public()
@Controller('v1/admin/auth')
export class OperatorAuthController {
  constructor(private readonly operators: OperatorAuthService) {}

  @Post('sign-in')
  @HttpCode(200)
  @Header('cache-control', 'no-store')
  @ApiOperation({
    summary: 'Operator sign-in with e-mail and password',
    description: 'Always answers with a challenge: SOFTWARE_TOKEN_MFA, MFA_SETUP (first sign-in, with the TOTP secret) or NEW_PASSWORD_REQUIRED.',
  })
  @ApiZodBody(operatorSignInSchema)
  @ApiOkResponse({ schema: openApiSchema(signInResultSchema) })
  @ApiTooManyRequestsResponse({ description: 'problem+json `too_many_requests` with Retry-After' })
  signIn(@Req() request: FastifyRequest, @Body(new ZodValidationPipe(operatorSignInSchema)) body: OperatorSignIn): Promise<SignInResult> {
    return this.operators.signIn(request.ip, body);
  }

  @Post('challenge')
  @HttpCode(200)
  @Header('cache-control', 'no-store')
  @ApiOperation({ summary: 'Answer an operator sign-in challenge with its handle (TOTP code, new password)' })
  @ApiZodBody(operatorChallengeSchema)
  @ApiOkResponse({ schema: openApiSchema(signInResultSchema) })
  challenge(@Body(new ZodValidationPipe(operatorChallengeSchema)) body: OperatorChallenge): Promise<SignInResult> {
    return this.operators.respondToChallenge(body);
  }
}
