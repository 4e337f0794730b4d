// Block bytes as files: DIR/v1/blocks/<objectKey>/<blockNo>, written to a temp name and renamed
// into place, so a crash leaves either no file or a whole one (the index names it only afterwards).
// Callers rename and unlink block files only inside the index's exclusive section, so a rename
// and the index entry naming it can never be split by an eviction's unlink.
import fs from 'node:fs';
import { mkdir, readdir, rename, rm, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { DIRECT_IO_ALIGN, isAligned } from './aligned-slabs.js';
import { PRIVATE_DIR_MODE, PRIVATE_FILE_MODE } from './cache-dir.js';

const TMP_SUFFIX = '.tmp';
let tmpCounter = 0;

// Block files are opened, read or written whole and closed by plain fds with callbacks: a
// fs.promises FileHandle costs the event loop more per call, and a block costs three calls.
const fdOpen = (file: string, flags: number, mode?: number) =>
  new Promise<number>((resolve, reject) => fs.open(file, flags, mode, (err, fd) => (err ? reject(err) : resolve(fd))));
const fdRead = (fd: number, buf: Buffer, offset: number, length: number, position: number) =>
  new Promise<number>((resolve, reject) => fs.read(fd, buf, offset, length, position, (err, n) => (err ? reject(err) : resolve(n))));
const fdWrite = (fd: number, buf: Buffer, offset: number, length: number, position: number) =>
  new Promise<number>((resolve, reject) => fs.write(fd, buf, offset, length, position, (err, n) => (err ? reject(err) : resolve(n))));
const fdClose = (fd: number) => new Promise<void>((resolve, reject) => fs.close(fd, (err) => (err ? reject(err) : resolve())));

const { O_RDONLY, O_WRONLY, O_CREAT, O_TRUNC } = fs.constants;
/**
 * Whole blocks are read and written with O_DIRECT, past the page cache. Mounted files sit in the
 * kernel's page cache already (a second copy of a block file there only takes memory from it), and
 * the page cache's path costs the CPU several times what the copy to the device does. Cleared for
 * good on a filesystem that refuses it (EINVAL): every block then goes through the page cache.
 */
let directIo = fs.constants.O_DIRECT !== undefined;

/** The flags to open a file with for I/O of `length` bytes through `buf`: direct when both allow it. */
function directFlags(buf: Buffer, length: number): number {
  return directIo && length % DIRECT_IO_ALIGN === 0 && isAligned(buf) ? fs.constants.O_DIRECT : 0;
}

/** Runs `io` with direct I/O when `flags` has it, and again without when the filesystem refuses it. */
async function withDirectFallback<T>(flags: number, io: (flags: number) => Promise<T>): Promise<T> {
  if (!(flags & fs.constants.O_DIRECT)) return io(flags);
  try {
    return await io(flags);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EINVAL') throw err;
    directIo = false;
    return io(flags & ~fs.constants.O_DIRECT);
  }
}

/**
 * The first `size` bytes of a block file (fewer if it is shorter) read into `buf` (at least `size`
 * long), or undefined when the file is missing. The index knows the size, so this is one open, one
 * read and a close (readFile would stat and read in pieces); the caller checks it with blockIntact.
 * A full `buf` comes back as itself (its identity matters to the buffer pool).
 */
export async function readBlockFile(file: string, size: number, buf: Buffer): Promise<Buffer | undefined> {
  return withDirectFallback(directFlags(buf, size), async (flags) => {
    let fd: number;
    try {
      fd = await fdOpen(file, O_RDONLY | flags);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    try {
      let got = 0;
      while (got < size) {
        const r = await fdRead(fd, buf, got, size - got, got);
        got += r;
        // End of file; a direct read may not go on from an unaligned offset, and need not.
        if (r === 0 || got % DIRECT_IO_ALIGN !== 0) break;
      }
      return got === buf.length ? buf : buf.subarray(0, got);
    } finally {
      await fdClose(fd);
    }
  });
}

/** Writes `bytes` to a new private file in one write call (fs.promises.writeFile writes 512 KiB at a time). */
async function writeWhole(file: string, bytes: Buffer): Promise<void> {
  await withDirectFallback(directFlags(bytes, bytes.length), async (flags) => {
    const fd = await fdOpen(file, O_WRONLY | O_CREAT | O_TRUNC | flags, PRIVATE_FILE_MODE);
    try {
      for (let done = 0; done < bytes.length; ) done += await fdWrite(fd, bytes, done, bytes.length - done, done);
    } finally {
      await fdClose(fd);
    }
  });
}

export class BlockFiles {
  private readonly madeDirs = new Set<string>();

  constructor(readonly root: string) {}

  pathOf(okey: string, n: number): string {
    return path.join(this.root, okey, String(n));
  }

  /** Writes the bytes under a temp name beside the block's; returns that name for place()/discard(). */
  async writeTemp(okey: string, n: number, bytes: Buffer): Promise<string> {
    const dir = path.join(this.root, okey);
    const tmp = `${this.pathOf(okey, n)}.${process.pid}.${++tmpCounter}${TMP_SUFFIX}`;
    for (let attempt = 1; ; attempt++) {
      if (!this.madeDirs.has(dir)) {
        await mkdir(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
        this.madeDirs.add(dir);
      }
      try {
        await writeWhole(tmp, bytes);
        return tmp;
      } catch (err) {
        await unlink(tmp).catch(() => undefined);
        // The object dir was removed meanwhile (clear, orphan sweep): make it again, once.
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || attempt > 1) throw err;
        this.madeDirs.delete(dir);
      }
    }
  }

  /** Renames a written temp file into the block's place (atomic). */
  async place(tmp: string, okey: string, n: number): Promise<void> {
    await rename(tmp, this.pathOf(okey, n));
  }

  async discard(tmp: string): Promise<void> {
    await unlink(tmp).catch(() => undefined);
  }

  /** The block file's first `size` bytes, in a buffer from `allocate` (see readBlockFile). */
  async read(okey: string, n: number, size: number, allocate: (size: number) => Buffer): Promise<Buffer | undefined> {
    return readBlockFile(this.pathOf(okey, n), size, allocate(size));
  }

  async remove(okey: string, n: number): Promise<void> {
    await unlink(this.pathOf(okey, n)).catch(() => undefined);
  }

  async removeObject(okey: string): Promise<void> {
    this.madeDirs.delete(path.join(this.root, okey));
    await rm(path.join(this.root, okey), { recursive: true, force: true });
  }

  async objectKeys(): Promise<string[]> {
    return readdir(this.root).catch(() => []);
  }

  /** Names in one object dir: block files and leftovers (temp files, strays). */
  async names(okey: string): Promise<string[]> {
    return readdir(path.join(this.root, okey)).catch(() => []);
  }

  /** The modification time of a name in an object dir, or undefined when it is gone. */
  async mtimeOf(okey: string, name: string): Promise<number | undefined> {
    return (await stat(path.join(this.root, okey, name)).catch(() => undefined))?.mtimeMs;
  }

  async removeEntry(okey: string, name: string): Promise<void> {
    await unlink(path.join(this.root, okey, name)).catch(() => undefined);
  }

  async removeEmptyObjectDir(okey: string): Promise<void> {
    const dir = path.join(this.root, okey);
    if ((await readdir(dir).catch(() => ['?'])).length === 0) {
      this.madeDirs.delete(dir);
      await rm(dir, { recursive: true, force: true }).catch(() => undefined);
    }
  }
}
