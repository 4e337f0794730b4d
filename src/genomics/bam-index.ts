// BAI and CSI: parsed lazily per reference (a whole-genome .bai is megabytes and a slice needs one
// reference), queried as htslib's hts_itr_query does, and written back out for a slice.
// Not @gmod/bam's BAI/CSI: its CSI parser drops each bin's loffset (htslib's min_off, and a field the slice's
// CSI must carry), and blocksForRange merges chunks < 65000 bytes apart and mutates its cached chunks doing so.
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { ProtocolError } from '../errors.js';
import { BGZF_EOF, encodeBgzf } from './bgzf.js';

const gunzip = promisify(zlib.gunzip);

export type BamIndexKind = 'bai' | 'csi';

/** A stretch of the file [beg, end) in virtual offsets. */
export interface Chunk {
  beg: bigint;
  end: bigint;
}

export interface Bin {
  bin: number;
  /** Lowest offset of a record overlapping the bin: stored in CSI, from the linear index for BAI. */
  loff: bigint;
  chunks: Chunk[];
}

export interface RefIndex {
  /** The binning index without the pseudo-bin of statistics. */
  bins: Map<number, Bin>;
  /** BAI's linear index (16 kb windows); empty for CSI. */
  linear: bigint[];
  /** Unmapped-read count from the pseudo-bin, or undefined when it is absent. */
  unmapped: bigint | undefined;
}

const binFirst = (level: number): number => (Math.pow(8, level) - 1) / 7;
const binParent = (bin: number): number => Math.floor((bin - 1) / 8);
const binLevel = (bin: number): number => {
  let l = 0;
  for (let b = bin; b; b = binParent(b)) l++;
  return l;
};

export class BamIndex {
  /** Bins of one reference; the pseudo-bin holding statistics is numbered one past the last. */
  readonly nBins: number;
  private readonly parsed = new Map<number, RefIndex>();
  private readonly boundaryCache = new Map<number, bigint[]>();

  private constructor(
    readonly kind: BamIndexKind,
    readonly minShift: number,
    readonly depth: number,
    /** CSI's auxiliary data (empty for BAM), kept verbatim. */
    readonly aux: Buffer,
    private readonly buf: Buffer,
    /** Where each reference's section starts in buf. */
    private readonly refStarts: number[],
  ) {
    this.nBins = binFirst(depth + 1);
  }

  /** The raw index plus a rough cost per parsed chunk. */
  get memoryBytes(): number {
    let chunks = 0;
    for (const ref of this.parsed.values()) for (const b of ref.bins.values()) chunks += b.chunks.length;
    return this.buf.length + chunks * 80;
  }

  get nRef(): number {
    return this.refStarts.length;
  }

  static async parse(bytes: Buffer, kind: BamIndexKind): Promise<BamIndex> {
    const buf = bytes[0] === 0x1f && bytes[1] === 0x8b ? await gunzip(bytes) : bytes;
    const magic = buf.toString('latin1', 0, 4);
    let at: number;
    let minShift = 14;
    let depth = 5;
    let aux: Buffer = Buffer.alloc(0);
    if (magic === 'BAI\x01' && kind === 'bai') at = 4;
    else if (magic === 'CSI\x01' && kind === 'csi') {
      minShift = buf.readInt32LE(4);
      depth = buf.readInt32LE(8);
      const lAux = buf.readInt32LE(12);
      aux = buf.subarray(16, 16 + lAux);
      at = 16 + lAux;
    } else throw new ProtocolError(`not a ${kind.toUpperCase()} index`);
    const nRef = buf.readInt32LE(at);
    at += 4;
    const refStarts: number[] = [];
    const binHeader = kind === 'bai' ? 8 : 16; // bin, [loffset,] n_chunk
    try {
      for (let r = 0; r < nRef; r++) {
        refStarts.push(at);
        const nBin = buf.readInt32LE(at);
        at += 4;
        for (let b = 0; b < nBin; b++) at += binHeader + 16 * buf.readInt32LE(at + binHeader - 4);
        if (kind === 'bai') at += 4 + 8 * buf.readInt32LE(at);
      }
    } catch (err) {
      throw new ProtocolError(`truncated ${kind.toUpperCase()} index`, { cause: err });
    }
    if (at > buf.length) throw new ProtocolError(`truncated ${kind.toUpperCase()} index`);
    return new BamIndex(kind, minShift, depth, aux, buf, refStarts);
  }

