// Hashes ranges of an object's blocks (Score parts, for the MD5 checks) side by side in MD5 lanes
// (md5-lanes.ts), on the event loop. A round reads a piece of every range (from the block files kept
// open, through libuv's pool) and
// hashes the pieces in one call: 16 pieces of 256 KiB take about a millisecond (0.23 CPU s per GiB),
// so a FUSE read that comes meanwhile waits no longer than that, and between rounds the hashing waits
// while reads go on. Each block is checked against the size and CRC the index holds as it is read.
// (At one stream at a time, 1.4 s per GiB, MD5 ran in a worker thread; lanes make it cheap enough for
// the event loop, and save the worker's ~30 MiB.)
import { DIRECT_IO_ALIGN, alignedBuffer } from './aligned-slabs.js';
import type { BlockFiles } from './block-files.js';
import { blockChecksum } from './checksum.js';
import { md5Lanes } from './md5-lanes.js';

export interface HashBlock {
  n: number;
  /** Size and CRC-32 the index records for the block. */
  size: number;
  crc: number;
  /** The part of the block to hash. */
  from: number;
  to: number;
}

/** What one range came to: its MD5, or the block that failed it (missing, or not its size and CRC). */
export type RangeOutcome = { kind: 'md5'; md5: string } | { kind: 'missing' | 'corrupt'; block: number };

/** The hasher was closed (the cache is closing) while a hash was under way or asked for. */
export class HasherClosed extends Error {
  constructor() {
    super('part hasher closed');
    this.name = 'HasherClosed';
  }
}

/** Bytes read per round at most, shared by the ranges (16 × 256 KiB): the hasher's memory whatever the ranges. */
const ROUND_BYTES = 4 * 1024 * 1024;

export class PartHasher {
  private scratch: Buffer | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  /** `yieldToReads(since)`: resolves once reads have paused (or have deferred the work since `since` long enough). */
  constructor(
    private readonly files: BlockFiles,
    private readonly yieldToReads: (since: number) => Promise<void>,
  ) {}

  /** What each range of object okey came to, in order. Calls run one after another (they share the scratch). */
  hash(okey: string, ranges: HashBlock[][]): Promise<RangeOutcome[]> {
    const done = this.queue.then(() => this.run(okey, ranges));
    this.queue = done.catch(() => undefined);
    return done;
  }

  /** Ends a hash under way (it rejects with HasherClosed) and refuses new ones. */
  close(): void {
    this.closed = true;
    this.scratch = undefined;
  }

  private async run(okey: string, ranges: HashBlock[][]): Promise<RangeOutcome[]> {
    const since = Date.now();
    if (this.closed) throw new HasherClosed();
    const scratch = (this.scratch ??= alignedBuffer(ROUND_BYTES) ?? Buffer.allocUnsafe(ROUND_BYTES));
    const lanes = md5Lanes(ranges.length);
    // A round hashes what its lanes take in about a millisecond: a read waits no longer behind it.
    const share = Math.floor(Math.min(ROUND_BYTES, lanes.bytesPerUpdate) / ranges.length / DIRECT_IO_ALIGN) * DIRECT_IO_ALIGN;
    const readers = ranges.map((blocks, l) => new RangeReader(this.files, okey, blocks, scratch.subarray(l * share, (l + 1) * share)));
    while (readers.some((r) => !r.done)) {
      await this.yieldToReads(since);
      if (this.closed) throw new HasherClosed();
      lanes.update(await Promise.all(readers.map((r) => r.next())));
    }
    return readers.map((r, l) => r.failed ?? { kind: 'md5', md5: lanes.digest(l) });
  }
}

/** Reads a range's blocks piece by piece into its share of the scratch, checking each block once read whole. */
class RangeReader {
  private block = 0;
  private pos = 0;
  private crc = 0;
  failed: Exclude<RangeOutcome, { kind: 'md5' }> | undefined;

  constructor(
    private readonly files: BlockFiles,
    private readonly okey: string,
    private readonly blocks: HashBlock[],
    private readonly buf: Buffer,
  ) {}

  get done(): boolean {
    return this.failed !== undefined || this.block >= this.blocks.length;
  }

  /** The range's bytes in the next piece (valid until the next call; maybe empty), or null once done. */
  async next(): Promise<Buffer | null> {
    if (this.done) return null;
    const b = this.blocks[this.block]!;
    const start = this.pos;
    const len = Math.min(this.buf.length, b.size - start);
    const bytes = len > 0 ? await this.files.readInto(this.okey, b.n, start, len, this.buf.subarray(0, len)) : this.buf.subarray(0, 0);
    if (!bytes || bytes.length < len) {
      this.failed = { kind: bytes ? 'corrupt' : 'missing', block: b.n };
      return null;
    }
    this.crc = blockChecksum(bytes, this.crc);
    this.pos += len;
    if (this.pos >= b.size) {
      if (this.crc !== b.crc) {
        this.failed = { kind: 'corrupt', block: b.n };
        return null;
      }
      this.block++;
      this.pos = 0;
      this.crc = 0;
    }
    return bytes.subarray(Math.max(0, b.from - start), Math.max(0, Math.min(len, b.to - start)));
  }
}
