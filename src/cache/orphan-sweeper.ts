// Background clean-up after open: block files whose blocks no index entry names (a crash between a
// write and its index entry, or between an index delete and the unlink) and strays (an older scorefs's
// temp files). Only files older than the open, and none with a write under way, are touched.
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { logger } from '../util/log.js';
import type { BlockFiles } from './block-files.js';
import type { CacheIndex } from './cache-index.js';
import type { Counters } from './stats.js';

const log = logger('cache');

export class OrphanSweeper {
  private stopped = false;
  private done: Promise<void> | undefined;

  constructor(
    private readonly index: CacheIndex,
    private readonly files: BlockFiles,
    private readonly counters: Counters,
    /** Whether a file in an object's directory has a write under way. */
    private readonly writingTo: (okey: string, name: string) => boolean,
  ) {}

  start(openedAt: number): void {
    this.done = this.sweep(openedAt).catch((err: unknown) => log.warn({ err }, 'cache orphan sweep stopped'));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.done;
  }

  /** Resolves when the sweep has finished (tests, verify). */
  finished(): Promise<void> {
    return this.done ?? Promise.resolve();
  }

  private async sweep(openedAt: number): Promise<void> {
    for (const okey of await this.files.objectKeys()) {
      if (this.stopped) return;
      // One index scan per object, and a stat only for what it does not name: a sweep after a
      // mount runs alongside the first reads, and most files are blocks in use.
      const named = new Set<string>();
      for await (const [n] of this.index.blocksOf(okey)) named.add(this.files.nameOf(n));
      for (const name of await this.files.names(okey)) {
        if (this.stopped) return;
        if (named.has(name)) continue;
        const mtimeMs = await this.files.mtimeOf(okey, name);
        if (mtimeMs === undefined || mtimeMs >= openedAt) continue;
        const removed = await this.index.exclusive(async () => {
          if (this.writingTo(okey, name)) return false;
          if (await this.index.hasAnyBlock(okey, this.files.unitsOf(name) ?? [])) return false; // named meanwhile
          await this.files.removeEntry(okey, name);
          return true;
        });
        if (removed) this.counters.orphansRemoved++;
      }
      await this.index.exclusive(() => this.files.removeEmptyObjectDir(okey));
      await yieldToLoop();
    }
    if (this.counters.orphansRemoved > 0) log.info(`cache: removed ${this.counters.orphansRemoved} orphaned block files`);
  }
}
