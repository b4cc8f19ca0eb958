/**
 * Append-only audit events for every privileged action. `record` takes the
 * transaction client of the change it records, so the event commits or rolls
 * back with it: no change without its event, no event without its change.
 * Who and which request come from the request context, not from callers.
 */
import { Injectable } from '@nestjs/common';
import type { TransactionClient } from '../database/prisma-client.js';
import { currentAuth, currentOperator, currentRequestId } from '../tenancy/request-context.js';

export type AuditOutcome = 'success' | 'failure' | 'denied';

export interface AuditEventInput {
  /** e.g. `tenant.create`, `tenant.suspend`, `user.invite`, `user.role.change`. */
  readonly action: string;
  /** The tenant the action concerns; defaults to the caller's tenant. Null for platform-wide actions. */
  readonly tenantId?: string | null;
  /** What was acted on, e.g. `tenant:<id>`, `user:<id>`. */
  readonly target?: string;
  readonly outcome?: AuditOutcome;
  /** Small, non-secret facts (never passwords, tokens or codes). */
  readonly details?: Readonly<Record<string, unknown>>;
}

export interface AuditActor {
  readonly actorType: 'operator' | 'user' | 'system';
  readonly actorId: string | null;
}

export function currentActor(): AuditActor {
  const operator = currentOperator();
  if (operator) return { actorType: 'operator', actorId: operator.subject };
  const auth = currentAuth();
  if (auth) return { actorType: 'user', actorId: auth.userId };
  return { actorType: 'system', actorId: null };
}

@Injectable()
export class AuditService {
  async record(db: TransactionClient, event: AuditEventInput): Promise<void> {
    const actor = currentActor();
    await db.auditEvent.create({
      data: {
        tenantId: event.tenantId === undefined ? (currentAuth()?.tenantId ?? null) : event.tenantId,
        actorId: actor.actorId,
        actorType: actor.actorType,
        action: event.action,
        target: event.target ?? null,
        outcome: event.outcome ?? 'success',
        requestId: currentRequestId() ?? null,
        details: (event.details ?? {}) as object,
      },
    });
  }
}
