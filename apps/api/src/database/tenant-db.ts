/**
 * Tenant-scoped data access: every query for tenant data runs inside a
 * transaction that first sets `app.tenant_id`, `app.user_id` and `app.role`
 * with `set_config(..., true)`. The settings are transaction-local, so they end
 * with the transaction and never survive on a pooled connection.
 *
 * Compose, don't nest: a `run` inside another `run` (same async chain) joins the
 * outer transaction instead of opening a second one, so a service can call
 * other services and the whole request is one transaction — and one rollback.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { Injectable } from '@nestjs/common';
import { MissingTenantContextError } from '../common/domain-error.js';
import { type AuthContext, currentAuth } from '../tenancy/request-context.js';
import { PrismaService } from './prisma.service.js';
import type { TransactionClient } from './prisma-client.js';

interface ActiveTransaction {
  readonly client: TransactionClient;
  readonly auth: AuthContext;
}

export interface TenantDbOptions {
  /** Transaction timeout; keep requests short. */
  readonly timeoutMs?: number;
}

@Injectable()
export class TenantDb {
  private readonly active = new AsyncLocalStorage<ActiveTransaction>();

  constructor(private readonly prisma: PrismaService) {}

  /** Runs `work` as the current request's verified tenant, user and role. */
  run<T>(work: (db: TransactionClient) => Promise<T>, options?: TenantDbOptions): Promise<T> {
    const auth = currentAuth();
    if (!auth) return Promise.reject(new MissingTenantContextError());
    return this.runAs(auth, work, options);
  }

  /**
   * Runs `work` as an explicit context. For code paths that act for a tenant
   * outside an HTTP request (seeding, jobs) and for tests.
   */
  runAs<T>(auth: AuthContext, work: (db: TransactionClient) => Promise<T>, options: TenantDbOptions = {}): Promise<T> {
    const outer = this.active.getStore();
    if (outer) {
      if (outer.auth.tenantId !== auth.tenantId || outer.auth.userId !== auth.userId) {
        // Never let an inner call switch identity inside one transaction.
        return Promise.reject(new MissingTenantContextError());
      }
      return work(outer.client);
    }
    const role = auth.roles[0];
    if (!role) return Promise.reject(new MissingTenantContextError());
    return this.prisma.client.$transaction(
      async (client) => {
        await client.$executeRaw`SELECT set_config('app.tenant_id', ${auth.tenantId}, true),
                                        set_config('app.user_id', ${auth.userId}, true),
                                        set_config('app.role', ${role}, true)`;
        return this.active.run({ client, auth }, () => work(client));
      },
      { timeout: options.timeoutMs ?? 10_000, maxWait: 5_000 },
    );
  }
}
