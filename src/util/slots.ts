// A counting semaphore: at most `size` holders at once, the rest wait in arrival order.

export class Slots {
  private free: number;
  private readonly waiters: Array<() => void> = [];

  constructor(size: number) {
    this.free = size;
  }

  private async take(): Promise<void> {
    if (this.free > 0) {
      this.free--;
      return;
    }
    await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  private give(): void {
    const next = this.waiters.shift();
    if (next) next();
    else this.free++;
  }

  /** Runs fn in a slot. */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    await this.take();
    try {
      return await fn();
    } finally {
      this.give();
    }
  }
}
