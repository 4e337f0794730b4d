// The main thread's side of the MD5 worker: one worker, started on first use, holding the process
// open only while a job is outstanding, and terminated on close.
import { Worker } from 'node:worker_threads';

export interface HashBlock {
  n: number;
  /** The block's file, and where in it the block starts. */
  path: string;
  at: number;
  /** Size and CRC-32 the index records for the file. */
  size: number;
  crc: number;
  /** The part of the block to hash. */
  from: number;
  to: number;
}

/** Ranges of an object to hash, each as its blocks in order: several are hashed side by side (Score parts). */
export interface HashJob {
  id: number;
  ranges: HashBlock[][];
}

/** What one range of a job came to: its MD5, or the block that failed it. */
export type RangeOutcome = { kind: 'md5'; md5: string } | { kind: 'missing' | 'corrupt'; block: number };

export type HashResult = { id: number; kind: 'done'; ranges: RangeOutcome[] } | { id: number; kind: 'error'; message: string };

export class Md5Hasher {
  private worker: Worker | undefined;
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve(r: RangeOutcome[]): void; reject(e: Error): void }>();
  private closed = false;

  /** What each range came to, in order. */
  hash(ranges: HashBlock[][]): Promise<RangeOutcome[]> {
    if (this.closed) return Promise.reject(new Error('MD5 hasher closed'));
    const worker = this.start();
    const id = this.nextId++;
    const job: HashJob = { id, ranges };
    return new Promise<RangeOutcome[]>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      if (this.waiting.size === 1) worker.ref();
      worker.postMessage(job);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    const worker = this.worker;
    this.worker = undefined;
    this.failAll(new Error('MD5 hasher closed'));
    await worker?.terminate();
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(new URL('./md5-worker.js', import.meta.url));
    worker.unref();
    worker.on('message', (r: HashResult) => {
      const w = this.waiting.get(r.id);
      if (!w) return;
      this.waiting.delete(r.id);
      if (this.waiting.size === 0) worker.unref();
      if (r.kind === 'error') w.reject(new Error(r.message));
      else w.resolve(r.ranges);
    });
    const lost = (err: Error): void => {
      if (this.worker !== worker) return;
      this.worker = undefined; // the next job starts a new one
      this.failAll(err);
    };
    worker.on('error', lost);
    worker.on('exit', (code) => lost(new Error(`MD5 worker exited with code ${code}`)));
    this.worker = worker;
    return worker;
  }

  private failAll(err: Error): void {
    for (const w of this.waiting.values()) w.reject(err);
    this.waiting.clear();
  }
}
