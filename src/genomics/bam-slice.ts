// BAM slices: the header, then the records of the index's chunks for the region, then the EOF block;
// and a .bai/.csi for the slice derived from the original index.
//
// Whole BGZF blocks in the middle of a chunk are copied byte-identical (ranges of the original, read
// through the block cache). At each edge the records are walked from a known record boundary: before
// the first record that starts in the region, those that end before it are dropped; from the first
// that starts past it on, everything is dropped. The cut edge blocks are re-encoded. Planning reads the
// index, the header and those edges (a bounded walk each), never the middle of a chunk.
import { BamIndex, type BamIndexKind, type Chunk, type RefIndex } from './bam-index.js';
import { readBamHeader, type BamHeader } from './bam-header.js';
import { BlockReader, walkRecords } from './bam-record-walk.js';
import { BgzfSliceWriter } from './bgzf-slice-writer.js';
import { coffOf, encodeBgzf, uoffOf } from './bgzf.js';
import { readAll, type RandomAccess } from './random-access.js';
import { resolveRegion, type Contig, type ResolvedRegion } from './region.js';
import type { SlicePlan } from './slice-plan.js';

export interface BamSliceSource {
  bam: RandomAccess;
  index: RandomAccess;
  indexKind: BamIndexKind;
}

export interface BamSliceOptions {
  /**
   * Compressed bytes one edge walk may read (default 2 MiB); past it the rest of the chunk is kept
   * as it is, so the slice is a bigger superset but planning stays bounded on deep data.
   */
  walkBudget?: number;
}

const DEFAULT_WALK_BUDGET = 2 * 1024 * 1024;

export class BamSlicer {
  readonly format = 'bam';
  private readonly walkBudget: number;

  private constructor(
    private readonly bam: RandomAccess,
    private readonly header: BamHeader,
    private readonly index: BamIndex,
    opts: BamSliceOptions,
  ) {
    this.walkBudget = opts.walkBudget ?? DEFAULT_WALK_BUDGET;
  }

  static async open(src: BamSliceSource, opts: BamSliceOptions = {}): Promise<BamSlicer> {
    const [header, index] = await Promise.all([
      readBamHeader(src.bam),
      readAll(src.index).then((bytes) => BamIndex.parse(bytes, src.indexKind)),
    ]);
    return new BamSlicer(src.bam, header, index, opts);
  }

  get contigs(): readonly Contig[] {
    return this.header.contigs;
  }

  get memoryBytes(): number {
    return this.header.bytes.length + this.index.memoryBytes;
  }

  get indexKind(): BamIndexKind {
    return this.index.kind;
  }

  resolve(region: string): ResolvedRegion {
    return resolveRegion(region, this.header.contigs);
  }

  async plan(region: ResolvedRegion): Promise<SlicePlan> {
    const blocks = new BlockReader(this.bam);
    const kept: Chunk[] = [];
    // Past the contig's end there are no records to cut away.
    const contigLength = this.header.contigs[region.tid]?.length ?? 0;
    const tailFrom = region.end < contigLength ? this.index.boundariesBefore(region.tid, region.end) : undefined;
    for (const run of this.index.chunksFor(region.tid, region.beg, region.end)) {
      // Sorted by position: once a record starts past the region, so does everything after it.
      if (await this.keepInRun(run, region, blocks, tailFrom, kept)) break;
    }

    const w = new BgzfSliceWriter();
    const headerEnd = this.header.end;
    w.header(
      uoffOf(headerEnd) === 0 ? { copyLength: coffOf(headerEnd) } : { blocks: await encodeBgzf(this.header.bytes) },
    );
    for (const k of kept) await this.write(w, k, blocks);
    const out = await w.finish();
    return {
      format: 'bam',
      region,
      size: out.size,
      segments: out.segments,
      index: await this.index.serialize(region.tid, this.mapIndex(region.tid, w)),
      indexKind: this.index.kind,
    };
  }

