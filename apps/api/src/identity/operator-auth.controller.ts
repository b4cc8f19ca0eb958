import { Body, Controller, Header, HttpCode, Post, Req } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiProblemResponse } from '../common/openapi/problem-responses.js';
import { ApiZodResponse } from '../common/openapi/response-schemas.js';
import type { FastifyRequest } from 'fastify';
import { Public } from '../auth/access.decorators.js';
import { ApiZodBody, ZodValidationPipe } from '../common/zod-validation.js';
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
@ApiProblemResponse(503, '`identity_provider_unavailable`: the operators’ pool is not answering (or not configured); retry after `Retry-After` seconds')
@Controller('v1/admin/auth')
export class OperatorAuthController {
  constructor(private readonly operators: OperatorAuthService) {}

  @Post('sign-in')
  @HttpCode(200)
  @Header('cache-control', 'no-store')
  @ApiOperation({
    operationId: 'operatorSignIn',
    summary: 'Operator sign-in with e-mail and password',
    description: 'Always answers with a challenge: SOFTWARE_TOKEN_MFA, MFA_SETUP (first sign-in, with the TOTP secret) or NEW_PASSWORD_REQUIRED.',
  })
  @ApiZodBody(operatorSignInSchema)
  @ApiZodResponse(200, 'SignInResult', signInResultSchema)
  @ApiProblemResponse(429, '`too_many_requests`: retry after `Retry-After` seconds')
  signIn(@Req() request: FastifyRequest, @Body(new ZodValidationPipe(operatorSignInSchema)) body: OperatorSignIn): Promise<SignInResult> {
    return this.operators.signIn(request.ip, body);
  }

  @Post('challenge')
  @HttpCode(200)
  @Header('cache-control', 'no-store')
  @ApiOperation({ operationId: 'answerOperatorChallenge', summary: 'Answer an operator sign-in challenge with its handle (TOTP code, new password)' })
  @ApiZodBody(operatorChallengeSchema)
  @ApiZodResponse(200, 'SignInResult', signInResultSchema)
  challenge(@Body(new ZodValidationPipe(operatorChallengeSchema)) body: OperatorChallenge): Promise<SignInResult> {
    return this.operators.respondToChallenge(body);
  }
}
