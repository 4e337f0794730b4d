// Which small ranges of an object are on disk, for reads after a remount: looked up in the index once
// per object (a region query of a BAM reads three or four of them), then kept up to date as ranges are
// stored. An entry may outlive its range (evicted, or dropped by a failed check): the disk read then
// finds nothing, the entry goes, and the read fetches the range again.
import { LRUCache } from 'lru-cache';
import type { CacheIndex } from './cache-index.js';

export interface StoredRange {
  start: number;
  end: number;
}

/** Objects whose lists are kept (a few ranges each). */
const MAX_OBJECTS = 10_000;
const noop = (): void => undefined;

export class StoredRanges {
  private readonly byObject = new LRUCache<string, Promise<StoredRange[]>>({ max: MAX_OBJECTS });

  constructor(private readonly index: CacheIndex) {}

  /** Ranges on disk that together hold all of [offset, end), in order; undefined if they do not. */
  async covering(okey: string, offset: number, end: number): Promise<StoredRange[] | undefined> {
    const list = await this.of(okey);
    const out: StoredRange[] = [];
    for (let at = offset; at < end; ) {
      let best: StoredRange | undefined;
      for (const r of list) if (r.start <= at && at < r.end && (!best || r.end > best.end)) best = r;
      if (!best) return undefined;
      out.push(best);
      at = best.end;
    }
    return out;
  }

  /** A range of okey was stored. */
  added(okey: string, range: StoredRange): void {
    // Not loaded yet: the index names it by the time it is.
    void this.byObject.get(okey)?.then((list) => {
      const i = list.findIndex((r) => r.start === range.start);
      if (i >= 0) list[i] = range; // stored again, maybe longer
      else list.push(range);
    }, noop);
  }

  /** A range of okey is no longer on disk. */
  dropped(okey: string, start: number): void {
    void this.byObject.get(okey)?.then((list) => {
      const i = list.findIndex((r) => r.start === start);
      if (i >= 0) list.splice(i, 1);
    }, noop);
  }

  clear(): void {
    this.byObject.clear();
  }

  private of(okey: string): Promise<StoredRange[]> {
    let list = this.byObject.get(okey);
    if (!list) {
      list = this.index.rangesOf(okey).then((rs) => rs.map((r) => ({ start: r.start, end: r.start + r.size })));
      list.catch(() => this.byObject.delete(okey)); // looked up again next time
      this.byObject.set(okey, list);
    }
    return list;
  }
}
