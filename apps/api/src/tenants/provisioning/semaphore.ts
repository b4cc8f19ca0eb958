/**
 * A counting semaphore: at most `limit` tasks run at once, the rest wait in
 * FIFO order. Provisioning runs its Cognito calls through one, so many tenants
 * created at once stay well under Cognito's per-account request rates (the
 * SDK's adaptive retry mode then absorbs the throttling that still happens).
 */
export class Semaphore {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new Error('a semaphore needs a positive integer limit');
  }

  get active(): number {
    return this.running;
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.running += 1;
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      // Hand the slot straight to the next waiter; only free it when nobody waits.
      if (next) next();
      else this.running -= 1;
    }
  }
}
