// Getting blocks: memory, else disk (checked), else the network — one load per block however many
// readers want it, and each run of adjacent missing blocks fetched with one range GET (a prefetch
// run in chunks of its own, so that several GETs share the work over several connections).
import { ProtocolError, Unavailable } from '../errors.js';
import type { FetchOptions, ObjectIdentity, RangeSource, SegmentFetchOptions } from '../model.js';
import type { BlockBufferPool } from './buffer-pool.js';
import type { DiskTier } from './disk-tier.js';
import type { FetchJob, FetchScheduler, Priority } from './fetch-scheduler.js';
import type { MemoryTier } from './memory-tier.js';
import { blockLength } from './object-key.js';
import type { Counters } from './stats.js';

export type Tier = 'memory' | 'disk' | 'network';

export interface LoadedBlock {
  bytes: Buffer;
  from: Tier;
}

interface Pending {
  promise: Promise<LoadedBlock>;
  resolve(b: LoadedBlock): void;
  reject(e: unknown): void;
  job?: FetchJob;
  deadline: number;
}

export interface BlockLoaderOptions {
  blockSize: number;
  maxFetchBytes: number;
  /** Largest range GET of a prefetch. */
  transferChunkBytes: number;
}

export class BlockLoader {
  private readonly loading = new Map<string, Pending>();
  private readonly abort = new AbortController();

  constructor(
    private readonly opts: BlockLoaderOptions,
    private readonly memory: MemoryTier,
    private readonly disk: DiskTier,
    private readonly source: RangeSource,
    private readonly scheduler: FetchScheduler,
    private readonly pool: BlockBufferPool,
    private readonly counters: Counters,
  ) {}

  /** One promise per block first..last (inclusive), in order. */
  load(obj: ObjectIdentity, okey: string, first: number, last: number, priority: Priority, deadline: number): Promise<LoadedBlock>[] {
    const out: Promise<LoadedBlock>[] = [];
    const fresh: number[] = [];
    for (let n = first; n <= last; n++) {
      const cached = this.memory.get(okey, n);
      if (cached) {
        this.disk.touch(okey, n);
        out.push(Promise.resolve({ bytes: cached, from: 'memory' }));
        continue;
      }
      const key = `${okey}:${n}`;
      let pending = this.loading.get(key);
      if (pending) {
        if (priority === 'demand') {
          pending.deadline = Math.max(pending.deadline, deadline);
          if (pending.job) this.scheduler.promote(pending.job, deadline);
        }
      } else {
        pending = this.newPending(key, deadline);
        fresh.push(n);
      }
      out.push(pending.promise);
    }
    if (fresh.length > 0) void this.fill(obj, okey, fresh, priority);
    return out;
  }

  /**
   * Brings blocks first..last into the cache ahead of need; rejects (once all have settled) with the
   * first failure. With `missingOnly` (the default with no memory tier), blocks already on disk are
   * left there (reading them now would be wasted).
   */
  async prefetch(obj: ObjectIdentity, okey: string, first: number, last: number, deadline: number, missingOnly = !this.memory.enabled): Promise<void> {
    if (!missingOnly) return settleAll(this.load(obj, okey, first, last, 'prefetch', deadline));
    const wanted: number[] = [];
    for (let n = first; n <= last; n++) {
      if (this.abort.signal.aborted) return;
      if (!this.loading.has(`${okey}:${n}`) && !(await this.disk.has(okey, n).catch(() => true))) wanted.push(n);
    }
    const loads: Promise<LoadedBlock>[] = [];
    for (let i = 0; i < wanted.length; ) {
      let j = i + 1;
      while (j < wanted.length && wanted[j] === wanted[j - 1]! + 1) j++;
      loads.push(...this.load(obj, okey, wanted[i]!, wanted[j - 1]!, 'prefetch', deadline));
      i = j;
    }
    return settleAll(loads);
  }

  /**
   * Bytes [offset, offset+length) in one range GET at demand priority, outside the blocks (a small
   * range: see SmallRanges); counted as network bytes like a block fetch. `onProgress` hears of its
   * bytes as they arrive.
   */
  fetchRange(obj: ObjectIdentity, offset: number, length: number, deadline: number, onProgress?: FetchOptions['onProgress']): Promise<Buffer> {
    return new Promise<Buffer>((resolve, reject) => {
      const job: FetchJob = {
        priority: 'demand',
        deadline,
        started: false,
        bytes: length,
        run: async () => {
          try {
            const [bytes] = await this.fetchForJob(obj, job, offset, length, { segmentBytes: length, ...(onProgress ? { onProgress } : {}) });
            if (bytes?.length !== length) throw new ProtocolError(`object ${obj.id}: asked for ${length} bytes at ${offset}, got ${bytes?.length ?? 0}`);
            this.counters.networkBytes += length;
            resolve(bytes);
          } catch (err) {
            reject(err);
            throw err; // for the scheduler's measure of the link
          }
        },
      };
      this.scheduler.submit(job);
    });
  }

  /** Whether block n is being loaded now. */
  isLoading(okey: string, n: number): boolean {
    return this.loading.has(`${okey}:${n}`);
  }

  /**
   * Gives a fresh block to its keepers (memory tier, disk write, readers), holding it meanwhile: if
   * none of them keeps it, it goes back to the pool (after the readers' copies, see BlockBufferPool).
   */
  private handOut(block: Buffer, give: () => void): void {
    this.pool.hold(block);
    try {
      give();
    } finally {
      this.pool.release(block);
    }
  }

