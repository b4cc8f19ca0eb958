/**
 * Configuring synchronous hooks: a tenant admin for their own tenant (under
 * row-level security, as the application role), an operator for the platform
 * defaults (tenantId null, privileged). Every change is audited
 * in the transaction that makes it; the audit entry names the kind, URL
 * (without query) and settings, never the secret.
 */
import { Inject, Injectable } from '@nestjs/common';
import { AuditService } from '../../audit/audit.service.js';
import { OutboundUrlRefused, checkUrlShape, resolveHost, resolvePublicAddresses } from '../../auth/outbound-url.js';
import { ConflictError, NotFoundError } from '../../common/domain-error.js';
import { isUniqueViolation } from '../../common/database-errors.js';
import { APP_CONFIG } from '../../config/config.module.js';
import type { AppConfig } from '../../config/config.schema.js';
import { OwnerTransactions } from '../../database/owner-transaction.js';
import type { HookKind } from '../../events/hooks/hook-contract.js';
import { invalidField } from '../tenants.errors.js';
import type { PutHook } from './hook.dto.js';
import { HookRegistry, type HookView } from './hook-registry.js';

const hookNotFound = () => new NotFoundError('hook', 'hook_not_found');

/** The URL for the audit log: no query or fragment, which some receivers use to carry a token. */
function auditUrl(raw: string): string {
  const url = new URL(raw);
  return `${url.origin}${url.pathname}`;
}

@Injectable()
export class HookAdministration {
  constructor(
    private readonly owners: OwnerTransactions,
    private readonly registry: HookRegistry,
    private readonly audit: AuditService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** The DNS resolver for hook URLs; replaced by tests that need a name to resolve somewhere chosen. */
  resolveHost = resolveHost;

  list(tenantId: string | null): Promise<HookView[]> {
    return this.owners.run({ tenantId }, (tx) => this.registry.list(tx, tenantId));
  }

  /** Creates (with a secret, shown once: `created` true) or replaces the settings of the hook of this kind. */
  async put(tenantId: string | null, kind: HookKind, input: PutHook): Promise<{ created: boolean; hook: HookView & { secret?: string } }> {
    if (kind === 'post_confirmation' && input.failureMode === 'closed') {
      throw invalidField('failureMode', 'a post_confirmation hook is a notification and cannot refuse anything: use open');
    }
    await this.assertCallableUrl(input.url);
    const settings = { url: input.url, timeoutMs: input.timeoutMs, failureMode: input.failureMode, enabled: input.enabled };
    try {
      return await this.owners.run({ tenantId }, async (tx) => {
        const existing = await this.registry.find(tx, tenantId, kind);
        const hook = existing ? await this.registry.update(tx, existing.id, settings) : await this.registry.create(tx, tenantId, kind, settings);
        await this.audit.record(tx, {
          action: existing ? 'hook.update' : 'hook.create',
          tenantId,
          target: `hook:${hook.id}`,
          details: { kind, url: auditUrl(settings.url), timeoutMs: settings.timeoutMs, failureMode: settings.failureMode, enabled: settings.enabled },
        });
        return { created: !existing, hook };
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw new ConflictError('hook_conflict', 'The hook was configured concurrently; retry.');
      throw error;
    }
  }

  async rotateSecret(tenantId: string | null, kind: HookKind): Promise<HookView & { secret: string }> {
    return this.owners.run({ tenantId }, async (tx) => {
      const existing = await this.registry.find(tx, tenantId, kind);
      if (!existing) throw hookNotFound();
      const hook = await this.registry.rotateSecret(tx, existing.id);
      await this.audit.record(tx, { action: 'hook.secret.rotate', tenantId, target: `hook:${hook.id}`, details: { kind } });
      return hook;
    });
  }

  async remove(tenantId: string | null, kind: HookKind): Promise<void> {
    await this.owners.run({ tenantId }, async (tx) => {
      const existing = await this.registry.find(tx, tenantId, kind);
      if (!existing) throw hookNotFound();
      await this.registry.remove(tx, existing.id);
      await this.audit.record(tx, { action: 'hook.delete', tenantId, target: `hook:${existing.id}`, details: { kind } });
    });
  }

  /** The identity-provider rules: no credentials, https (AWS mode), no private/link-local/metadata address. */
  private async assertCallableUrl(raw: string): Promise<void> {
    const policy = { allowPrivateAddresses: this.config.isLocal };
    try {
      const url = checkUrlShape(raw, policy);
      // Resolved again at every call; local mode trusts its own network (test hook servers on loopback).
      if (!this.config.isLocal) await resolvePublicAddresses(url, policy, this.resolveHost);
    } catch (error) {
      if (error instanceof OutboundUrlRefused) throw invalidField('url', error.message);
      throw error;
    }
  }
}
