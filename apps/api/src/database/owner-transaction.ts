/**
 * One transaction as the owner of tenant-or-platform configuration (webhook
 * endpoints, synchronous hooks): a tenant's rows through TenantDb, so
 * row-level security decides what the tenant's admin sees and changes; the
 * platform's rows (tenant_id null) through the privileged client, for
 * operators. A tenant owner must be the request's verified tenant: anything
 * else is refused before a statement is sent.
 */
import { Injectable } from '@nestjs/common';
import { MissingTenantContextError } from '../common/domain-error.js';
import { currentAuth } from '../tenancy/request-context.js';
import { PrivilegedPrismaService } from './privileged-database.module.js';
import type { TransactionClient } from './prisma-client.js';
import { TenantDb } from './tenant-db.js';

/** Whose configuration: a tenant's (its id) or the platform's (null). */
export interface ConfigOwner {
  readonly tenantId: string | null;
}

@Injectable()
export class OwnerTransactions {
  constructor(
    private readonly tenantDb: TenantDb,
    private readonly privileged: PrivilegedPrismaService,
  ) {}

  run<T>(owner: ConfigOwner, work: (tx: TransactionClient) => Promise<T>): Promise<T> {
    if (owner.tenantId === null) return this.privileged.client.$transaction(work);
    if (currentAuth()?.tenantId !== owner.tenantId) return Promise.reject(new MissingTenantContextError());
    return this.tenantDb.run(work);
  }
}
