// The MD5 worker: hashes ranges of block files off the main thread (MD5 runs at ~700 MB/s per stream,
// which would otherwise take the event loop from FUSE reads). It checks each block against the size
// and CRC the index holds, and hashes a job's ranges side by side (md5-lanes.ts).
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { parentPort } from 'node:worker_threads';
import { DIRECT_IO_ALIGN, alignedBuffer } from './aligned-slabs.js';
import { readBlockFile } from './block-files.js';
import { blockChecksum } from './checksum.js';
import type { HashBlock, HashJob, HashResult, RangeOutcome } from './md5-hasher.js';
import { md5Lanes } from './md5-lanes.js';

// Checking is background work: give this thread the lowest CPU priority (Linux takes a thread id
// here), so reads and everything else on a small machine go first. Best effort.
try {
  const tid = Number(/task\/(\d+)$/.exec(readlinkSync('/proc/thread-self'))?.[1]);
  if (tid > 0) setPriority(tid, 19);
} catch {
  // not Linux, or not allowed: run at normal priority
}
/** Scratch for the ranges' reads, shared by a job's lanes: bounds the worker's memory whatever the lanes. */
const SCRATCH_BYTES = 4 * 1024 * 1024;
let scratch: Buffer | undefined;

/**
 * Reads a range's blocks piece by piece into its lane's share of the scratch, checking each block,
 * once read whole, against the size and CRC the index holds.
 */
class RangeReader {
  private block = 0;
  private pos = 0;
  private crc = 0;
  failed: RangeOutcome | undefined;

  constructor(
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
    const bytes = len > 0 ? await readBlockFile(b.path, b.at + start, len, this.buf.subarray(0, len)) : this.buf.subarray(0, 0);
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

/** Reads the ranges side by side, a piece of each at a time, and hands each round's pieces to `hash`. */
async function readRanges(ranges: HashBlock[][], hash: (pieces: Array<Buffer | null>) => void): Promise<RangeReader[]> {
  scratch ??= alignedBuffer(SCRATCH_BYTES) ?? Buffer.allocUnsafe(SCRATCH_BYTES);
  const share = Math.floor(SCRATCH_BYTES / ranges.length / DIRECT_IO_ALIGN) * DIRECT_IO_ALIGN;
  const readers = ranges.map((blocks, l) => new RangeReader(blocks, scratch!.subarray(l * share, (l + 1) * share)));
  while (readers.some((r) => !r.done)) hash(await Promise.all(readers.map((r) => r.next())));
  return readers;
}

async function run(job: HashJob): Promise<HashResult> {
  const lanes = md5Lanes(job.ranges.length);
  const readers = await readRanges(job.ranges, (pieces) => lanes.update(pieces));
  return { id: job.id, kind: 'done', ranges: readers.map((r, l) => r.failed ?? { kind: 'md5', md5: lanes.digest(l) }) };
}

// One job at a time: they share the scratch buffer.
let queue = Promise.resolve();
parentPort?.on('message', (msg: HashJob) => {
  queue = queue.then(async () => {
    const result = await run(msg).catch(
      (err: unknown): HashResult => ({ id: msg.id, kind: 'error', message: err instanceof Error ? err.message : String(err) }),
    );
    parentPort!.postMessage(result);
  });
});
