// fdatasync shared by the writes that wait for it: a caller whose write has completed gets a sync that
// starts after its call, and every caller arriving while that sync is still queued shares it. Chunks
// completing together then cost one flush, not one each queued behind each other. A sync starts at
// least `pauseMs` after the last one ended: back-to-back flushes keep the file's writes waiting on
// the journal, and a write waiting holds a chunk's memory and so a transfer; in the pause they run
// freely, and the flush after it takes them all at once. Once no more writes are coming (`hurry`),
// the queued sync starts at once.
import type { FileHandle } from 'node:fs/promises';

export class GroupSync {
  /** The sync running now. */
  private current: Promise<void> | undefined;
  /** The sync that starts after it: what a caller arriving now waits for. */
  private queued: Promise<void> | undefined;
  private lastEnd = 0;
  private hurried = false;
  /** Ends the pause under way, if any. */
  private wake: (() => void) | undefined;

  constructor(
    private readonly file: FileHandle,
    private readonly pauseMs = 0,
  ) {}

  /** Resolves once the file's data written before this call is on disk. */
  sync(): Promise<void> {
    if (this.queued) return this.queued;
    const prior = this.current ?? Promise.resolve();
    const mine: Promise<void> = prior
      .catch(() => undefined) // that sync's failure is its own callers'
      .then(() => this.pause())
      .then(() => {
        this.queued = undefined; // writes from now on need the next one
        this.current = mine;
        return this.file.datasync();
      })
      .finally(() => {
        this.lastEnd = Date.now();
        if (this.current === mine) this.current = undefined;
      });
    this.queued = mine;
    return mine;
  }

  /** No more writes are coming: syncs start without a pause from now on. */
  hurry(): void {
    this.hurried = true;
    this.wake?.();
  }

  private pause(): Promise<void> {
    const wait = this.lastEnd + this.pauseMs - Date.now();
    if (this.hurried || wait <= 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => this.wake?.(), wait);
      this.wake = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
    });
  }
}
