// Re-fetches the catalog in the background so new files appear without a remount. A failed
// fetch keeps the tree the mount has (logged once per outage, not on every attempt).
import type { Catalog } from '../model.js';
import { logger } from '../util/log.js';

const log = logger('vfs');

export interface RefresherOptions {
  fetch: () => Promise<Catalog>;
  onCatalog: (catalog: Catalog) => void | Promise<void>;
  intervalMs: number;
}

export class CatalogRefresher {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private failing = false;

  constructor(private readonly opts: RefresherOptions) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.refreshNow(), this.opts.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One refresh; concurrent callers share it. Never throws. */
  refreshNow(): Promise<void> {
    this.running ??= this.refresh().finally(() => (this.running = undefined));
    return this.running;
  }

  private async refresh(): Promise<void> {
    try {
      const catalog = await this.opts.fetch();
      await this.opts.onCatalog(catalog);
      if (this.failing) log.info({ files: catalog.files.length }, 'catalog refresh works again');
      this.failing = false;
    } catch (err) {
      if (!this.failing) log.warn({ err: String(err) }, 'catalog refresh failed; keeping the current listing');
      this.failing = true;
    }
  }
}