  ref(tid: number): RefIndex {
    let ref = this.parsed.get(tid);
    if (!ref) {
      ref = this.parseRef(tid);
      this.parsed.set(tid, ref);
    }
    return ref;
  }

  private parseRef(tid: number): RefIndex {
    const buf = this.buf;
    let at = this.refStarts[tid]!;
    const bins = new Map<number, Bin>();
    let unmapped: bigint | undefined;
    const nBin = buf.readInt32LE(at);
    at += 4;
    for (let b = 0; b < nBin; b++) {
      const bin = buf.readUInt32LE(at);
      let loff = 0n;
      if (this.kind === 'csi') {
        loff = buf.readBigUInt64LE(at + 4);
        at += 8;
      }
      const nChunk = buf.readInt32LE(at + 4);
      at += 8;
      const chunks: Chunk[] = [];
      for (let c = 0; c < nChunk; c++, at += 16) {
        chunks.push({ beg: buf.readBigUInt64LE(at), end: buf.readBigUInt64LE(at + 8) });
      }
      if (bin === this.nBins + 1) unmapped = chunks[1]?.end;
      else bins.set(bin, { bin, loff, chunks });
    }
    const linear: bigint[] = [];
    if (this.kind === 'bai') {
      const nIntv = buf.readInt32LE(at);
      at += 4;
      for (let i = 0; i < nIntv; i++, at += 8) linear.push(buf.readBigUInt64LE(at));
      // htslib's update_loff: a bin's loff is the linear index at its first window.
      for (const b of bins.values()) {
        const level = binLevel(b.bin);
        const bot = (b.bin - binFirst(level)) * Math.pow(8, this.depth - level);
        b.loff = b.bin < this.nBins && bot < linear.length ? linear[bot]! : 0n;
      }
    }
    return { bins, linear, unmapped };
  }

  /**
   * The chunks htslib's iterator reads for [beg, end) on reference tid (hts_itr_query of htslib 1.17+,
   * which is at least as inclusive as earlier versions): sorted, merged, non-overlapping.
   */
  chunksFor(tid: number, beg: number, end: number): Chunk[] {
    if (tid >= this.nRef || beg >= end) return [];
    const { bins, linear, unmapped } = this.ref(tid);
    if (bins.size === 0) return [];
    const shift = Math.pow(2, this.minShift);
    const relOff = Math.floor(beg / shift);

    // min_off: the loff of the lowest-level bin at or left of beg's window that exists.
    let bin = binFirst(this.depth) + relOff;
    let found: Bin | undefined;
    do {
      found = bins.get(bin);
      if (found) break;
      const first = binParent(bin) * 8 + 1;
      bin = bin > first ? bin - 1 : binParent(bin);
    } while (bin);
    if (bin === 0) found = bins.get(0);
    let minOff = found ? found.loff : 0n;
    const hasUnmapped = unmapped === undefined || unmapped > 0n;
    if (relOff < linear.length) {
      if (minOff < linear[relOff]!) minOff = linear[relOff]!;
      if (hasUnmapped) {
        // Unmapped reads are not in the linear index: search backwards for a smaller offset.
        let t = relOff - 1;
        for (; t >= 0; t--) {
          if (linear[t]! < minOff) {
            minOff = linear[t]!;
            break;
          }
        }
        if (found && (minOff < found.loff || t < 0)) minOff = found.loff;
      }
    } else if (hasUnmapped && found) minOff = found.loff;

    // max_off: the first chunk of an existing bin right of end; every record from there is past end.
    let maxOff = -1n;
    bin = binFirst(this.depth) + Math.floor((end - 1) / shift) + 1;
    if (bin >= this.nBins) bin = 0;
    for (;;) {
      while (bin % 8 === 1) bin = binParent(bin);
      if (bin === 0) break;
      const b = bins.get(bin);
      if (b && b.chunks.length > 0) {
        maxOff = b.chunks[0]!.beg;
        break;
      }
      bin++;
    }

    const off: Chunk[] = [];
    for (const b of this.reg2bins(beg, end)) {
      for (const c of bins.get(b)?.chunks ?? []) {
        if (c.end > minOff && (maxOff < 0n || c.beg < maxOff)) {
          off.push({
            beg: c.beg < minOff ? minOff : c.beg,
            end: maxOff >= 0n && c.end > maxOff ? maxOff : c.end,
          });
        }
      }
    }
    off.sort((a, b) => (a.beg < b.beg ? -1 : a.beg > b.beg ? 1 : 0));
    return mergeChunks(off);
  }

