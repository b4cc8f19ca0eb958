/**
 * Sign-ins and confirmations that happen at Cognito directly (hosted UI, an
 * app calling Cognito with a public client) never pass through Gatehouse's
 * API. The deployment's post-confirmation / post-authentication trigger
 * (infra/lambdas/post-events.ts) reports them to `POST /internal/cognito-events`,
 * signed per Standard Webhooks with COGNITO_EVENTS_SECRET, and this route turns
 * them into the same events Gatehouse's own flows emit:
 *
 * - `confirmed`  → the user's mirror row becomes active → `user.confirmed` (via cognito),
 *   idempotent by nature (only the pending → active transition emits);
 * - `signed_in`  → `user.signed_in` (via cognito), deduplicated on the report's key;
 *   the first sign-in of an account the user-migration trigger created during a
 *   tier move also binds that account to its user (groups included).
 *
 * Reports of sign-ins through a Gatehouse client are skipped: the API's own
 * flow emitted that event already. Users Gatehouse does not know are ignored
 * (answered the same way, so the route tells nothing about who exists).
 *
 * The signature covers the JSON body as the Lambda serialised it; Fastify has
 * parsed it, and JSON.stringify of that parse gives the same bytes for the
 * Lambda's own JSON.stringify output (same key order, no whitespace). A body
 * sent in any other form fails verification: fail closed.
 */
import { Body, Controller, HttpCode, Inject, Post, Req } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBadRequestResponse, ApiOperation, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { Public } from '../auth/access.decorators.js';
import { DomainError } from '../common/domain-error.js';
import { ApiZodBody, ZodValidationPipe } from '../common/zod-validation.js';
import { APP_CONFIG } from '../config/config.module.js';
import { type AppConfig, cognitoIssuer } from '../config/config.schema.js';
import { verifyMessage } from '../events/standard-webhooks.js';
import { DeferredUsers } from '../tenants/tier-move/deferred-users.js';
import { UserMirror } from '../tenants/user-mirror.js';

export class InvalidEventSignatureError extends DomainError {
  readonly code = 'invalid_signature';
  readonly status = 401;
  constructor() {
    super('The report is not signed with the events secret.');
  }
}

export const cognitoEventReportSchema = z
  .object({
    kind: z.enum(['confirmed', 'signed_in']),
    region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be an AWS region'),
    userPoolId: z.string().regex(/^[\w-]+_[0-9a-zA-Z]+$/, 'must be a user pool id'),
    sub: z.string().min(1).max(128),
    clientId: z.string().min(1).max(128).nullable(),
    dedupeKey: z.string().min(1).max(300),
    /** The Cognito username (reports from Lambdas deployed before it was added have none). */
    username: z.string().min(1).max(128).optional(),
  })
  .strict();
export type CognitoEventReport = z.infer<typeof cognitoEventReportSchema>;

/** Verifies the report's Standard Webhooks signature; throws 401 otherwise (also when no secret is configured). */
export function assertSignedReport(secret: string | undefined, headers: FastifyRequest['headers'], body: unknown, nowSeconds?: number): void {
  const header = (name: string) => {
    const value = headers[name];
    return typeof value === 'string' ? value : undefined;
  };
  if (!secret) throw new InvalidEventSignatureError();
  const verdict = verifyMessage(
    secret,
    { 'webhook-id': header('webhook-id'), 'webhook-timestamp': header('webhook-timestamp'), 'webhook-signature': header('webhook-signature') },
    JSON.stringify(body ?? null),
    nowSeconds,
  );
  if (!verdict.ok) throw new InvalidEventSignatureError();
}

@ApiTags('internal')
@Public()
@Controller('internal/cognito-events')
export class CognitoEventsController {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly mirror: UserMirror,
    private readonly deferredUsers: DeferredUsers,
  ) {}

  @Post()
  @HttpCode(202)
  @ApiOperation({
    summary: 'Cognito trigger reports (post confirmation, post authentication) from the deployment’s Lambda',
    description: 'Not for clients: only requests signed per Standard Webhooks with the deployment’s events secret are accepted (401 `invalid_signature` otherwise).',
  })
  @ApiZodBody(cognitoEventReportSchema)
  @ApiUnauthorizedResponse({ description: 'problem+json `invalid_signature`' })
  @ApiBadRequestResponse({ description: 'problem+json `validation_failed`' })
  @ApiAcceptedResponse({ description: 'Recorded, or ignored (unknown user, a Gatehouse client’s sign-in, a repeated report).' })
  async report(@Req() request: FastifyRequest, @Body() raw: unknown): Promise<{ recorded: boolean }> {
    assertSignedReport(this.config.env.COGNITO_EVENTS_SECRET, request.headers, raw);
    const report = new ZodValidationPipe(cognitoEventReportSchema).transform(raw);
    return { recorded: await this.record(report) };
  }

  /**
   * The first sign-in of an account the user-migration trigger had Cognito
   * create (a tier move's deferred user): bound here, groups and all, so the
   * user's next tokens carry its roles (tier-move/deferred-users.ts).
   */
  private async bindMigratedAccount(issuer: string, report: CognitoEventReport) {
    if (report.kind !== 'signed_in' || !report.username) return null;
    const bound = await this.deferredUsers.bindCreatedByCognito(issuer, report.clientId, report.username, report.sub);
    return bound ? this.mirror.findById(bound.tenantId, bound.userId) : null;
  }

  private async isGatehouseClient(clientId: string | null): Promise<boolean> {
    if (!clientId) return false;
    for (const pool of this.config.sharedPools.values()) if (pool.gatehouseClientId === clientId) return true;
    return this.mirror.isGatehouseAppClient(clientId);
  }

  private async record(report: CognitoEventReport): Promise<boolean> {
    const issuer = cognitoIssuer(this.config.env, report.region, report.userPoolId);
    const user = (await this.mirror.findBySubject(issuer, report.sub)) ?? (await this.bindMigratedAccount(issuer, report));
    if (!user) return false;
    if (report.kind === 'confirmed') {
      const before = user.status;
      await this.mirror.markConfirmed(user.tenantId, user.id, { emailVerified: true, via: 'cognito' });
      return before === 'pending';
    }
    if (await this.isGatehouseClient(report.clientId)) return false;
    return this.mirror.recordAuthEvent(
      { type: 'user.signed_in', data: { tenantId: user.tenantId, userId: user.id, via: 'cognito' } },
      { dedupeKey: report.dedupeKey, details: { via: 'cognito' } },
    );
  }
}
