import { Body, Controller, Header, HttpCode, Post, Req, UseGuards, applyDecorators } from '@nestjs/common';
import { ApiHeader, ApiNoContentResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiProblemResponse } from '../common/openapi/problem-responses.js';
import { ApiZodResponse } from '../common/openapi/response-schemas.js';
import type { FastifyRequest } from 'fastify';
import { Public } from '../auth/access.decorators.js';
import { PublicRateLimitGuard } from '../rate-limits/public-rate-limit.guard.js';
import { ApiZodBody, ZodValidationPipe } from '../common/zod-validation.js';
import { AuthFlowsService, type PublicRequest, type SignInResult } from './auth-flows.service.js';
import {
  type Challenge,
  type ConfirmForgotPassword,
  type ConfirmSignUp,
  type ForgotPassword,
  type Refresh,
  type ResendCode,
  type SignIn,
  type SignOut,
  type SignUp,
  acceptedSchema,
  challengeSchema,
  confirmForgotPasswordSchema,
  confirmSignUpSchema,
  forgotPasswordSchema,
  refreshSchema,
  resendCodeSchema,
  signInResultSchema,
  signInSchema,
  signOutSchema,
  signUpSchema,
  tokenSetSchema,
} from './dto/auth.dto.js';
import type { TokenSet } from './identity-provider.js';
import { DEVICE_DATA_HEADER, parseDeviceData } from './user-context.js';

function publicRequest(request: FastifyRequest): PublicRequest {
  return {
    route: { hostname: request.hostname, tenantHeader: request.headers['x-tenant-id'] },
    clientAddress: request.ip,
    deviceData: parseDeviceData(request.headers[DEVICE_DATA_HEADER]),
  };
}

/** Token responses must never be stored by a browser or an intermediary (RFC 6749 §5.1). */
const NoStore = () => applyDecorators(Header('Cache-Control', 'no-store'), Header('Pragma', 'no-cache'));

const accepted = (next: string) => ({ status: 'accepted' as const, next });

/**
 * What a SaaS front end calls to sign its users up and in, in whichever tenant
 * and tier they belong to. The tenant comes from the host (or `X-Tenant-Id`)
 * or the `tenant` field; a field naming another tenant than the host is refused.
 */
@ApiTags('auth')
@ApiHeader({
  name: 'X-Cognito-Device-Data',
  required: false,
  description:
    'Encoded device data from Cognito’s advanced-security script, forwarded with the client address to Cognito threat protection (UserContextData). Malformed: 400 `validation_failed`.',
})
@Public()
@UseGuards(PublicRateLimitGuard)
@ApiProblemResponse(429, '`too_many_requests`: a per-address, per-tenant or per-(tenant, e-mail) rate limit; retry after `Retry-After` seconds')
@ApiProblemResponse(503, '`identity_provider_unavailable` (Cognito), `database_unavailable`, `email_quota_exhausted`: retry after `Retry-After` seconds')
@Controller('v1/auth')
export class AuthController {
  constructor(private readonly flows: AuthFlowsService) {}

  @Post('sign-up')
  @HttpCode(202)
  @ApiOperation({ operationId: 'signUp', summary: 'Register with e-mail and password; a confirmation code is e-mailed', description: 'The answer is the same whether or not the address already has an account.' })
  @ApiZodBody(signUpSchema)
  @ApiZodResponse(202, 'Accepted', acceptedSchema)
  async signUp(@Req() request: FastifyRequest, @Body(new ZodValidationPipe(signUpSchema)) body: SignUp) {
    await this.flows.signUp(publicRequest(request), body);
    return accepted('confirm_sign_up');
  }

  @Post('confirm-sign-up')
  @HttpCode(204)
  @ApiOperation({ operationId: 'confirmSignUp', summary: 'Confirm the e-mail address with the code' })
  @ApiZodBody(confirmSignUpSchema)
  @ApiNoContentResponse()
  async confirmSignUp(@Req() request: FastifyRequest, @Body(new ZodValidationPipe(confirmSignUpSchema)) body: ConfirmSignUp): Promise<void> {
    await this.flows.confirmSignUp(publicRequest(request), body);
  }

