// Lays out a BGZF slice (whole blocks copied from the original, kept parts of edge blocks re-encoded)
// and remembers where each kept stretch of the original went, so original virtual offsets (from the
// original's index) can be mapped to virtual offsets in the slice.
import { BGZF_EOF, BGZF_MAX_PAYLOAD, encodeBgzf, voffset } from './bgzf.js';
import { SegmentList } from './slice-plan.js';

/** A kept stretch [from, to) of the original's virtual offsets, found at v + shift in the slice. */
interface Placement {
  from: bigint;
  to: bigint;
  shift: bigint;
}

export class BgzfSliceWriter {
  readonly out = new SegmentList();
  private readonly placements: Placement[] = [];
  /** Kept bytes waiting to be compressed into new blocks, with where they came from. */
  private pending: { data: Buffer; coff: number; uoff: number; at: number }[] = [];
  private pendingLength = 0;
  private dataEnd = 0n;

  /** Bytes that belong to no original record (the header, already BGZF), copied or new. */
  header(part: { copyLength: number } | { blocks: Buffer[] }): void {
    if ('copyLength' in part) this.out.range(0, part.copyLength);
    else for (const b of part.blocks) this.out.bytes(b);
  }

  /** Whole original blocks [coff, coff+length), byte-identical. */
  async copyBlocks(coff: number, length: number): Promise<void> {
    if (length <= 0) return;
    await this.flush();
    const at = this.out.size;
    this.out.range(coff, length);
    this.placements.push({ from: voffset(coff, 0), to: voffset(coff + length, 0), shift: BigInt(at - coff) << 16n });
  }

  /** Keeps data (the uncompressed bytes [uoff, uoff+data.length) of the original block at coff). */
  keep(coff: number, uoff: number, data: Buffer): void {
    if (data.length === 0) return;
    this.pending.push({ data, coff, uoff, at: this.pendingLength });
    this.pendingLength += data.length;
  }

  private async flush(): Promise<void> {
    if (this.pendingLength === 0) return;
    const pending = this.pending;
    const blocks = await encodeBgzf(Buffer.concat(pending.map((p) => p.data)));
    this.pending = [];
    this.pendingLength = 0;
    const blockAt: number[] = [];
    for (const b of blocks) {
      blockAt.push(this.out.size);
      this.out.bytes(b);
    }
    // Each kept stretch lands in one or two new blocks (they hold BGZF_MAX_PAYLOAD bytes each).
    for (const p of pending) {
      for (let x = p.at; x < p.at + p.data.length; ) {
        const k = Math.floor(x / BGZF_MAX_PAYLOAD);
        const stop = Math.min(p.at + p.data.length, (k + 1) * BGZF_MAX_PAYLOAD);
        const from = voffset(p.coff, p.uoff + x - p.at);
        this.placements.push({
          from,
          to: voffset(p.coff, p.uoff + stop - p.at),
          shift: voffset(blockAt[k]!, x - k * BGZF_MAX_PAYLOAD) - from,
        });
        x = stop;
      }
    }
  }

  /** Writes what is pending and the EOF block; the layout is complete. */
  async finish(): Promise<SegmentList> {
    await this.flush();
    this.dataEnd = voffset(this.out.size, 0);
    this.out.bytes(BGZF_EOF);
    return this.out;
  }

  /**
   * Where original virtual offset v is in the slice: exact if kept, else where the next kept byte is
   * (the end of data if none). Monotone, so an original chunk maps to the slice chunk holding exactly
   * its kept records.
   */
  map(v: bigint): bigint {
    const ps = this.placements;
    let lo = 0;
    let hi = ps.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (ps[mid]!.to > v) hi = mid;
      else lo = mid + 1;
    }
    const p = ps[lo];
    if (!p) return this.dataEnd;
    return (v >= p.from ? v : p.from) + p.shift;
  }
}