  /** Fails every fetch still waiting or running (close). */
  cancel(): void {
    this.abort.abort();
  }

  private newPending(key: string, deadline: number): Pending {
    let resolve!: (b: LoadedBlock) => void;
    let reject!: (e: unknown) => void;
    const promise = new Promise<LoadedBlock>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    promise.catch(() => undefined); // a prefetch may have no reader to see its failure
    const pending: Pending = {
      promise,
      deadline,
      resolve: (b) => {
        this.loading.delete(key);
        resolve(b);
      },
      reject: (e) => {
        this.loading.delete(key);
        reject(e);
      },
    };
    this.loading.set(key, pending);
    return pending;
  }

  private async fill(obj: ObjectIdentity, okey: string, blocks: number[], priority: Priority): Promise<void> {
    const misses: number[] = [];
    await Promise.all(
      blocks.map(async (n) => {
        const pending = this.loading.get(`${okey}:${n}`)!;
        try {
          const bytes = await this.disk.read(okey, n);
          if (bytes) {
            this.handOut(bytes, () => {
              this.memory.set(okey, n, bytes);
              pending.resolve({ bytes, from: 'disk' });
            });
            return;
          }
        } catch {
          // unreadable: a miss
        }
        misses.push(n);
      }),
    );
    misses.sort((a, b) => a - b);
    const maxBytes = priority === 'prefetch' ? this.opts.transferChunkBytes : this.opts.maxFetchBytes;
    const maxBlocks = Math.max(1, Math.floor(maxBytes / this.opts.blockSize));
    for (let i = 0; i < misses.length; ) {
      let j = i + 1;
      while (j < misses.length && misses[j] === misses[j - 1]! + 1 && j - i < maxBlocks) j++;
      this.fetchRun(obj, okey, misses[i]!, j - i, priority);
      i = j;
    }
  }

  private fetchRun(obj: ObjectIdentity, okey: string, first: number, count: number, priority: Priority): void {
    const pendings = Array.from({ length: count }, (_, i) => this.loading.get(`${okey}:${first + i}`)!);
    const { blockSize } = this.opts;
    const offset = first * blockSize;
    const length = Math.min(obj.size, (first + count) * blockSize) - offset;
    const job: FetchJob = {
      priority,
      deadline: Math.max(...pendings.map((p) => p.deadline)),
      started: false,
      bytes: length,
      run: async () => {
        // Each block goes to its keepers as soon as it is in: a reader of the GET's first block does not
        // wait for its last, and a block does not sit in the GET's buffers until then.
        const given: boolean[] = [];
        const give = (i: number, block: Buffer): void => {
          const n = first + i;
          if (given[i] || i >= count || block.length !== blockLength(obj.size, blockSize, n)) return; // again after a retry; or wrong
          given[i] = true;
          this.handOut(block, () => {
            this.memory.set(okey, n, block);
            pendings[i]!.resolve({ bytes: block, from: 'network' });
            void this.disk.write(obj, okey, n, block);
          });
        };
        let blocks: Buffer[];
        try {
          blocks = await this.fetchForJob(obj, job, offset, length, { segmentBytes: blockSize, allocate: (size) => this.pool.acquire(size), onSegment: give });
          const wrong = blocks.length !== count || blocks.some((b, i) => b.length !== blockLength(obj.size, blockSize, first + i));
          if (wrong) throw new ProtocolError(`object ${obj.id}: asked for ${length} bytes at ${offset} in ${count} blocks, got ${blocks.map((b) => b.length).join('+')}`);
        } catch (err) {
          pendings.forEach((p, i) => given[i] || p.reject(err));
          throw err; // for the scheduler's measure of the link
        }
        this.counters.networkBytes += length;
        if (job.priority === 'prefetch') this.counters.prefetchBytes += length;
        blocks.forEach((block, i) => give(i, block));
      },
    };
    for (const p of pendings) p.job = job;
    this.scheduler.submit(job);
  }

  /**
   * A job's range GET of [offset, offset+length), in segments of `segmentBytes`; refused once the cache
   * is closed or the job's deadline has passed (it may have waited in the scheduler's queue).
   */
  private fetchForJob(
    obj: ObjectIdentity,
    job: FetchJob,
    offset: number,
    length: number,
    { segmentBytes, ...delivery }: Pick<SegmentFetchOptions, 'allocate' | 'onProgress' | 'onSegment'> & { segmentBytes: number },
  ): Promise<Buffer[]> {
    if (this.abort.signal.aborted) return Promise.reject(new Unavailable('block cache closed'));
    if (Date.now() >= job.deadline) return Promise.reject(new Unavailable(`object ${obj.id}: read deadline passed before the fetch could start`));
    this.counters.networkRequests++;
    if (job.priority === 'prefetch') this.counters.prefetchRequests++;
    return this.source.fetchSegments(obj, offset, length, segmentBytes, {
      deadline: job.deadline,
      signal: this.abort.signal,
      ...delivery,
      onRetry: () => this.scheduler.retried(),
    });
  }
}

/** Waits for every load; then rejects with the first failure, if any. */
async function settleAll(loads: Array<Promise<LoadedBlock>>): Promise<void> {
  const failed = (await Promise.allSettled(loads)).find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}
