/**
 * The one guard every request passes. It reads the route's declared access
 * (`@Public()` / `@Authenticated()`; undeclared routes are refused), runs the
 * passport-jwt strategy, checks roles, and puts the verified principal into the
 * request context that TenantDb and the audit log read.
 */
import { type ExecutionContext, Injectable, Logger } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import { DomainError } from '../common/domain-error.js';
import { requestContext } from '../tenancy/request-context.js';
import { ACCESS_METADATA, type AccessPolicy } from './access.decorators.js';
import { ForbiddenError, UnauthenticatedError } from './auth.errors.js';
import { extractBearerToken } from './bearer-token.js';
import { ACCESS_POLICY_KEY, GATEHOUSE_JWT, type RequestWithPolicy } from './gatehouse-jwt.strategy.js';
import type { Principal } from './principal-resolver.js';

/** jsonwebtoken's errors (passed to passport's `fail`) → stable 401 codes. */
function verificationFailure(info: unknown): UnauthenticatedError {
  const name = (info as { name?: string } | undefined)?.name;
  if (name === 'TokenExpiredError') return new UnauthenticatedError('token_expired', 'The token has expired.');
  if (name === 'NotBeforeError') return new UnauthenticatedError('token_not_yet_valid', 'The token is not valid yet.');
  return new UnauthenticatedError('invalid_token', 'The token could not be verified.');
}

@Injectable()
export class AccessGuard extends AuthGuard(GATEHOUSE_JWT) {
  private readonly logger = new Logger(AccessGuard.name);

  constructor(private readonly reflector: Reflector) {
    super();
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    const policy = this.reflector.getAllAndOverride<AccessPolicy | undefined>(ACCESS_METADATA, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (!policy) {
      this.logger.error(`route ${context.getClass().name}.${context.getHandler().name} declares no access; refusing`);
      throw new ForbiddenError('access_not_declared', 'This route is not available.');
    }
    if (policy.kind === 'public') return true;

    const request = context.switchToHttp().getRequest<RequestWithPolicy>();
    extractBearerToken(request.headers.authorization); // precise 401s for missing or malformed headers
    request[ACCESS_POLICY_KEY] = policy;
    await super.canActivate(context);
    const principal = (request as unknown as { user: Principal }).user;

    const store = requestContext.getStore();
    if (!store) throw new UnauthenticatedError('invalid_token', 'No request context.');
    if (principal.kind === 'operator') {
      if (!policy.roles.includes('platform-admin') || principal.context.roles.length === 0) {
        throw new ForbiddenError(
          policy.roles.includes('platform-admin') ? 'insufficient_role' : 'tenant_required',
          policy.roles.includes('platform-admin') ? 'This route needs the platform-admin role.' : 'This route needs a tenant user.',
        );
      }
      store.operator = principal.context;
      return true;
    }
    if (policy.roles.length > 0 && !principal.context.roles.some((role) => policy.roles.includes(role))) {
      throw new ForbiddenError('insufficient_role', `This route needs one of: ${policy.roles.join(', ')}.`);
    }
    store.auth = principal.context;
    return true;
  }

  override handleRequest<TUser>(error: unknown, user: TUser, info: unknown): TUser {
    if (error) throw error;
    if (!user) throw info instanceof DomainError ? info : verificationFailure(info);
    return user;
  }
}
