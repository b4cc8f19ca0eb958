/**
 * Parameter decorators for the verified principal. They throw when the guard
 * did not run (a route wired without `@Authenticated()`): a second line of
 * defence that keeps a handler from ever acting without an identity.
 */
import { createParamDecorator } from '@nestjs/common';
import { MissingTenantContextError } from '../common/domain-error.js';
import { type AuthContext, type OperatorContext, currentAuth, currentOperator } from '../tenancy/request-context.js';

export interface CurrentTenantValue {
  readonly id: string;
  readonly slug: string | undefined;
  readonly tier: string;
}

export const CurrentTenant = createParamDecorator((): CurrentTenantValue => {
  const auth = currentAuth();
  if (!auth) throw new MissingTenantContextError();
  return { id: auth.tenantId, slug: auth.tenantSlug, tier: auth.tier };
});

export const CurrentUser = createParamDecorator((): AuthContext => {
  const auth = currentAuth();
  if (!auth) throw new MissingTenantContextError();
  return auth;
});

export const CurrentOperator = createParamDecorator((): OperatorContext => {
  const operator = currentOperator();
  if (!operator) throw new MissingTenantContextError();
  return operator;
});
