/**
 * The audit log's retention: events older than AUDIT_RETENTION_DAYS are
 * removed by `purge_audit_events` (the only way rows ever leave the
 * append-only table: an owner-run function that refuses to touch anything
 * younger than a day). Every replica schedules the purge; a transaction-level
 * Postgres advisory lock lets exactly one run a batch at a time, and a replica
 * that finds the lock taken stops its run (the holder is doing the work).
 * Batches are bounded (AUDIT_PURGE_BATCH_SIZE) and each is its own short
 * transaction, so the purge never holds locks on many rows for long.
 * The function is reached through the privileged client — hence this file
 * lives in the tenants context.
 */
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig } from '../config/config.schema.js';
import { PrivilegedPrismaService } from '../database/privileged-database.module.js';

/** Advisory lock key: "gatehouse audit purge" (any stable bigint, distinct from the migrator's). */
const PURGE_LOCK_KEY = 0x6761_7564_6974n; // 'gaudit'
/** Upper bound on batches per run, so one run ends even while rows keep ageing in. */
const MAX_BATCHES_PER_RUN = 1_000;
const DAY_MS = 86_400_000;

export interface PurgeRun {
  /** Rows removed by this replica in this run. */
  readonly removed: number;
  /** False when another replica held the lock (this one did nothing). */
  readonly ran: boolean;
}

@Injectable()
export class AuditRetention implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(AuditRetention.name);
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;

  constructor(
    private readonly privileged: PrivilegedPrismaService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => {
      if (this.running) return;
      this.running = this.purge()
        .catch((error: unknown) => this.logger.warn(`audit purge failed; next try in ${this.config.env.AUDIT_PURGE_INTERVAL_MS} ms: ${String(error)}`))
        .finally(() => {
          this.running = undefined;
        });
    }, this.config.env.AUDIT_PURGE_INTERVAL_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** One run: batches of old rows until none are left, the lock is taken elsewhere, or the run's bound. */
  async purge(now: Date = new Date()): Promise<PurgeRun> {
    const cutoff = new Date(now.getTime() - this.config.env.AUDIT_RETENTION_DAYS * DAY_MS);
    const batchSize = this.config.env.AUDIT_PURGE_BATCH_SIZE;
    let removed = 0;
    for (let batch = 0; batch < MAX_BATCHES_PER_RUN; batch += 1) {
      const result = await this.privileged.client.$transaction(async (tx) => {
        const [lock] = await tx.$queryRaw<{ locked: boolean }[]>`SELECT pg_try_advisory_xact_lock(${PURGE_LOCK_KEY}) AS locked`;
        if (!lock?.locked) return null;
        const [row] = await tx.$queryRaw<{ removed: number }[]>`SELECT purge_audit_events(${cutoff}::timestamptz, ${batchSize}::integer) AS removed`;
        return Number(row?.removed ?? 0);
      });
      if (result === null) return { removed, ran: batch > 0 };
      removed += result;
      if (result < batchSize) break;
    }
    if (removed > 0) this.logger.log(`audit purge removed ${removed} events older than ${cutoff.toISOString()}`);
    return { removed, ran: true };
  }
}
