// MD5 of a file being written out of order in chunks: the bytes are hashed while the download runs,
// as soon as every chunk before them is in the file (read back from the page cache, by a worker
// thread: see file-md5-worker.ts), so that the check at the end costs only what arrived last instead
// of a second pass over the whole file, and the hashing runs beside the transfers, not between them.
import { closeSync, openSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { Unavailable } from '../errors.js';
import type { Md5WorkerData, Md5WorkerReply, Md5WorkerRequest } from './file-md5-worker.js';

export class RunningFileMd5 {
  private readonly done = new Set<number>();
  /** Bytes the worker was asked to hash (from the file's start). */
  private asked = 0;
  private worker: Worker | undefined;
  private fd: number | undefined;
  private readonly result: Promise<string>;

  constructor(
    private readonly path: string,
    private readonly length: number,
    private readonly chunkSize: number,
    /** Chunks already in the file (an earlier run's). */
    done: Iterable<number> = [],
  ) {
    for (const i of done) this.done.add(i);
    this.fd = openSync(path, 'r');
    const data: Md5WorkerData = { fd: this.fd, length };
    const worker = new Worker(new URL('./file-md5-worker.js', import.meta.url), { workerData: data });
    this.worker = worker;
    this.result = new Promise<string>((resolve, reject) => {
      worker.on('message', (r: Md5WorkerReply) => {
        if ('digest' in r) resolve(r.digest);
        else if ('shortAt' in r) reject(new Unavailable(`${this.path} ends at ${r.shortAt} bytes, expected ${this.length} (cut short while downloading)`));
        else reject(new Unavailable(`hashing ${this.path}: ${r.error}`));
      });
      worker.on('error', reject);
      worker.on('exit', (code) => reject(new Unavailable(`hashing ${this.path}: the MD5 worker stopped (exit code ${code})`)));
    });
    this.result.catch(() => undefined); // seen by digest(); unhandled until then is not an error
    this.pump();
  }

  /** Chunk i is in the file: hashes what it makes contiguous, in the background. */
  chunkWritten(i: number): void {
    this.done.add(i);
    this.pump();
  }

  /** Hex MD5 of the whole file, once every chunk has been written. */
  async digest(signal?: AbortSignal): Promise<string> {
    for (let i = 0; i * this.chunkSize < this.length; i++) this.done.add(i);
    this.pump(true);
    signal?.throwIfAborted();
    if (!signal) return this.result.finally(() => this.close());
    let onAbort!: () => void;
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => reject(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      return await Promise.race([this.result, aborted]);
    } finally {
      signal.removeEventListener('abort', onAbort);
      await this.close();
    }
  }

  async close(): Promise<void> {
    const { worker, fd } = this;
    this.worker = undefined;
    this.fd = undefined;
    await worker?.terminate();
    if (fd !== undefined) closeSync(fd); // after the worker, which reads it
  }

  /** End of the bytes whose chunks are all written. */
  private get contiguous(): number {
    let i = Math.floor(this.asked / this.chunkSize);
    while (this.done.has(i) && i * this.chunkSize < this.length) i++;
    return Math.min(this.length, i * this.chunkSize);
  }

  private pump(last = false): void {
    const end = this.contiguous;
    if (!this.worker || (end <= this.asked && !last)) return;
    this.asked = end;
    const request: Md5WorkerRequest = { upTo: end };
    this.worker.postMessage(request);
  }
}