  /**
   * Offsets of records known to start before `pos` on tid, sorted: the chunk starts of every bin that
   * ends at or before pos (a record's bin holds its whole extent). A forward walk for the first record
   * at or past pos can start at any of them.
   */
  boundariesBefore(tid: number, pos: number): bigint[] {
    if (tid >= this.nRef) return [];
    const found: bigint[] = [];
    for (const b of this.ref(tid).bins.values()) {
      const level = binLevel(b.bin);
      const size = Math.pow(2, this.minShift + 3 * (this.depth - level));
      if ((b.bin - binFirst(level) + 1) * size > pos) continue;
      for (const c of b.chunks) found.push(c.beg);
    }
    return found.sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
  }

  /** Every offset the index names on tid (chunk starts and ends, linear entries): all record boundaries, sorted. */
  boundaries(tid: number): bigint[] {
    if (tid >= this.nRef) return [];
    let found = this.boundaryCache.get(tid);
    if (!found) {
      const ref = this.ref(tid);
      const all = new Set<bigint>(ref.linear);
      for (const b of ref.bins.values()) for (const c of b.chunks) all.add(c.beg).add(c.end);
      found = [...all].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
      this.boundaryCache.set(tid, found);
    }
    return found;
  }

  private *reg2bins(beg: number, end: number): Generator<number> {
    let s = this.minShift + this.depth * 3;
    const limit = Math.pow(2, s);
    const last = (end >= limit ? limit : end) - 1;
    for (let l = 0, t = 0; l <= this.depth; s -= 3, t += Math.pow(8, l), l++) {
      const unit = Math.pow(2, s);
      for (let b = t + Math.floor(beg / unit); b <= t + Math.floor(last / unit); b++) yield b;
    }
  }

  /** An index of the same kind for a file holding the given bins and linear index on reference tid only. */
  async serialize(tid: number, ref: Omit<RefIndex, 'unmapped'>): Promise<Buffer> {
    const parts: Buffer[] = [];
    const i32 = (n: number): void => {
      const b = Buffer.alloc(4);
      b.writeInt32LE(n);
      parts.push(b);
    };
    const u64 = (n: bigint): void => {
      const b = Buffer.alloc(8);
      b.writeBigUInt64LE(n);
      parts.push(b);
    };
    if (this.kind === 'bai') parts.push(Buffer.from('BAI\x01', 'latin1'));
    else {
      parts.push(Buffer.from('CSI\x01', 'latin1'));
      i32(this.minShift);
      i32(this.depth);
      i32(this.aux.length);
      parts.push(this.aux);
    }
    i32(this.nRef);
    for (let r = 0; r < this.nRef; r++) {
      const bins = r === tid ? [...ref.bins.values()].sort((a, b) => a.bin - b.bin) : [];
      i32(bins.length);
      for (const b of bins) {
        i32(b.bin);
        if (this.kind === 'csi') u64(b.loff);
        i32(b.chunks.length);
        for (const c of b.chunks) {
          u64(c.beg);
          u64(c.end);
        }
      }
      if (this.kind === 'bai') {
        const linear = r === tid ? ref.linear : [];
        i32(linear.length);
        for (const v of linear) u64(v);
      }
    }
    if (this.kind === 'bai') {
      u64(0n); // n_no_coor: a slice holds no unplaced reads
      return Buffer.concat(parts);
    }
    // htslib writes CSI as BGZF
    return Buffer.concat([...(await encodeBgzf(Buffer.concat(parts))), BGZF_EOF]);
  }
}

/** htslib's merge of sorted chunks: drop contained ones, cut overlaps, join chunks that meet in a block. */
function mergeChunks(off: Chunk[]): Chunk[] {
  if (off.length === 0) return off;
  const kept: Chunk[] = [off[0]!];
  for (const c of off.slice(1)) if (kept[kept.length - 1]!.end < c.end) kept.push({ ...c });
  for (let i = 1; i < kept.length; i++) {
    if (kept[i - 1]!.end >= kept[i]!.beg) kept[i - 1]!.end = kept[i]!.beg;
  }
  const merged: Chunk[] = [kept[0]!];
  for (const c of kept.slice(1)) {
    const last = merged[merged.length - 1]!;
    if (last.end >> 16n === c.beg >> 16n) last.end = c.end;
    else merged.push(c);
  }
  return merged;
}
