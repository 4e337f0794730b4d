// MD5 of a file being written out of order in chunks: the bytes are hashed while the download runs,
// as soon as every chunk before them is in the file (read back from the page cache), so that the check
// at the end costs only what arrived last instead of a second pass over the whole file.
import { createHash } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import { Unavailable } from '../errors.js';

const READ_BYTES = 1024 * 1024;

export class RunningFileMd5 {
  private readonly hash = createHash('md5');
  private readonly done = new Set<number>();
  /** Bytes hashed so far (from the file's start). */
  private hashed = 0;
  private running: Promise<void> | undefined;
  private failure: unknown;
  private closed = false;
  private readonly buffer = Buffer.allocUnsafe(READ_BYTES);
  private file: FileHandle | undefined;

  constructor(
    private readonly path: string,
    private readonly length: number,
    private readonly chunkSize: number,
    /** Chunks already in the file (an earlier run's). */
    done: Iterable<number> = [],
  ) {
    for (const i of done) this.done.add(i);
  }

  /** Chunk i is in the file: hashes what it makes contiguous, in the background. */
  chunkWritten(i: number): void {
    this.done.add(i);
    this.pump();
  }

  /** Hex MD5 of the whole file, once every chunk has been written. */
  async digest(signal?: AbortSignal): Promise<string> {
    for (let i = 0; i * this.chunkSize < this.length; i++) this.done.add(i);
    this.pump();
    while (this.running) {
      signal?.throwIfAborted();
      await this.running;
    }
    if (this.failure) throw this.failure;
    await this.close();
    return this.hash.digest('hex');
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.running;
    await this.file?.close();
    this.file = undefined;
  }

  /** End of the bytes whose chunks are all written. */
  private get contiguous(): number {
    let i = Math.floor(this.hashed / this.chunkSize);
    while (this.done.has(i) && i * this.chunkSize < this.length) i++;
    return Math.min(this.length, i * this.chunkSize);
  }

  private pump(): void {
    if (this.running || this.closed || this.failure || this.contiguous <= this.hashed) return;
    this.running = this.catchUp()
      .catch((err: unknown) => {
        this.failure = err;
      })
      .finally(() => {
        this.running = undefined;
        this.pump(); // chunks written meanwhile
      });
  }

  private async catchUp(): Promise<void> {
    this.file ??= await open(this.path, 'r');
    for (let end = this.contiguous; this.hashed < end && !this.closed; end = this.contiguous) {
      const want = Math.min(READ_BYTES, end - this.hashed);
      const { bytesRead } = await this.file.read(this.buffer, 0, want, this.hashed);
      if (bytesRead === 0) throw new Unavailable(`${this.path} ends at ${this.hashed} bytes, expected ${this.length} (cut short while downloading)`);
      this.hash.update(this.buffer.subarray(0, bytesRead));
      this.hashed += bytesRead;
    }
  }
}
