/**
 * Append-only audit events for every privileged action and authentication event. `record` takes the
 * transaction client of the change it records, so the event commits or rolls
 * back with it: no change without its event, no event without its change.
 * Who, which request and from which address come from the request context, not from callers.
 */
import { isIP } from 'node:net';
import { Injectable } from '@nestjs/common';
import type { TransactionClient } from '../database/prisma-client.js';
import { currentAuth, currentClientAddress, currentOperator, currentRequestId } from '../tenancy/request-context.js';
import { minimiseDetails } from './audit-details.js';

export type AuditOutcome = 'success' | 'failure' | 'denied';

export interface AuditEventInput {
  /** e.g. `tenant.create`, `tenant.suspend`, `user.invite`, `user.role.change`. */
  readonly action: string;
  /** The tenant the action concerns; defaults to the caller's tenant. Null for platform-wide actions. */
  readonly tenantId?: string | null;
  /** What was acted on, e.g. `tenant:<id>`, `user:<id>`. */
  readonly target?: string;
  readonly outcome?: AuditOutcome;
  /** Small, non-secret facts (never passwords, tokens or codes; e-mail addresses are redacted). */
  readonly details?: Readonly<Record<string, unknown>>;
  /**
   * The client address, when the event is recorded outside the client's own request (e.g. a
   * Cognito trigger reporting the end user's address). Defaults to the request's address as the
   * trusted-proxy rules derived it; null when there is neither.
   */
  readonly clientAddress?: string | null;
}

/** An address Postgres's inet accepts, or null (never let a bad value fail the audited change). */
function auditAddress(explicit: string | null | undefined): string | null {
  const address = explicit === undefined ? currentClientAddress() : explicit;
  return address && isIP(address) !== 0 ? address : null;
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
        clientIp: auditAddress(event.clientAddress),
        details: minimiseDetails(event.details ?? {}) as object,
      },
    });
  }
}