  @Post('resend-code')
  @HttpCode(202)
  @ApiOperation({ operationId: 'resendConfirmationCode', summary: 'Send the confirmation code again' })
  @ApiZodBody(resendCodeSchema)
  @ApiZodResponse(202, 'Accepted', acceptedSchema)
  async resendCode(@Req() request: FastifyRequest, @Body(new ZodValidationPipe(resendCodeSchema)) body: ResendCode) {
    await this.flows.resendConfirmationCode(publicRequest(request), body);
    return accepted('confirm_sign_up');
  }

  @Post('sign-in')
  @NoStore()
  @HttpCode(200)
  @ApiOperation({ operationId: 'signIn', summary: 'Sign in with e-mail and password', description: 'Returns tokens, or a challenge (NEW_PASSWORD_REQUIRED, SOFTWARE_TOKEN_MFA, MFA_SETUP with the TOTP secret) whose opaque, single-use `session` handle is answered at /v1/auth/challenge. A wrong password and an unknown address give the same 401.' })
  @ApiZodBody(signInSchema)
  @ApiZodResponse(200, 'SignInResult', signInResultSchema)
  signIn(@Req() request: FastifyRequest, @Body(new ZodValidationPipe(signInSchema)) body: SignIn): Promise<SignInResult> {
    return this.flows.signIn(publicRequest(request), body);
  }

  @Post('challenge')
  @NoStore()
  @HttpCode(200)
  @ApiOperation({ operationId: 'answerChallenge', summary: 'Answer a sign-in challenge (new password, TOTP code, TOTP set-up code) with its handle', description: 'The handle names its tenant and user; `tenant` and `email`, if given, must be the handle’s own. A forged, expired, replayed or mismatched handle is 401 `invalid_challenge`; a wrong code is 400 `invalid_code` with a fresh handle in `session`.' })
  @ApiZodBody(challengeSchema)
  @ApiZodResponse(200, 'SignInResult', signInResultSchema)
  challenge(@Req() request: FastifyRequest, @Body(new ZodValidationPipe(challengeSchema)) body: Challenge): Promise<SignInResult> {
    return this.flows.respondToChallenge(publicRequest(request), body);
  }

  @Post('refresh')
  @NoStore()
  @HttpCode(200)
  @ApiOperation({ operationId: 'refreshTokens', summary: 'New access and ID tokens from a refresh token' })
  @ApiZodBody(refreshSchema)
  @ApiZodResponse(200, 'TokenSet', tokenSetSchema)
  refresh(@Req() request: FastifyRequest, @Body(new ZodValidationPipe(refreshSchema)) body: Refresh): Promise<TokenSet> {
    return this.flows.refresh(publicRequest(request), body);
  }

  @Post('sign-out')
  @HttpCode(204)
  @ApiOperation({ operationId: 'signOut', summary: 'Revoke the refresh token (and the tokens issued from it)' })
  @ApiZodBody(signOutSchema)
  @ApiNoContentResponse()
  async signOut(@Req() request: FastifyRequest, @Body(new ZodValidationPipe(signOutSchema)) body: SignOut): Promise<void> {
    await this.flows.signOut(publicRequest(request), body);
  }

  @Post('forgot-password')
  @HttpCode(202)
  @ApiOperation({ operationId: 'forgotPassword', summary: 'E-mail a password reset code', description: 'The answer is the same for every address.' })
  @ApiZodBody(forgotPasswordSchema)
  @ApiZodResponse(202, 'Accepted', acceptedSchema)
  async forgotPassword(@Req() request: FastifyRequest, @Body(new ZodValidationPipe(forgotPasswordSchema)) body: ForgotPassword) {
    await this.flows.forgotPassword(publicRequest(request), body);
    return accepted('confirm_forgot_password');
  }

  @Post('confirm-forgot-password')
  @HttpCode(204)
  @ApiOperation({ operationId: 'confirmForgotPassword', summary: 'Set a new password with the reset code' })
  @ApiZodBody(confirmForgotPasswordSchema)
  @ApiNoContentResponse()
  async confirmForgotPassword(
    @Req() request: FastifyRequest,
    @Body(new ZodValidationPipe(confirmForgotPasswordSchema)) body: ConfirmForgotPassword,
  ): Promise<void> {
    await this.flows.confirmForgotPassword(publicRequest(request), body);
  }
}
