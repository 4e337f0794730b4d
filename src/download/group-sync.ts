// fdatasync shared by the writes that wait for it: a caller whose write has completed gets a sync that
// starts after its call, and every caller arriving while that sync is still queued shares it. Chunks
// completing together then cost one flush, not one each queued behind each other.
import type { FileHandle } from 'node:fs/promises';

export class GroupSync {
  /** The sync running now. */
  private current: Promise<void> | undefined;
  /** The sync that starts after it: what a caller arriving now waits for. */
  private queued: Promise<void> | undefined;

  constructor(private readonly file: FileHandle) {}

  /** Resolves once the file's data written before this call is on disk. */
  sync(): Promise<void> {
    if (this.queued) return this.queued;
    const prior = this.current ?? Promise.resolve();
    const mine: Promise<void> = prior
      .catch(() => undefined) // that sync's failure is its own callers'
      .then(() => {
        this.queued = undefined; // writes from now on need the next one
        this.current = mine;
        return this.file.datasync();
      })
      .finally(() => {
        if (this.current === mine) this.current = undefined;
      });
    this.queued = mine;
    return mine;
  }
}
