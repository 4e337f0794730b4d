// Small ranges for random reads of large objects. A read that lands in blocks the cache does not
// have, and does not continue an earlier read, fetches the 64 KiB-aligned range from its start to
// REACH past it rather than whole 1 MiB blocks: a region query of a BAM/CRAM (a BGZF block or three,
// the kernel's first readahead requests after them) then costs a fraction of a block, in one round
// trip. The range is kept in memory for the reads that follow. A read that goes past the end of such
// a range gets the next range of a run; a run that would outgrow a block is sequential reading after
// all, and goes to the blocks (whole, on disk, verified, prefetched).
// A read is answered as soon as its own bytes of a range have arrived, not when the whole range has:
// samtools decodes the region's first blocks while the rest come. Ranges live in memory within their own
// byte budget, least recently used out first; the block cache also keeps each on disk (range-units.ts)
// and adopts it back from there after a remount.
import { LRUCache } from 'lru-cache';

const KiB = 1024;
/** Ranges start and end on this grid, so neighbouring reads share them. */
export const ALIGN = 64 * KiB;
/**
 * How far past a read at the object's start (a header) its range reaches: what the kernel asks next
 * after a first 4 KiB read (64 then 128 KiB of readahead at the mount's read_ahead_kb of 128).
 */
export const HEADER_REACH = (4 + 64 + 128) * KiB;
/**
 * How far past any other random read its range reaches: a region query reads on from the index's
 * offset (a 16 kb window's first record) through the region, often a few hundred KB, and the kernel's
 * readahead asks up to 128 KiB past the reader; one range that holds it all costs one round trip. At
 * 448 KiB a third of the ranges of 50 random BAM regions needed a second round trip; at 576 almost none
 * did, for 13 % more bytes (at 704 the ranges of some regions are as big as their blocks, which they take).
 */
export const REACH = 576 * KiB;
/** A read this close past a range continues its run (the kernel's readahead windows are 128 KiB). */
const RUN_GAP = 128 * KiB;

export interface SmallRange {
  start: number;
  end: number;
  /** Where the run of ranges this one continues began (its own start if it continues none). */
  runStart: number;
  /** The bytes [start, end), once fetched; rejects when the fetch failed (the range is then dropped). */
  bytes: Promise<Buffer>;
  /** The same bytes once they arrived, for reads served at once. */
  value: Buffer | undefined;
  /** Set once the fetch succeeded or failed. */
  settled: boolean;
  /** Its bytes come (or came) from the disk tier, not the network. */
  fromDisk: boolean;
  /** While the fetch runs: the buffer the range arrives in and how many of its leading bytes are in. */
  partial: { into: Buffer; received: number } | undefined;
  /** Reads waiting for bytes up to an offset of the object. */
  waiting: Array<{ upTo: number; wake: () => void }>;
}

/** The fetch of a range's bytes, told of them as they arrive. */
export type RangeFetch = (onProgress: (into: Buffer, received: number) => void) => Promise<Buffer>;

/** A range to fetch. */
export interface RangePlan {
  start: number;
  end: number;
  runStart: number;
}

export class SmallRanges {
  private readonly lru: LRUCache<string, SmallRange> | undefined;
  /** The ranges of each object (a handful: header, EOF marker, a few regions), for lookups by offset. */
  private readonly byObject = new Map<string, Set<SmallRange>>();

  /**
   * @param maxBytes memory the ranges may hold; under a few blocks' worth (0: no memory tier) small
   * ranges are off and every read takes blocks.
   */
  constructor(
    maxBytes: number,
    private readonly blockSize: number,
  ) {
    this.lru =
      maxBytes >= 4 * blockSize
        ? new LRUCache<string, SmallRange>({
            maxSize: maxBytes,
            sizeCalculation: (r) => r.end - r.start,
            dispose: (r, key) => this.forget(key.slice(0, key.indexOf(':')), r),
          })
        : undefined;
  }

  /** Whether reads take small ranges at all (there is memory for them). */
  get enabled(): boolean {
    return this.lru !== undefined;
  }

  /** Bytes held (or on their way). */
  get bytes(): number {
    return this.lru?.calculatedSize ?? 0;
  }

  /** Ranges of okey that together hold all of [offset, end) (one, or a run's neighbours), fetched or on their way. */
  covering(okey: string, offset: number, end: number): SmallRange[] | undefined {
    if (!this.byObject.has(okey)) return undefined;
    const out: SmallRange[] = [];
    for (let at = offset; at < end; ) {
      const r = this.find(okey, (x) => x.start <= at && at < x.end);
      if (!r) return undefined;
      out.push(r);
      at = r.end;
    }
    for (const r of out) this.lru?.get(keyOf(okey, r)); // a use, for the LRU
    return out;
  }

