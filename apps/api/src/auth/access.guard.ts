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
import { type Claims, type Principal, PrincipalResolver } from './principal-resolver.js';
import { TokenVerifier } from './token-verifier.js';

type AuthenticatedPolicy = Extract<AccessPolicy, { kind: 'authenticated' }>;
/** The part of a request the guard reads. */
type GuardedRequest = Pick<FastifyRequest, 'headers' | 'hostname'>;

@Injectable()
export class AccessGuard implements CanActivate {
  private readonly logger = new Logger(AccessGuard.name);
  /** Route class → handler → declared policy (null: none). Decorator metadata never changes at run time. */
  private readonly policies = new WeakMap<object, WeakMap<object, AccessPolicy | null>>();

  constructor(
    private readonly reflector: Reflector,
    private readonly verifier: TokenVerifier,
    private readonly resolver: PrincipalResolver,
  ) {}

  /**
   * Synchronous whenever the token's key and the user are already cached (nearly
   * every request): each promise on this path costs, on every request. A promise
   * only when the JWKS or the user row must be fetched. Errors are thrown either
   * way; Nest turns both into the same refusal.
   */
  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    const policy = this.policyOf(context);
    if (!policy) {
      this.logger.error(`route ${context.getClass().name}.${context.getHandler().name} declares no access; refusing`);
      throw new ForbiddenError('access_not_declared', 'This route is not available.');
    }
    if (policy.kind === 'public') return true;

    // The HTTP request is argument 0; switchToHttp() would allocate three closures per request to say so.
    const request = context.getArgByIndex<GuardedRequest>(0);
    const token = extractBearerToken(request.headers.authorization); // precise 401s for missing or malformed headers
    const claims = this.verifier.check(token);
    if (claims instanceof Promise) return claims.then((verified) => this.admit(policy, request, verified));
    return this.admit(policy, request, claims);
  }

  private admit(policy: AuthenticatedPolicy, request: GuardedRequest, claims: Claims): boolean | Promise<boolean> {
    const principal = this.resolver.resolveNow(claims, policy.tokenUse, {
      hostname: request.hostname,
      tenantHeader: request.headers['x-tenant-id'],
    });
    if (principal instanceof Promise) return principal.then((resolved) => this.authorize(policy, resolved));
    return this.authorize(policy, principal);
  }

  private authorize(policy: AuthenticatedPolicy, principal: Principal): boolean {
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

  private policyOf(context: ExecutionContext): AccessPolicy | undefined {
    const routeClass = context.getClass();
    const handler = context.getHandler();
    let byHandler = this.policies.get(routeClass);
    if (!byHandler) this.policies.set(routeClass, (byHandler = new WeakMap()));
    let policy = byHandler.get(handler);
    if (policy === undefined) {
      policy = this.reflector.getAllAndOverride<AccessPolicy | undefined>(ACCESS_METADATA, [handler, routeClass]) ?? null;
      byHandler.set(handler, policy);
    }
    return policy ?? undefined;
  }
}
