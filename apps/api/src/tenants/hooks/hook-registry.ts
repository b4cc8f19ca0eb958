/**
 * Where synchronous hooks are configured: one per (tenant, kind), plus one
 * platform default per kind (tenant_id null) that applies to tenants without
 * their own. A tenant's own hook — enabled or not — replaces the default, so
 * a tenant admin can also switch the platform's hook off for their tenant
 * only by configuring their own and disabling it.
 *
 * Hooks run before any tenant user is signed in (sign-up, sign-in), so
 * `effective` reads them through the privileged client, like the user mirror —
 * hence this file lives in the tenants context. Configuring them takes the
 * transaction of their owner (OwnerTransactions): a tenant admin's under
 * row-level security as the application role, which cannot even read the
 * secret column back; an operator's through the privileged client. The
 * signing secret is returned only by `create` and `rotateSecret` (shown once,
 * from memory) and by `effective` (to sign).
 */
import { Injectable } from '@nestjs/common';
import { PrivilegedPrismaService } from '../../database/privileged-database.module.js';
import type { TransactionClient } from '../../database/prisma-client.js';
import { generateWebhookSecret } from '../../events/standard-webhooks.js';
import type { HookFailureMode, HookKind } from '../../events/hooks/hook-contract.js';

export interface HookView {
  readonly id: string;
  /** Null for a platform default. */
  readonly tenantId: string | null;
  readonly kind: HookKind;
  readonly url: string;
  readonly timeoutMs: number;
  readonly failureMode: HookFailureMode;
  readonly enabled: boolean;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** What a hook call needs: the view plus the secret. Never returned by a route. */
export interface EffectiveHook extends HookView {
  readonly secret: string;
}

export interface HookSettings {
  readonly url: string;
  readonly timeoutMs: number;
  readonly failureMode: HookFailureMode;
  readonly enabled: boolean;
}

type HookRow = { id: string; tenantId: string | null; kind: string; url: string; timeoutMs: number; failureMode: string; enabled: boolean; createdAt: Date; updatedAt: Date };

export function toHookView(row: HookRow): HookView {
  return {
    id: row.id,
    tenantId: row.tenantId,
    kind: row.kind as HookKind,
    url: row.url,
    timeoutMs: row.timeoutMs,
    failureMode: row.failureMode as HookFailureMode,
    enabled: row.enabled,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

const VIEW_FIELDS = { id: true, tenantId: true, kind: true, url: true, timeoutMs: true, failureMode: true, enabled: true, createdAt: true, updatedAt: true } as const;

@Injectable()
export class HookRegistry {
  constructor(private readonly privileged: PrivilegedPrismaService) {}

  /** The hook that applies to `tenantId` for `kind`, if any is enabled: the tenant's own, else the platform default. */
  async effective(tenantId: string, kind: HookKind): Promise<EffectiveHook | null> {
    const rows = await this.privileged.client.synchronousHook.findMany({
      where: { kind, OR: [{ tenantId }, { tenantId: null }] },
      select: { ...VIEW_FIELDS, secret: true },
    });
    const chosen = rows.find((row) => row.tenantId === tenantId) ?? rows.find((row) => row.tenantId === null);
    return chosen?.enabled ? { ...toHookView(chosen), secret: chosen.secret } : null;
  }

  /** A tenant's hooks (tenantId) or the platform defaults (null), in the owner's transaction. */
  async list(tx: TransactionClient, tenantId: string | null): Promise<HookView[]> {
    const rows = await tx.synchronousHook.findMany({ where: { tenantId }, select: VIEW_FIELDS, orderBy: { kind: 'asc' } });
    return rows.map(toHookView);
  }

  async find(tx: TransactionClient, tenantId: string | null, kind: HookKind): Promise<HookView | null> {
    const row = await tx.synchronousHook.findFirst({ where: { tenantId, kind }, select: VIEW_FIELDS });
    return row ? toHookView(row) : null;
  }

  /** Creates the hook with a fresh secret; returns it with the secret (the only time it is shown). */
  async create(tx: TransactionClient, tenantId: string | null, kind: HookKind, settings: HookSettings): Promise<HookView & { secret: string }> {
    const secret = generateWebhookSecret();
    const row = await tx.synchronousHook.create({ data: { tenantId, kind, ...settings, secret }, select: VIEW_FIELDS });
    return { ...toHookView(row), secret };
  }

  async update(tx: TransactionClient, id: string, settings: HookSettings): Promise<HookView> {
    return toHookView(await tx.synchronousHook.update({ where: { id }, data: settings, select: VIEW_FIELDS }));
  }

  async rotateSecret(tx: TransactionClient, id: string): Promise<HookView & { secret: string }> {
    const secret = generateWebhookSecret();
    const row = await tx.synchronousHook.update({ where: { id }, data: { secret }, select: VIEW_FIELDS });
    return { ...toHookView(row), secret };
  }

  async remove(tx: TransactionClient, id: string): Promise<void> {
    // deleteMany: a single delete would read the whole row back, secret included, which the application role may not.
    await tx.synchronousHook.deleteMany({ where: { id } });
  }
}