  /**
   * Appends to `kept` the parts of the run [beg, end) that hold records that may overlap the region.
   * Returns true when it found a record past the region (nothing after it can overlap).
   */
  private async keepInRun(
    run: Chunk,
    region: ResolvedRegion,
    blocks: BlockReader,
    tailFrom: bigint[] | undefined,
    kept: Chunk[],
  ): Promise<boolean> {
    const keep = (beg: bigint, end: bigint): void => {
      if (beg >= end) return;
      const last = kept[kept.length - 1];
      if (last && last.end === beg) last.end = end;
      else kept.push({ beg, end });
    };
    const past = (rec: { refId: number; pos: number }): boolean => rec.refId !== region.tid || rec.pos >= region.end;

    // Head: until a record starts in the region, keep only those that reach into it.
    let from = run.beg;
    if (region.beg > 0) {
      const walk = walkRecords(blocks, run.beg, run.end, this.walkBudget);
      for (;;) {
        const step = await walk.next();
        if (step.done) {
          if (step.value === 'end') from = run.end;
          break;
        }
        const rec = step.value;
        if (past(rec)) return true;
        if (rec.pos >= region.beg) {
          from = rec.beg;
          break;
        }
        if (rec.endPos > region.beg) keep(rec.beg, rec.end);
        from = rec.end;
      }
    }
    if (from >= run.end) return false;

    // Tail: from the last record known to start before the region's end, find the first that starts past it.
    let to = run.end;
    let found = false;
    if (tailFrom) {
      const safe = lastBefore(tailFrom, run.end);
      const start = await this.narrowTail(safe !== undefined && safe > from ? safe : from, run.end, region, blocks);
      for await (const rec of walkRecords(blocks, start, run.end, this.walkBudget)) {
        if (past(rec)) {
          to = rec.beg;
          found = true;
          break;
        }
      }
    }
    keep(from, to);
    return found;
  }

  /**
   * A later start for the tail walk: a binary search over the record boundaries the index names in
   * (lo, limit), reading one record at each probe (positions grow in file order), for the last one
   * that starts before the region's end.
   */
  private async narrowTail(lo: bigint, limit: bigint, region: ResolvedRegion, blocks: BlockReader): Promise<bigint> {
    const all = this.index.boundaries(region.tid);
    let i = firstAbove(all, lo);
    let j = firstAbove(all, limit - 1n); // candidates are all[i..j)
    while (i < j) {
      const mid = (i + j) >> 1;
      const step = await walkRecords(blocks, all[mid]!, limit, this.walkBudget).next();
      if (step.done) break;
      if (step.value.refId === region.tid && step.value.pos < region.end) {
        lo = all[mid]!;
        i = mid + 1;
      } else j = mid;
    }
    return lo;
  }

  /** Writes the original's stretch [beg, end): whole blocks copied, partial ones re-encoded. */
  private async write(w: BgzfSliceWriter, k: Chunk, blocks: BlockReader): Promise<void> {
    const c0 = coffOf(k.beg);
    const u0 = uoffOf(k.beg);
    const c1 = coffOf(k.end);
    const u1 = uoffOf(k.end);
    if (c0 === c1) {
      w.keep(c0, u0, (await blocks.block(c0)).data.subarray(u0, u1));
      return;
    }
    let next = c0;
    if (u0 > 0) {
      const first = await blocks.block(c0);
      w.keep(c0, u0, first.data.subarray(u0));
      next = c0 + first.size;
    }
    await w.copyBlocks(next, c1 - next);
    if (u1 > 0) w.keep(c1, 0, (await blocks.block(c1)).data.subarray(0, u1));
  }

  /** The original index of tid with every offset moved to where that record is in the slice. */
  private mapIndex(tid: number, w: BgzfSliceWriter): Omit<RefIndex, 'unmapped'> {
    if (tid >= this.index.nRef) return { bins: new Map(), linear: [] };
    const ref = this.index.ref(tid);
    const bins: RefIndex['bins'] = new Map();
    for (const b of ref.bins.values()) {
      const chunks: Chunk[] = [];
      for (const c of b.chunks) {
        const beg = w.map(c.beg);
        const end = w.map(c.end);
        if (beg < end) chunks.push({ beg, end });
      }
      if (chunks.length) bins.set(b.bin, { bin: b.bin, loff: b.loff === 0n ? 0n : w.map(b.loff), chunks });
    }
    return { bins, linear: ref.linear.map((v) => (v === 0n ? 0n : w.map(v))) };
  }
}

/** Index of the first of the sorted offsets above `v`. */
function firstAbove(sorted: bigint[], v: bigint): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! <= v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The greatest of the sorted offsets that is below `limit`. */
function lastBefore(sorted: bigint[], limit: bigint): bigint | undefined {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! < limit) lo = mid + 1;
    else hi = mid;
  }
  return lo > 0 ? sorted[lo - 1] : undefined;
}
