// Block bytes on disk, under DIR/v2/blocks/<objectKey>/: one sparse file per segment of an object's
// blocks (`s<k>` holds blocks k·S … k·S+S−1, block n at (n mod S) × blockSize), and one file per small
// range (named by its unit number, see range-units.ts). A file per block cost more than its bytes: ext4
// spends CPU on every file it creates (more the more were deleted lately), and each file took an
// open, a close and a rename on the event loop. Segment files stay open between blocks (open-files.ts).
//
// The index names a block only after its bytes are written, and every read is checked against the
// size and CRC-32 the index holds: a crash mid-write leaves bytes that no entry names, and a block
// whose bytes never reached the disk reads back as a checksum failure and is fetched again. A block is
// only ever written over with the same bytes (its object key names one version of one object).
// Callers unlink files only inside the index's exclusive section, and never one with a write under
// way (disk-tier.ts): an index entry can then never name bytes that an unlink took.
import fs from 'node:fs';
import { mkdir, readdir, rm, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { DIRECT_IO_ALIGN, isAligned } from './aligned-slabs.js';
import { PRIVATE_DIR_MODE } from './cache-dir.js';
import { OpenFiles, fdRead, fdWrite } from './open-files.js';
import { isRangeUnit } from './range-units.js';

/**
 * Bytes of one segment file: 16 MiB, so a GiB read makes 64 files, or a 64th of the cache's size if
 * that is less, since eviction takes a segment at a time. A cache keeps the size its blocks were laid
 * out by (CacheIndex.segmentBytes).
 */
export function segmentBytesFor(diskBytes: number): number {
  return Math.max(1, Math.min(16 * 1024 * 1024, Math.floor(diskBytes / 64)));
}
const SEGMENT_NAME = /^s(\d+)$/;
const RANGE_NAME = /^\d+$/;

/**
 * Whole blocks are read and written with O_DIRECT, past the page cache. Mounted files sit in the
 * kernel's page cache already (a second copy of a block there only takes memory from it), and the
 * page cache's path costs the CPU several times what the copy to the device does. Cleared for good on
 * a filesystem that refuses it (EINVAL): every block then goes through the page cache.
 */
let directIo = fs.constants.O_DIRECT !== undefined;

/** Whether I/O of `length` bytes at `at` through a buffer may be direct: all aligned. */
function mayGoDirect(buf: Buffer, length: number, at: number): boolean {
  return directIo && length % DIRECT_IO_ALIGN === 0 && at % DIRECT_IO_ALIGN === 0 && isAligned(buf);
}

/** Runs `io` direct when `direct` says so, and again through the page cache when the filesystem refuses it. */
async function withDirectFallback<T>(direct: boolean, io: (direct: boolean) => Promise<T>): Promise<T> {
  if (!direct) return io(false);
  try {
    return await io(true);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EINVAL') throw err;
    directIo = false;
    return io(false);
  }
}

/**
 * Reads `size` bytes at `at` of an open file into `buf` (at least `size` long); fewer at its end or
 * where it ends early. A full `buf` comes back as itself (its identity matters to the buffer pool).
 */
async function readAt(fd: number, buf: Buffer, size: number, at: number): Promise<Buffer> {
  let got = 0;
  while (got < size) {
    const r = await fdRead(fd, buf, got, size - got, at + got);
    got += r;
    // End of file; a direct read may not go on from an unaligned offset, and need not.
    if (r === 0 || got % DIRECT_IO_ALIGN !== 0) break;
  }
  return got === buf.length ? buf : buf.subarray(0, got);
}

export class BlockFiles {
  /** Blocks per segment file. */
  readonly blocksPerSegment: number;
  private readonly open = new OpenFiles();

  constructor(
    readonly root: string,
    readonly blockSize: number,
    segmentBytes: number,
  ) {
    this.blocksPerSegment = Math.max(1, Math.floor(segmentBytes / blockSize));
  }

  /** The name of the file unit n's bytes live in: its segment's, or a small range's own. */
  nameOf(n: number): string {
    return isRangeUnit(n) ? String(n) : `s${Math.floor(n / this.blocksPerSegment)}`;
  }

  /** The file unit n's bytes live in. */
  pathOf(okey: string, n: number): string {
    return path.join(this.root, okey, this.nameOf(n));
  }

  /** Where unit n's bytes start in its file. */
  offsetOf(n: number): number {
    return isRangeUnit(n) ? 0 : (n % this.blocksPerSegment) * this.blockSize;
  }

  /** The units whose bytes share unit n's file: its segment's blocks, or a small range alone. */
  unitsSharingFile(n: number): number[] {
    if (isRangeUnit(n)) return [n];
    const first = n - (n % this.blocksPerSegment);
    return Array.from({ length: this.blocksPerSegment }, (_, i) => first + i);
  }

  /** The units whose bytes a file of that name holds, or undefined for a stray name. */
  unitsOf(name: string): number[] | undefined {
    if (RANGE_NAME.test(name)) return isRangeUnit(Number(name)) ? [Number(name)] : undefined;
    const segment = SEGMENT_NAME.exec(name);
    return segment ? this.unitsSharingFile(Number(segment[1]) * this.blocksPerSegment) : undefined;
  }

  /** Writes unit n's bytes into its file (made, with its object's directory, if missing). */
  async write(okey: string, n: number, bytes: Buffer): Promise<void> {
    const file = this.pathOf(okey, n);
    const at = this.offsetOf(n);
    for (let attempt = 1; ; attempt++) {
      try {
        await withDirectFallback(mayGoDirect(bytes, bytes.length, at), (direct) =>
          this.open.use(file, { direct, create: true }, async (fd) => {
            for (let done = 0; done < bytes.length; ) done += await fdWrite(fd, bytes, done, bytes.length - done, at + done);
          }),
        );
        return;
      } catch (err) {
        // The object dir is new, or was removed meanwhile (clear, orphan sweep): make it, once.
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || attempt > 1) throw err;
        await mkdir(path.dirname(file), { recursive: true, mode: PRIVATE_DIR_MODE });
      }
    }
  }

  /** Unit n's first `size` bytes (fewer if its file ends early), in a buffer from `allocate`; undefined when its file is missing. */
  read(okey: string, n: number, size: number, allocate: (size: number) => Buffer): Promise<Buffer | undefined> {
    return this.readInto(okey, n, 0, size, allocate(size));
  }

  /**
   * `size` bytes from `from` on in unit n (fewer if its file ends early), read into `buf` (at least
   * `size` long: a full one comes back as itself); undefined when its file is missing.
   */
  async readInto(okey: string, n: number, from: number, size: number, buf: Buffer): Promise<Buffer | undefined> {
    const at = this.offsetOf(n) + from;
    try {
      return await withDirectFallback(mayGoDirect(buf, size, at), (direct) =>
        this.open.use(this.pathOf(okey, n), { direct, create: false }, (fd) => readAt(fd, buf, size, at)),
      );
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  /** Removes the file holding unit n (its whole segment). */
  async removeFileOf(okey: string, n: number): Promise<void> {
    await this.removeEntry(okey, this.nameOf(n));
  }

  async removeObject(okey: string): Promise<void> {
    const dir = path.join(this.root, okey);
    await rm(dir, { recursive: true, force: true });
    await this.open.forgetUnder(dir);
  }

  async objectKeys(): Promise<string[]> {
    return readdir(this.root).catch(() => []);
  }

  /** Names in one object dir: segment and range files, and leftovers (strays, an older scorefs's temp files). */
  async names(okey: string): Promise<string[]> {
    return readdir(path.join(this.root, okey)).catch(() => []);
  }

  /** The modification time of a name in an object dir, or undefined when it is gone. */
  async mtimeOf(okey: string, name: string): Promise<number | undefined> {
    return (await stat(path.join(this.root, okey, name)).catch(() => undefined))?.mtimeMs;
  }

  async removeEntry(okey: string, name: string): Promise<void> {
    const file = path.join(this.root, okey, name);
    await unlink(file).catch(() => undefined);
    // After the unlink: a read that opened the file meanwhile must not keep it open for later writes.
    await this.open.forget(file);
  }

  async removeEmptyObjectDir(okey: string): Promise<void> {
    const dir = path.join(this.root, okey);
    if ((await readdir(dir).catch(() => ['?'])).length === 0) await rm(dir, { recursive: true, force: true }).catch(() => undefined);
  }

  /** Closes the files kept open (close of the cache). */
  close(): Promise<void> {
    return this.open.closeAll();
  }
}
