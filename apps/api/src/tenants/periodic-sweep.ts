/**
 * The sweep that lets survivors take over a crashed replica's leased work
 * (provisioning runs, tier moves): run once at boot, then every interval; one
 * sweep at a time per replica; a failing sweep (database down) is logged and
 * the next one tries again; shutdown waits for the sweep in flight.
 */
import type { Logger } from '@nestjs/common';

export class PeriodicSweep {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly what: string,
    private readonly work: () => Promise<void>,
    private readonly logger: Logger,
  ) {}

  start(intervalMs: number): void {
    this.runOnce();
    this.timer = setInterval(() => this.runOnce(), intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  private runOnce(): void {
    if (this.running) return;
    this.running = this.work()
      .catch((error: unknown) => this.logger.warn(`sweep for ${this.what} failed: ${error instanceof Error ? error.message : String(error)}`))
      .finally(() => {
        this.running = undefined;
      });
  }
}
