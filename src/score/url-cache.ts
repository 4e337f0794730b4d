// The external (whole-object, unranged) presigned URL of each object, as score-client's mount keeps
// them: fetched once, refreshed at 80% of its remaining life and at once after a 403 from the object
// store; one fetch per object however many reads wait for it. URLs are secrets: never logged.
import { LRUCache } from 'lru-cache';
import { ProtocolError, Unavailable } from '../errors.js';
import { logger } from '../util/log.js';
import type { ScoreApi } from './api.js';
import type { CallOptions } from './retry.js';
import { urlExpiresAt } from './url-expiry.js';

const log = logger('score.url-cache');

interface CachedUrl {
  url: string;
  /** The object MD5 the same specification gave, if any. */
  md5: string | null;
  expiresAt: number;
  refreshAt: number;
}

/** Which object to fetch a URL for; the study only improves error messages. */
export interface UrlSubject {
  id: string;
  studyId?: string;
}

/** Never refresh more often than this, whatever a URL claims (clock skew, tiny TTLs). */
const MIN_REFRESH_INTERVAL_MS = 1000;

export class UrlCache {
  private readonly urls = new LRUCache<string, CachedUrl>({ max: 10_000 });
  private readonly inflight = new Map<string, Promise<CachedUrl>>();
  private refreshCount = 0;

  constructor(
    private readonly api: ScoreApi,
    private readonly fetchDeadlineMs: number,
  ) {}

  /** URL refetches of objects that had a URL already (expiry or 403). */
  get refreshes(): number {
    return this.refreshCount;
  }

  /** A URL of the object valid now. Waits for a fetch at most until the caller's deadline or abort. */
  async get(subject: UrlSubject, opts: CallOptions = {}): Promise<string> {
    return (await this.current(subject, opts)).url;
  }

  /**
   * The object MD5 of the specification that gave the object's URL (null when Score gave none), with
   * a URL fetch if none is held: the same request answers both, and Score's access check with them.
   */
  async md5(subject: UrlSubject, opts: CallOptions = {}): Promise<string | null> {
    return (await this.current(subject, opts)).md5;
  }

  /** The object store refused `url` (403): forget it unless a newer URL replaced it already. */
  invalidate(id: string, url: string): void {
    const cached = this.urls.get(id);
    if (cached?.url === url) this.urls.set(id, { ...cached, expiresAt: 0, refreshAt: 0 });
  }

  /** The entry valid now (refreshed in the background near its end), or the one a fetch brings. */
  private current(subject: UrlSubject, opts: CallOptions): Promise<CachedUrl> {
    const now = Date.now();
    const cached = this.urls.get(subject.id);
    if (cached && now < cached.expiresAt) {
      if (now >= cached.refreshAt) void this.fetch(subject).catch((err: unknown) => log.debug({ object: subject.id, err: describe(err) }, 'early URL refresh failed'));
      return Promise.resolve(cached);
    }
    return waitFor(this.fetch(subject), opts, subject.id);
  }

  private fetch(subject: UrlSubject): Promise<CachedUrl> {
    let pending = this.inflight.get(subject.id);
    if (pending) return pending;
    const isRefresh = this.urls.has(subject.id);
    pending = this.load(subject)
      .then((entry) => {
        if (isRefresh) this.refreshCount++;
        this.urls.set(subject.id, entry);
        return entry;
      })
      .finally(() => this.inflight.delete(subject.id));
    this.inflight.set(subject.id, pending);
    return pending;
  }

  private async load(subject: UrlSubject): Promise<CachedUrl> {
    const spec = await this.api.spec(subject.id, { external: true }, { deadline: Date.now() + this.fetchDeadlineMs, studyId: subject.studyId });
    const url = spec.parts.length === 1 ? spec.parts[0]!.url : null;
    if (!url || !/^https?:\/\//i.test(url)) throw new ProtocolError(`Score gave no usable external URL for object ${subject.id}`);
    const now = Date.now();
    const expiresAt = urlExpiresAt(url, now);
    const refreshAt = now + Math.max(MIN_REFRESH_INTERVAL_MS, 0.8 * (expiresAt - now));
    log.debug({ object: subject.id, expiresInMs: expiresAt - now }, 'fetched object URL');
    return { url, md5: spec.objectMd5, expiresAt: Math.max(expiresAt, now + MIN_REFRESH_INTERVAL_MS), refreshAt };
  }
}

/** Waits for a shared fetch within one caller's own deadline and signal. */
function waitFor<T>(shared: Promise<T>, opts: CallOptions, id: string): Promise<T> {
  if (!opts.signal && opts.deadline === undefined) return shared;
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => finish(() => reject(opts.signal!.reason));
    const timer =
      opts.deadline === undefined
        ? undefined
        : setTimeout(() => finish(() => reject(new Unavailable(`no URL for object ${id} before the read deadline`))), Math.max(0, opts.deadline - Date.now()));
    const finish = (settle: () => void): void => {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      settle();
    };
    if (opts.signal?.aborted) return onAbort();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    shared.then(
      (v) => finish(() => resolve(v)),
      (err: unknown) => finish(() => reject(err)),
    );
  });
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
