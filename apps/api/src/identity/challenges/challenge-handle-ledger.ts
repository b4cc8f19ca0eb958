/**
 * Single use of challenge handles across replicas: answering a handle records
 * its jti in Postgres first; a jti already there is a replay. Rows expire with
 * their handle and are swept now and then.
 */
import { Injectable, Logger } from '@nestjs/common';
import { PrismaService } from '../../database/prisma.service.js';

const SWEEP_INTERVAL_MS = 60_000;

@Injectable()
export class ChallengeHandleLedger {
  private readonly logger = new Logger(ChallengeHandleLedger.name);
  private lastSweep = 0;

  constructor(private readonly prisma: PrismaService) {}

  /** True the first time a jti is consumed, false on every later attempt. */
  async consume(jti: string, expiresAtSeconds: number): Promise<boolean> {
    const inserted = await this.prisma.client.$executeRaw`
      INSERT INTO consumed_challenge_handles (jti, expires_at)
      VALUES (${jti}, ${new Date(expiresAtSeconds * 1000)})
      ON CONFLICT (jti) DO NOTHING`;
    this.sweepNowAndThen();
    return inserted === 1;
  }

  private sweepNowAndThen(): void {
    const now = Date.now();
    if (now - this.lastSweep < SWEEP_INTERVAL_MS) return;
    this.lastSweep = now;
    this.prisma.client.$executeRaw`DELETE FROM consumed_challenge_handles WHERE expires_at < now() - interval '1 minute'`.catch(
      (error: unknown) => this.logger.warn(`could not sweep consumed challenge handles: ${String(error)}`),
    );
  }
}
