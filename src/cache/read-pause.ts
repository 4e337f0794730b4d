// Background work that yields to readers: it waits until reads have paused for a while, or at most a
// longest wait under reads that never pause. close() ends every wait at once.

export interface ReadPauseTimes {
  /** Reads have paused once none has come for this long. */
  quietMs: number;
  /** No wait lasts longer than this after it began, however reads go on. */
  maxDeferMs: number;
}

const POLL_MS = 250;

export class ReadPause {
  private readonly waking = new Set<() => void>();
  private closed = false;

  /** `lastReadAt`: epoch millis of the last read a user waited for. */
  constructor(
    private readonly lastReadAt: () => number,
    private readonly times: ReadPauseTimes,
  ) {}

  /** Resolves once reads have paused, or maxDeferMs after `since`, or on close. */
  async wait(since = Date.now()): Promise<void> {
    const { quietMs, maxDeferMs } = this.times;
    for (;;) {
      const now = Date.now();
      const idle = now - this.lastReadAt();
      if (this.closed || idle >= quietMs || now - since >= maxDeferMs) return;
      // Unref'd: a wait never keeps a process alive; close() cuts it short.
      await new Promise<void>((resolve) => {
        const wake = (): void => {
          clearTimeout(timer);
          this.waking.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, Math.min(POLL_MS, quietMs - idle, since + maxDeferMs - now));
        timer.unref();
        this.waking.add(wake);
      });
    }
  }

  close(): void {
    this.closed = true;
    for (const wake of [...this.waking]) wake();
  }
}
