/**
 * The one guard every request passes. It reads the route's declared access
 * (`@Public()` / `@Authenticated()`; undeclared routes are refused), verifies
 * the bearer token (TokenVerifier), resolves the principal from the verified
 * claims (PrincipalResolver: tenant, user, roles, route hint — on every
 * request), checks roles, and puts the principal into the request context
 * that TenantDb and the audit log read.
 */
import { type CanActivate, type ExecutionContext, Injectable, Logger } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { requestContext } from '../tenancy/request-context.js';
import { ACCESS_METADATA, type AccessPolicy } from './access.decorators.js';
import { ForbiddenError, UnauthenticatedError } from './auth.errors.js';
import { extractBearerToken } from './bearer-token.js';
import { PrincipalResolver } from './principal-resolver.js';
import { TokenVerifier } from './token-verifier.js';

@Injectable()
export class AccessGuard implements CanActivate {
  private readonly logger = new Logger(AccessGuard.name);

  constructor(
    private readonly reflector: Reflector,
    private readonly verifier: TokenVerifier,
    private readonly resolver: PrincipalResolver,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const policy = this.reflector.getAllAndOverride<AccessPolicy | undefined>(ACCESS_METADATA, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (!policy) {
      this.logger.error(`route ${context.getClass().name}.${context.getHandler().name} declares no access; refusing`);
      throw new ForbiddenError('access_not_declared', 'This route is not available.');
    }
    if (policy.kind === 'public') return true;

    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const token = extractBearerToken(request.headers.authorization); // precise 401s for missing or malformed headers
    const claims = await this.verifier.verify(token);
    const principal = await this.resolver.resolve(claims, policy.tokenUse, {
      hostname: request.hostname,
      tenantHeader: request.headers['x-tenant-id'],
    });

    const store = requestContext.getStore();
    if (!store) throw new UnauthenticatedError('invalid_token', 'No request context.');
    if (principal.kind === 'operator') {
      // Operators have no tenant: they pass only routes that ask for platform-admin, and only with it.
      if (!policy.roles.includes('platform-admin')) throw new ForbiddenError('tenant_required', 'This route needs a tenant user.');
      if (!principal.context.roles.includes('platform-admin')) {
        throw new ForbiddenError('insufficient_role', 'This route needs the platform-admin role.');
      }
      store.operator = principal.context;
      return true;
    }
    if (principal.mfaEnrollmentPending && !policy.duringMfaEnrollment) {
      throw new ForbiddenError('mfa_enrollment_required', 'This tenant requires MFA: set up TOTP at /v1/me/mfa/totp first.');
    }
    if (policy.roles.length > 0 && !principal.context.roles.some((role) => policy.roles.includes(role))) {
      throw new ForbiddenError('insufficient_role', `This route needs one of: ${policy.roles.join(', ')}.`);
    }
    store.auth = principal.context;
    return true;
  }
}
