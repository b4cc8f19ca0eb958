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
  readonly tenantSlug?: string;
  readonly userId: string;
  /** Highest role first. */
  readonly roles: readonly TenantRole[];
  readonly tier: string;
  readonly issuer: string;
  readonly subject: string;
}

/** A platform operator (operators' pool, `platform-admin`): no tenant, no tenant data. */
export interface OperatorContext {
  readonly subject: string;
  readonly username: string;
  readonly issuer: string;
  readonly roles: readonly 'platform-admin'[];
}

export interface RequestContextStore {
  readonly requestId: string;
  /** The client address per the trusted-proxy rules (Fastify's `request.ip` with TRUSTED_PROXY_CIDRS). */
  readonly clientAddress?: string;
  auth?: AuthContext;
  operator?: OperatorContext;
}

export const requestContext = new AsyncLocalStorage<RequestContextStore>();

export function currentRequestId(): string | undefined {
  return requestContext.getStore()?.requestId;
}

export function currentClientAddress(): string | undefined {
  return requestContext.getStore()?.clientAddress;
}

export function currentAuth(): AuthContext | undefined {
  return requestContext.getStore()?.auth;
}

export function currentOperator(): OperatorContext | undefined {
  return requestContext.getStore()?.operator;
}
