// At most N tasks at once, started in the order they were submitted; or, for range GETs, as many as
// an adaptive limit allows.
import type { AdaptiveLimit } from '../util/adaptive-limit.js';

export class Limiter {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly max: number) {
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`a limiter needs at least one slot, not ${max}`);
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running >= this.max) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.running++;
    try {
      return await task();
    } finally {
      this.running--;
      this.waiting.shift()?.();
    }
  }
}

/**
 * Range GETs under an adaptive limit: as many at once as the link rewards (see AdaptiveLimit), each
 * task's bytes, failure or retries telling it what the link gives.
 */
export class TransferLimiter {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(readonly link: AdaptiveLimit) {}

  async run<T>(bytes: number, task: () => Promise<T>): Promise<T> {
    if (this.running < this.link.limit) this.running++;
    else await new Promise<void>((resolve) => this.waiting.push(resolve)); // woken holding a slot
    this.link.started(this.running);
    try {
      const value = await task();
      this.link.completed(bytes);
      return value;
    } catch (err) {
      this.link.failed();
      throw err;
    } finally {
      this.running--;
      // The limit may have grown (or shrunk): start as many as it allows now.
      while (this.waiting.length > 0 && this.running < this.link.limit) {
        this.running++;
        this.waiting.shift()!();
      }
    }
  }
}
