// Re-fetches the catalog in the background so new files appear without a remount. A failed
// fetch keeps the tree the mount has (logged once per outage, not on every attempt) and is tried
// again soon — after 2 s, doubling up to the refresh interval — so a mount that was offline (or lost
// its server) is back online within seconds of the server answering, not a whole interval later.
import type { Catalog } from '../model.js';
import { logger } from '../util/log.js';

const log = logger('vfs');

/** The first retry after a failed fetch (or of a mount that started offline). */
export const FIRST_RETRY_MS = 2000;

export interface RefresherOptions {
  fetch: () => Promise<Catalog>;
  onCatalog: (catalog: Catalog) => void | Promise<void>;
  intervalMs: number;
}

export class CatalogRefresher {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private failing = false;
  private retryMs = FIRST_RETRY_MS;
  private started = false;

  constructor(private readonly opts: RefresherOptions) {}

  /** `failing`: the catalog in use could not be fetched (an offline mount): the first try comes soon. */
  start(opts: { failing?: boolean } = {}): void {
    if (this.started) return;
    this.started = true;
    this.failing = opts.failing ?? false;
    this.schedule(this.failing ? this.retryMs : this.opts.intervalMs);
  }

  stop(): void {
    this.started = false;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** One refresh; concurrent callers share it. Never throws. */
  refreshNow(): Promise<void> {
    this.running ??= this.refresh().finally(() => (this.running = undefined));
    return this.running;
  }

  private schedule(ms: number): void {
    this.timer = setTimeout(() => {
      void this.refreshNow().then(() => {
        if (!this.started) return;
        if (!this.failing) {
          this.retryMs = FIRST_RETRY_MS;
          this.schedule(this.opts.intervalMs);
          return;
        }
        this.schedule(this.retryMs);
        this.retryMs = Math.min(this.retryMs * 2, this.opts.intervalMs);
      });
    }, Math.min(ms, this.opts.intervalMs));
    this.timer.unref();
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