  /**
   * The range to fetch for a read of [offset, end) of an object of `size` bytes, or undefined when the
   * read should take whole blocks: small ranges are off, the read is a big one (over 64 KiB) that
   * continues nothing, the range would not be a quarter smaller than the blocks, or the read continues a run
   * of ranges that would outgrow a block or that began at the object's start (sequential reading).
   * A read that continues a range (the kernel's readahead, a region longer than REACH) gets the next
   * range of the run: from where that one ends to the read's end, on the grid. `header`: a big read at
   * the object's start is its header (the making of a slice), not a sequential reader's first read.
   */
  plan(okey: string, size: number, offset: number, end: number, header = false): RangePlan | undefined {
    if (!this.lru) return undefined;
    const prev = this.continued(okey, offset, end);
    // A big first read is a sequential reader's (cat, dd: 128 KiB): blocks at once.
    if (!prev && end - offset > ALIGN && !(header && offset === 0)) return undefined;
    // A run's next range is what the read asks for (the kernel's readahead grows by itself).
    const reach = prev ? 0 : offset < this.blockSize ? HEADER_REACH : REACH;
    const to = Math.min(size, Math.ceil(Math.max(end, offset + reach) / ALIGN) * ALIGN);
    let start = Math.floor(offset / ALIGN) * ALIGN;
    let runStart = start;
    if (prev) {
      start = Math.max(start, prev.end);
      runStart = prev.runStart;
      // A run from the object's start is a reader going past the header (flagstat, cat): blocks.
      if (runStart === 0 || to - runStart > this.blockSize) return undefined;
    } else {
      const blocksFrom = Math.floor(offset / this.blockSize) * this.blockSize;
      const blocksTo = Math.min(size, Math.ceil(end / this.blockSize) * this.blockSize);
      if (4 * (to - start) > 3 * (blocksTo - blocksFrom)) return undefined;
    }
    // Ranges never overlap: one ahead that the read reaches means blocks; one ahead of the reach cuts it.
    const next = this.find(okey, (r) => r.start < to && r.end > start);
    if (next && next.start < end) return undefined;
    return { start, end: next ? next.start : to, runStart };
  }

  /** Where the run of ranges that a read of [offset, end) continues began, if it continues one. */
  runBefore(okey: string, offset: number, end: number): number | undefined {
    return this.continued(okey, offset, end)?.runStart;
  }

  /** The range a read continues: of the ranges just before it, the one ending last. */
  private continued(okey: string, offset: number, end: number): SmallRange | undefined {
    let prev: SmallRange | undefined;
    for (const r of this.byObject.get(okey) ?? []) {
      if (r.start <= offset && offset <= r.end + RUN_GAP && r.end < end && (!prev || r.end > prev.end)) prev = r;
    }
    return prev;
  }

  /** Keeps the range whose bytes `fetch` brings; a failed fetch drops it again. */
  add(okey: string, plan: RangePlan, fetch: RangeFetch, fromDisk = false): SmallRange {
    const range: SmallRange = {
      ...plan,
      fromDisk,
      // progress comes only once the GET is under way, after the range is made
      bytes: fetch((into, received) => {
        range.partial = { into, received };
        const at = range.start + received;
        range.waiting = range.waiting.filter((w) => (w.upTo <= at ? (w.wake(), false) : true));
      }),
      value: undefined,
      settled: false,
      partial: undefined,
      waiting: [],
    };
    const key = this.keep(okey, range);
    const settled = (): void => {
      range.settled = true;
      range.partial = undefined;
      for (const w of range.waiting.splice(0)) w.wake();
    };
    range.bytes.then(
      (bytes) => {
        range.value = bytes;
        settled();
      },
      () => {
        settled();
        this.lru?.delete(key);
      },
    );
    return range;
  }

  /**
   * The range [start, end) read back from disk by `read`; a range kept from there already stays, so
   * reads that come together (the kernel's readahead) share one disk read.
   */
  adopt(okey: string, start: number, end: number, read: () => Promise<Buffer>): SmallRange {
    return this.find(okey, (r) => r.start === start) ?? this.add(okey, { start, end, runStart: start }, read, true);
  }

  /** The buffer that holds the range's bytes up to object offset `upTo` now, if one does (its start is the range's). */
  static arrived(range: SmallRange, upTo: number): Buffer | undefined {
    if (range.value) return range.value;
    const p = range.partial;
    return p && range.start + p.received >= upTo ? p.into : undefined;
  }

  /** The buffer holding the range's bytes up to object offset `upTo`, once they arrived; rejects if the fetch failed first. */
  static async until(range: SmallRange, upTo: number): Promise<Buffer> {
    for (;;) {
      const now = SmallRanges.arrived(range, upTo);
      if (now) return now;
      if (range.settled) return range.bytes; // it failed: its error
      await new Promise<void>((wake) => range.waiting.push({ upTo, wake }));
    }
  }

  /** Drops every range (a cache clear or close). */
  clear(): void {
    this.lru?.clear();
  }

  /** Files the range under okey and in the LRU; returns its LRU key. */
  private keep(okey: string, range: SmallRange): string {
    const key = keyOf(okey, range);
    let set = this.byObject.get(okey);
    if (!set) this.byObject.set(okey, (set = new Set()));
    set.add(range);
    this.lru!.set(key, range);
    return key;
  }

  private find(okey: string, match: (r: SmallRange) => boolean): SmallRange | undefined {
    for (const r of this.byObject.get(okey) ?? []) if (match(r)) return r;
    return undefined;
  }

  private forget(okey: string, range: SmallRange): void {
    const set = this.byObject.get(okey);
    set?.delete(range);
    if (set?.size === 0) this.byObject.delete(okey);
  }
}

function keyOf(okey: string, r: SmallRange): string {
  return `${okey}:${r.start}:${r.end}`;
}
