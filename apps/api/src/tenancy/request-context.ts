/**
 * The per-request context, carried by AsyncLocalStorage from the moment
 * Fastify receives a request until its response is sent. The guard puts the
 * verified {@link AuthContext} here; the tenant-scoped database access and the
 * audit log read it. Nothing else decides who the request is.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { TenantRole } from '@gatehouse/tiers';

export interface AuthContext {
  readonly tenantId: string;
  readonly userId: string;
  /** Highest role first. */
  readonly roles: readonly TenantRole[];
  readonly tier: string;
  readonly issuer: string;
  readonly subject: string;
}

export interface RequestContextStore {
  readonly requestId: string;
  auth?: AuthContext;
}

export const requestContext = new AsyncLocalStorage<RequestContextStore>();

export function currentRequestId(): string | undefined {
  return requestContext.getStore()?.requestId;
}

export function currentAuth(): AuthContext | undefined {
  return requestContext.getStore()?.auth;
}
