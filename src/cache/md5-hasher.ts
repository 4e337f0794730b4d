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

/**
 * A running MD5 of a whole object, fed by consecutive jobs: 'start' begins it with this job's bytes,
 * 'continue' adds them; `finish` returns its digest. A job with a run hashes only into the run.
 */
export interface RunningHash {
  key: string;
  mode: 'start' | 'continue';
  finish: boolean;
}

export interface HashJob {
  id: number;
  blocks: HashBlock[];
  run?: RunningHash;
}

export type HashResult =
  /** md5: the job's range (jobs without a run); objectMd5: the run's digest (when it finished). */
  | { id: number; kind: 'md5'; md5?: string; objectMd5?: string }
  | { id: number; kind: 'missing' | 'corrupt'; block: number }
  | { id: number; kind: 'run-lost' }
  | { id: number; kind: 'error'; message: string };

type Outcome = Exclude<HashResult, { kind: 'error' }>;

export class Md5Hasher {
  private worker: Worker | undefined;
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve(r: Outcome): void; reject(e: Error): void }>();
  private closed = false;

  hash(blocks: HashBlock[], run?: RunningHash): Promise<Outcome> {
    if (this.closed) return Promise.reject(new Error('MD5 hasher closed'));
    const worker = this.start();
    const id = this.nextId++;
    const job: HashJob = { id, blocks, ...(run ? { run } : {}) };
    return new Promise<Outcome>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      if (this.waiting.size === 1) worker.ref();
      worker.postMessage(job);
    });
  }

  /** Drops a running hash (its bytes are no longer trusted). */
  forget(key: string): void {
    this.worker?.postMessage({ forget: key });
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
      else w.resolve(r);
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
