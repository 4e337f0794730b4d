// The persistent, verified block cache: the ByteReader the vfs reads object bytes through.
// memory tier → disk tier (checked block files + level index) → one coalesced range GET per run of
// missing blocks; per-stream prefetch; pins; background MD5 checks and orphan clean-up.
import { statfs } from 'node:fs/promises';
import path from 'node:path';
import { InvalidInput, TransientError, Unavailable } from '../errors.js';
import type { ByteReader, Catalog, CatalogFile, ObjectIdentity, ReadOptions, ReadStreamHandle } from '../model.js';
import { logger } from '../util/log.js';
import { AccessLeases, leaseKey, tokenFingerprint } from './access-leases.js';
import { BlockFiles, segmentBytesFor } from './block-files.js';
import { assertCacheExists, dropOldLayouts, layoutRoot, makeCacheDirPrivate } from './cache-dir.js';
import { BlockBufferPool } from './buffer-pool.js';
import { BlockLoader, type LoadedBlock } from './block-loader.js';
import { CacheIndex, CacheIndexInUse } from './cache-index.js';
import { sleep, withDeadline } from './deadline.js';
import { DiskTier } from './disk-tier.js';
import { FetchScheduler } from './fetch-scheduler.js';
import { IntegrityChecker, type ObjectVerdict } from './integrity.js';
import { MemoryTier } from './memory-tier.js';
import { blockCount, objectKey } from './object-key.js';
import { GiB, MiB, resolveOptions, type BlockCacheOptions, type ResolvedOptions } from './options.js';
import { OrphanSweeper } from './orphan-sweeper.js';
import { blockSpan } from './parts.js';
import { BACKWARD_SLACK, CacheStream, PrefetchWindow } from './prefetch-window.js';
import { isRangeUnit, rangeUnit } from './range-units.js';
import { ReadPause } from './read-pause.js';
import { SmallRanges, type SmallRange } from './small-ranges.js';
import { StoredRanges } from './stored-ranges.js';
import { newCounters, type CacheStats, type Counters } from './stats.js';

export type { BlockCacheOptions } from './options.js';
export type { CacheStats } from './stats.js';

const log = logger('cache');
const TOUCH_FLUSH_MS = 5000;
const RETRY_PAUSE_MS = 200;
const POOL_FREE_BYTES = 32 * MiB;
/** What a lone sequential reader's near window leaves of the memory tier: the blocks about it (see nearWindow). */
const NEAR_MARGIN = 4 * MiB;
/**
 * A block whose read ran out its deadline fails at once for this long: the kernel asks again for a
 * page its readahead could not get, and that reader should not wait a whole deadline a second time.
 */
const FAILURE_MEMORY_MS = 5000;
/**
 * A small range goes to disk once reads have paused this long: a region query's next reads come within
 * a millisecond, and would otherwise wait in the event loop behind the write's open, write, close,
 * rename and index update (about a tenth of a cold query's time).
 */
const RANGE_STORE_QUIET_MS = 100;
/** ... or this long after it arrived, under reads that never pause. */
const RANGE_STORE_MAX_DEFER_MS = 1000;
/** Past this many bytes of ranges waiting for their write, a range is written at once. */
const RANGE_STORE_MAX_WAITING = 32 * MiB;

export interface CachedObject {
  obj: ObjectIdentity;
  cachedBytes: number;
  blocks: number;
  /** Small ranges of it kept on disk (random reads of blocks it does not have). */
  ranges: number;
  complete: boolean;
}

export interface VerifyReport {
  checkedBlocks: number;
  /** Small ranges kept on disk, checked as blocks are (their failures count in badBlocks). */
  checkedRanges: number;
  badBlocks: number;
  /** Every cached object checked, with what of it failed (and was dropped). */
  objects: ObjectVerdict[];
}

/** The blocks one read holds until it has copied them. */
interface BlockClaim {
  held: Buffer[];
  open: boolean;
}

export class BlockCache implements ByteReader {
  private readonly counters: Counters = newCounters();
  private readonly keys = new WeakMap<ObjectIdentity, string>();
  /** The streams this cache handed out (openStream), by the handle the reader holds. */
  private readonly streams = new WeakMap<ReadStreamHandle, CacheStream>();
  /** Open streams reading sequentially (see nearWindow). */
  private readonly sequential = new Set<CacheStream>();
  private readonly rechecked = new Set<string>();
  private readonly recentFailures = new Map<string, { until: number; err: Unavailable }>();
  private lastReadAt = 0;
  private prefetchInFlight = 0;
  private closed = false;
  private readonly pool: BlockBufferPool;
  private readonly memory: MemoryTier;
  private readonly disk: DiskTier;
  private readonly files: BlockFiles;
  private readonly loader: BlockLoader;
  private readonly ranges: SmallRanges;
  private readonly storedRanges: StoredRanges;
  private readonly scheduler: FetchScheduler;
  private readonly integrity: IntegrityChecker;
  private readonly sweeper: OrphanSweeper;
  private readonly flushTimer: NodeJS.Timeout;
  private readonly rangeStorePause = new ReadPause(() => this.lastReadAt, { quietMs: RANGE_STORE_QUIET_MS, maxDeferMs: RANGE_STORE_MAX_DEFER_MS });
  /** Small ranges waiting for their disk write, and their bytes. */
  private readonly rangeStores = new Set<Promise<void>>();
  private rangeStoreBytes = 0;

  private constructor(
    private readonly opts: ResolvedOptions,
    private readonly index: CacheIndex,
    private readonly leaseKey: Buffer,
    root: string,
    minFreeBytes: number,
    segmentBytes: number,
  ) {
    // Free buffers only bridge the gap between a block leaving the memory tier and the next fetch
    // filling one: a few dozen MiB keep a steady read from allocating, without adding to RSS.
    this.pool = new BlockBufferPool(opts.blockSize, Math.max(4, Math.floor(POOL_FREE_BYTES / opts.blockSize)));
    this.memory = new MemoryTier(opts.memoryBytes, this.pool);
    this.files = new BlockFiles(path.join(root, 'blocks'), opts.blockSize, segmentBytes);
    this.disk = new DiskTier(
      index,
      this.files,
      this.pool,
      { diskBytes: opts.diskBytes, minFreeBytes, blockSize: opts.blockSize },
      this.counters,
      (obj, okey, n) => this.integrity.blockStored(obj, okey, n),
    );
    this.integrity = new IntegrityChecker(index, this.disk, this.files, this.memory, opts.blockSize, this.counters, () => this.lastReadAt);
    // Prefetch waits while block writes lag behind, rather than fetch bytes the disk cannot take.
    const scheduler = new FetchScheduler(opts.fetchConcurrency, (p, inFlight) => (p === 'prefetch' ? this.disk.writeBacklogged(inFlight) : this.disk.writeSaturated(inFlight)));
    this.disk.onDrain(() => scheduler.pump());
    this.scheduler = scheduler;
    this.loader = new BlockLoader(opts, this.memory, this.disk, opts.source, scheduler, this.pool, this.counters);
    // Twice the block memory: the header, EOF marker and region of each of a cohort of a hundred BAMs or
    // more (about 800 KiB each), for when they are read again.
    this.ranges = new SmallRanges(2 * opts.memoryBytes, opts.blockSize);
    this.storedRanges = new StoredRanges(index);
    this.sweeper = new OrphanSweeper(index, this.files, this.counters, (okey, name) => this.disk.writingTo(okey, name));
    this.flushTimer = setInterval(() => void this.index.exclusive(() => this.index.flushTouches()).catch(() => undefined), TOUCH_FLUSH_MS);
    this.flushTimer.unref();
  }

  /**
   * Opens the cache in opts.dir, creating it unless opts.create is false (then a missing cache is
   * NotFound). Returns at once: nothing is scanned before (but an old cache readable by others is
   * made private first). The index's own files follow the umask: a process that opens a cache sets
   * it to 077 (the directory is 0700 in any case).
   */
  static async open(options: BlockCacheOptions): Promise<BlockCache> {
    const opts = resolveOptions(options);
    if (options.create === false) await assertCacheExists(opts.dir);
    await makeCacheDirPrivate(opts.dir);
    const root = layoutRoot(opts.dir);
    let minFree = opts.minFreeBytes;
    if (minFree === undefined) {
      const fs = await statfs(root);
      minFree = Math.max(GiB, Math.floor(fs.blocks * fs.bsize * 0.05));
    }
    const openedAt = Date.now();
    const index = await CacheIndex.open(path.join(root, 'index'));
    // Made after the index is locked: two processes never race to create them. A cache without a
    // disk tier writes no files, and leaves the segment size to the first that does.
    const [key, segmentBytes] = await Promise.all([
      leaseKey(path.join(root, 'lease-key')),
      opts.diskBytes > 0 ? index.segmentBytes(segmentBytesFor(opts.diskBytes)) : 1,
    ]).catch(async (err: unknown) => {
      await index.close();
      throw err;
    });
    // In use: another scorefs holds its index. One that cannot be opened for another reason (damaged) goes.
    await dropOldLayouts(opts.dir, (indexDir) =>
      CacheIndex.open(indexDir).then(
        (old) => old.close().then(() => false),
        (err: unknown) => err instanceof CacheIndexInUse,
      ),
    );
    const cache = new BlockCache(opts, index, key, root, minFree, segmentBytes);
    cache.sweeper.start(openedAt);
    // Ended leases are dead weight in the index (one per controlled object read, per token).
    index.exclusive(() => index.dropEndedLeases(openedAt)).catch((err: unknown) => log.warn({ err }, 'dropping ended access leases failed'));
    return cache;
  }

  /** Bytes [offset, offset+length) clamped to the object, in a buffer of the caller's own. */
  async read(obj: ObjectIdentity, offset: number, length: number, opts: ReadOptions = {}): Promise<Buffer> {
    const end = Math.min(obj.size, offset + Math.max(0, length));
    const out = Buffer.allocUnsafe(Math.max(0, end - offset));
    const n = await this.readInto(obj, offset, out, opts);
    return n === out.length ? out : out.subarray(0, n);
  }

  /**
   * Copies bytes [offset, offset+target.length), clamped to the object, into target; returns how many:
   * at once when every block of the read is in the memory tier, else a promise of it.
   */
  readInto(obj: ObjectIdentity, offset: number, target: Buffer, opts: ReadOptions = {}): number | Promise<number> {
    return this.readFromMemory(obj, offset, target, opts) ?? this.readThroughTiers(obj, offset, target, opts);
  }

  /**
   * The read served from memory alone (blocks of the memory tier, or small ranges that arrived), without
   * a promise or a timer: a warm sequential read is eight of these per block, a region query's reads
   * after its first mostly these. Undefined when some byte is elsewhere or the read is one for
   * readThroughTiers to judge (a closed cache, a bad offset, an empty read).
   */
  private readFromMemory(obj: ObjectIdentity, offset: number, target: Buffer, opts: ReadOptions): number | undefined {
    if (this.closed || !Number.isSafeInteger(offset) || offset < 0) return undefined;
    const end = Math.min(obj.size, offset + target.length);
    if (end <= offset) return undefined;
    const okey = this.keyOf(obj);
    if (!(this.copyFromBlocks(okey, offset, end, target) || this.copyFromRanges(okey, offset, end, target))) return undefined;
    this.lastReadAt = Date.now();
    this.counters.bytesFromMemory += end - offset;
    this.counters.bytesRead += end - offset;
    const own = opts.stream && this.streams.get(opts.stream);
    if (own && !own.closed) this.prefetch(own, okey, offset, end);
    return end - offset;
  }

  /** Copies [offset, end) into target if every block of it is in the memory tier. */
  private copyFromBlocks(okey: string, offset: number, end: number, target: Buffer): boolean {
    const { blockSize } = this.opts;
    const [first, last] = blockSpan(offset, end - offset, blockSize);
    for (let n = first; n <= last; n++) if (!this.memory.get(okey, n, { touch: false })) return false;
    for (let n = first; n <= last; n++) {
      this.disk.touch(okey, n);
      copyOverlap(this.memory.get(okey, n)!, n * blockSize, target, offset, end);
    }
    return true;
  }

  /** Copies [offset, end) into target if small ranges that arrived hold all of it. */
  private copyFromRanges(okey: string, offset: number, end: number, target: Buffer): boolean {
    const parts = this.ranges.covering(okey, offset, end);
    const held = parts?.map((r) => SmallRanges.arrived(r, Math.min(end, r.end)));
    if (!parts || !held!.every((b) => b)) return false;
    parts.forEach((r, i) => copyOverlap(held![i]!, r.start, target, offset, end));
    return true;
  }

  private async readThroughTiers(obj: ObjectIdentity, offset: number, target: Buffer, opts: ReadOptions): Promise<number> {
    if (this.closed) throw new Unavailable('block cache is closed');
    if (!Number.isSafeInteger(offset) || offset < 0) throw new InvalidInput(`bad read offset ${offset} of object ${obj.id}`);
    const end = Math.min(obj.size, offset + target.length);
    if (end <= offset) return 0;
    this.lastReadAt = Date.now();
    const deadline = opts.deadline ?? this.lastReadAt + this.opts.readDeadlineMs;
    const okey = this.keyOf(obj);
    const [first, last] = blockSpan(offset, end - offset, this.opts.blockSize);
    const failed = this.recentFailure(okey, first, last);
    if (failed) {
      this.counters.readErrors++;
      throw failed;
    }
    const own = opts.stream && this.streams.get(opts.stream);
    const stream = own && !own.closed ? own : undefined;
    if (await this.readSmall(obj, okey, offset, end, target, deadline, opts.header === true)) {
      if (stream) this.prefetch(stream, okey, offset, end);
      this.counters.bytesRead += end - offset;
      return end - offset;
    }
    const claim: BlockClaim = { held: [], open: true };
    const demand = this.loadDemand(obj, okey, first, last, deadline, claim); // issued before any prefetch
    if (stream) this.prefetch(stream, okey, offset, end);
    let blocks: LoadedBlock[];
    try {
      blocks = await withDeadline(demand, deadline, `reading object ${obj.id}`);
    } catch (err) {
      this.counters.readErrors++;
      this.releaseClaim(claim); // blocks that still come are released as they come
      if (err instanceof Unavailable) this.rememberFailure(okey, first, last, err);
      throw err;
    }
    let usedDisk = false;
    for (let i = 0; i < blocks.length; i++) {
      const { bytes, from } = blocks[i]!;
      const copied = copyOverlap(bytes, (first + i) * this.opts.blockSize, target, offset, end);
      if (from === 'memory') this.counters.bytesFromMemory += copied;
      else if (from === 'disk') this.counters.bytesFromDisk += copied;
      else this.counters.bytesFromNetwork += copied;
      usedDisk ||= from === 'disk';
    }
    this.releaseClaim(claim);
    this.counters.bytesRead += end - offset;
    if (usedDisk && !this.rechecked.has(okey)) {
      // First disk hit of this object in this process: MD5-check what a crash may have left unchecked.
      this.rechecked.add(okey);
      this.integrity.recheck(obj, okey);
    }
    return end - offset;
  }

  openStream(obj: ObjectIdentity, opts: { end?: number } = {}): ReadStreamHandle {
    const end = Math.min(obj.size, opts.end ?? obj.size);
    const { prefetchMaxBytes, transferChunkBytes } = this.opts;
    // Beyond the near window (nearWindow), the window only fetches what the cache lacks, so that a
    // capped link has enough GETs in flight.
    const window = (max: number): PrefetchWindow => new PrefetchWindow(end, MiB, max, transferChunkBytes);
    const beyond = this.nearWindow(2) < prefetchMaxBytes ? window(prefetchMaxBytes) : undefined; // once several readers share the tier
    const stream = new CacheStream(obj, window(this.nearWindow()), beyond, (closed) => this.sequential.delete(closed));
    this.streams.set(stream, stream);
    return stream;
  }

  /**
   * Fetches into the cache the blocks of [offset, offset+length) it lacks, without reading them
   * (`scorefs cache warm`): as a prefetch does, in chunk-sized range GETs under the adaptive limit,
   * held back while block writes lag. Rejects with the first failure once all have settled.
   */
  async fetchAhead(obj: ObjectIdentity, offset: number, length: number): Promise<void> {
    if (this.closed) throw new Unavailable('block cache is closed');
    const end = Math.min(obj.size, offset + Math.max(0, length));
    if (end <= offset) return;
    const [first, last] = blockSpan(offset, end - offset, this.opts.blockSize);
    await this.loader.prefetch(obj, this.keyOf(obj), first, last, Date.now() + this.opts.readDeadlineMs);
  }

  async pin(obj: ObjectIdentity, offset: number, length: number): Promise<void> {
    const end = Math.min(obj.size, offset + Math.max(0, length));
    if (end <= offset) return;
    await this.read(obj, offset, end - offset);
    const okey = this.keyOf(obj);
    const [first, last] = blockSpan(offset, end - offset, this.opts.blockSize);
    const refs = [];
    for (let n = first; n <= last; n++) refs.push({ okey, n });
    await this.disk.pin(refs);
  }

  stats(): CacheStats {
    const source = this.opts.source.stats?.();
    return {
      ...this.counters,
      diskBytes: this.index.usage.bytes,
      diskBlocks: this.index.usage.blocks,
      pinnedBytes: this.index.usage.pinnedBytes,
      memoryBytes: this.memory.bytes,
      smallRangeBytes: this.ranges.bytes,
      buffersReused: this.pool.reused,
      diskCapacityBytes: this.opts.diskBytes,
      memoryCapacityBytes: this.opts.memoryBytes,
      fetchesInFlight: this.scheduler.inFlight.now,
      fetchesInFlightPeak: this.scheduler.inFlight.peak,
      prefetchLimit: this.scheduler.link.limit,
      ...(source !== undefined ? { source } : {}),
    };
  }

  /** The access leases of a token (offline reads of controlled objects). */
  leasesOf(token: string | undefined): AccessLeases {
    return new AccessLeases(this.index, tokenFingerprint(this.leaseKey, token));
  }

  saveCatalog(c: Catalog): Promise<void> {
    return this.index.saveCatalog(c);
  }

  /** The catalog snapshot; with `keep`, only the files it keeps (read chunk by chunk, never whole). */
  loadCatalog(keep?: (f: CatalogFile) => boolean): Promise<Catalog | undefined> {
    return this.index.loadCatalog(keep);
  }

  async objects(): Promise<CachedObject[]> {
    const out: CachedObject[] = [];
    for await (const [okey, rec] of this.index.objects()) {
      let blocks = 0;
      let ranges = 0;
      let cachedBytes = 0;
      for await (const [n, b] of this.index.blocksOf(okey)) {
        if (isRangeUnit(n)) ranges++;
        else blocks++;
        cachedBytes += b.s;
      }
      if (cachedBytes > 0) out.push({ obj: rec.obj, cachedBytes, blocks, ranges, complete: blocks === blockCount(rec.obj.size, rec.blockSize) });
    }
    return out;
  }

  /** Re-checks every block's checksum and the MD5 of every complete object and part; drops what fails. */
  async verify(): Promise<VerifyReport> {
    const report: VerifyReport = { checkedBlocks: 0, checkedRanges: 0, badBlocks: 0, objects: [] };
    for await (const [okey, rec] of this.index.objects()) {
      const blocks: number[] = [];
      for await (const [n] of this.index.blocksOf(okey)) blocks.push(n);
      if (blocks.length === 0) continue;
      const verdict = await this.integrity.verifyNow(rec.obj, okey, blocks);
      const ranges = blocks.filter(isRangeUnit).length;
      report.checkedBlocks += verdict.blocks - ranges;
      report.checkedRanges += ranges;
      report.badBlocks += verdict.badBlocks;
      report.objects.push(verdict);
    }
    return report;
  }

  /** Drops the cached bytes of the given object ids, or of everything. */
  async clear(objectIds?: string[]): Promise<void> {
    const wanted = objectIds && new Set(objectIds);
    const dropped = new Set<string>();
    for await (const [okey, rec] of this.index.objects()) {
      if (wanted && !wanted.has(rec.obj.id)) continue;
      const refs = [];
      for await (const [n] of this.index.blocksOf(okey)) refs.push({ okey, n });
      await this.disk.drop(refs);
      await this.index.exclusive(() => this.index.deleteObject(okey));
      dropped.add(okey);
    }
    if (!wanted) for (const okey of await this.files.objectKeys()) dropped.add(okey);
    for (const okey of dropped) {
      await this.files.removeObject(okey);
      this.disk.forgetObject(okey);
      this.integrity.forget(okey);
      this.rechecked.delete(okey);
    }
    this.memory.deleteObjects((okey) => dropped.has(okey));
    this.ranges.clear(); // which objects they belong to is not worth keeping
    this.storedRanges.clear();
  }

  /** Stops background work, waits for block writes, flushes the index and releases its lock. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.flushTimer);
    this.loader.cancel();
    this.rangeStorePause.close(); // ranges that arrived are written now
    await Promise.all(this.rangeStores);
    await this.sweeper.stop();
    await this.disk.settle();
    await this.integrity.close();
    await this.files.close();
    await this.index.close();
    this.memory.clear(); // a closed cache holds no block memory
    this.ranges.clear();
    this.pool.clear();
  }

  private keyOf(obj: ObjectIdentity): string {
    let key = this.keys.get(obj);
    if (!key) this.keys.set(obj, (key = objectKey(obj, this.opts.blockSize)));
    return key;
  }

  /**
   * Serves the read from a small range (see SmallRanges): one that holds it already, or a new one when
   * the read is random and its blocks are nowhere in the cache. False: take the blocks (also when the
   * range's fetch failed: the block path retries until the deadline). `header`: see ReadOptions.
   */
  private async readSmall(obj: ObjectIdentity, okey: string, offset: number, end: number, target: Buffer, deadline: number, header: boolean, disk = true): Promise<boolean> {
    let parts = this.ranges.covering(okey, offset, end);
    if (!parts) {
      if (!this.ranges.plan(okey, obj.size, offset, end, header)) {
        this.completeRun(obj, okey, offset, end);
        return false;
      }
      // Kept on disk by an earlier mount (or left memory since): no fetch.
      if (disk && (await this.adoptStoredRanges(okey, offset, end))) parts = this.ranges.covering(okey, offset, end);
    }
    if (!parts) {
      if (!(await this.blocksAbsent(okey, offset, end))) return false;
      // Planned again now: a concurrent read (the kernel's next readahead) may have added a range meanwhile.
      parts = this.ranges.covering(okey, offset, end);
      if (!parts) {
        const want = this.ranges.plan(okey, obj.size, offset, end, header);
        if (!want) return false;
        const range = this.ranges.add(okey, want, (onProgress) => this.loader.fetchRange(obj, want.start, want.end - want.start, deadline, onProgress));
        this.storeRange(obj, okey, range);
        parts = this.ranges.covering(okey, offset, end);
        if (!parts) return false;
      }
    }
    for (const range of parts) {
      const fetched = range.value !== undefined;
      const upTo = Math.min(end, range.end);
      let bytes: Buffer;
      try {
        bytes = SmallRanges.arrived(range, upTo) ?? (await withDeadline(SmallRanges.until(range, upTo), deadline, `reading object ${obj.id}`));
      } catch {
        // A range the disk lost (missing, or failed its check, and dropped) is fetched again as a range.
        return range.fromDisk && disk && this.readSmall(obj, okey, offset, end, target, deadline, header, false);
      }
      // Up to upTo only: of a range still arriving, that much is in.
      const copied = copyOverlap(bytes, range.start, target, offset, upTo);
      if (fetched) this.counters.bytesFromMemory += copied;
      else if (range.fromDisk) this.counters.bytesFromDisk += copied;
      else this.counters.bytesFromNetwork += copied;
    }
    return true;
  }

  /**
   * Brings back from disk the small ranges that hold [offset, end) (kept by an earlier mount, or
   * evicted from memory since), checked as blocks are, their bytes on the way; false when the disk
   * does not hold all of the read.
   */
  private async adoptStoredRanges(okey: string, offset: number, end: number): Promise<boolean> {
    if (!this.ranges.enabled || !this.disk.enabled) return false;
    const stored = await this.storedRanges.covering(okey, offset, end);
    if (!stored) return false;
    for (const r of stored) {
      this.ranges.adopt(okey, r.start, r.end, async () => {
        const bytes = await this.disk.read(okey, rangeUnit(r.start)!);
        if (bytes) return bytes;
        this.storedRanges.dropped(okey, r.start);
        throw new Unavailable(`the range at ${r.start} of ${okey} is no longer on disk`); // seen only by readSmall
      });
    }
    return true;
  }

  /** Keeps a small range on disk once its bytes are in and reads pause, so that it outlives the mount. */
  private storeRange(obj: ObjectIdentity, okey: string, range: SmallRange): void {
    const unit = rangeUnit(range.start);
    if (!this.disk.enabled || unit === undefined) return;
    const stored = range.bytes
      .then(
        async (bytes) => {
          this.rangeStoreBytes += bytes.length;
          if (this.rangeStoreBytes <= RANGE_STORE_MAX_WAITING) await this.rangeStorePause.wait(); // never rejects
          this.rangeStoreBytes -= bytes.length;
          if (await this.disk.write(obj, okey, unit, bytes)) this.storedRanges.added(okey, { start: range.start, end: range.end });
        },
        () => undefined, // a failed fetch keeps nothing
      )
      .finally(() => this.rangeStores.delete(stored));
    this.rangeStores.add(stored);
  }

  /**
   * A run of small ranges outgrew a block at `offset`: the reader is sequential, and its read takes
   * blocks from here on. The blocks the run held before are fetched whole too, in the background, so
   * that the whole file ends up on disk and verified, as it would have without the ranges.
   */
  private completeRun(obj: ObjectIdentity, okey: string, offset: number, end: number): void {
    const runStart = this.ranges.runBefore(okey, offset, end);
    if (runStart === undefined) return;
    const { blockSize } = this.opts;
    const first = Math.floor(runStart / blockSize);
    const last = Math.floor(offset / blockSize) - 1;
    if (last >= first) this.loader.prefetch(obj, okey, first, last, Date.now() + this.opts.readDeadlineMs).catch(() => undefined);
  }

  /** No block of [offset, end) is in memory, on disk or on its way. */
  private async blocksAbsent(okey: string, offset: number, end: number): Promise<boolean> {
    const [first, last] = blockSpan(offset, end - offset, this.opts.blockSize);
    for (let n = first; n <= last; n++) {
      if (this.memory.get(okey, n, { touch: false }) || this.loader.isLoading(okey, n) || (await this.disk.has(okey, n))) return false;
    }
    return true;
  }

  /**
   * Loads blocks first..last for a reader; a failure shared with an earlier reader is retried until
   * the deadline. Each block is held (in the claim) the moment it arrives, so the buffer pool cannot
   * reuse it before the reader has copied it.
   */
  private async loadDemand(obj: ObjectIdentity, okey: string, first: number, last: number, deadline: number, claim: BlockClaim): Promise<LoadedBlock[]> {
    const hold = (b: LoadedBlock): LoadedBlock => {
      if (claim.open) {
        this.pool.hold(b.bytes);
        claim.held.push(b.bytes);
      }
      return b;
    };
    for (;;) {
      try {
        return await Promise.all(this.loader.load(obj, okey, first, last, 'demand', deadline).map((p) => p.then(hold)));
      } catch (err) {
        // A ProtocolError (the store answered what cannot be right) is not retried: the source did not either.
        const retryable = err instanceof Unavailable || err instanceof TransientError;
        if (!retryable || this.closed || !claim.open || Date.now() + RETRY_PAUSE_MS >= deadline) throw err;
        await sleep(RETRY_PAUSE_MS);
      }
    }
  }

  private recentFailure(okey: string, first: number, last: number): Unavailable | undefined {
    if (this.recentFailures.size === 0) return undefined;
    const now = Date.now();
    for (let n = first; n <= last; n++) {
      const f = this.recentFailures.get(`${okey}:${n}`);
      if (f && f.until > now) return f.err;
    }
    return undefined;
  }

  private rememberFailure(okey: string, first: number, last: number, err: Unavailable): void {
    if (this.recentFailures.size > 10_000) this.recentFailures.clear();
    const until = Date.now() + FAILURE_MEMORY_MS;
    for (let n = first; n <= last; n++) {
      if (!this.memory.get(okey, n, { touch: false })) this.recentFailures.set(`${okey}:${n}`, { until, err });
    }
  }

  private releaseClaim(claim: BlockClaim): void {
    claim.open = false;
    for (const b of claim.held.splice(0)) this.pool.release(b);
  }

  private prefetch(stream: CacheStream, okey: string, offset: number, end: number): void {
    if (stream.window.enabled && !stream.closed) this.sequential.add(stream); // a closed one left on close
    else this.sequential.delete(stream);
    stream.window.limit(this.nearWindow());
    this.dropBehind(stream, okey, offset);
    this.prefetchWindow(stream.obj, stream.window, okey, offset, end);
    // After the near window: its blocks are loading by then, and are not asked for twice.
    if (stream.beyond) this.prefetchWindow(stream.obj, stream.beyond, okey, offset, end, true);
  }

  /**
   * How far ahead of a reader blocks are loaded into the memory tier, with `readers` reading
   * sequentially: more than the tier holds would evict them before their reader comes (and read them
   * from disk twice). A lone reader's blocks leave the tier behind it (dropBehind), so it may take all
   * of the tier but the few blocks about it; several share it, half of it each at most.
   */
  private nearWindow(readers = this.sequential.size): number {
    const { prefetchMaxBytes, memoryBytes } = this.opts;
    if (memoryBytes <= 0) return prefetchMaxBytes;
    const half = Math.max(MiB, Math.floor(memoryBytes / 2));
    return Math.min(prefetchMaxBytes, readers <= 1 ? Math.max(half, memoryBytes - NEAR_MARGIN) : half);
  }

  /**
   * A sequential reader's blocks leave the memory tier once it is past them by more than the kernel
   * reorders its reads: the page cache holds what it read and the disk tier the block, so the tier's
   * room goes to the blocks loaded ahead of it.
   */
  private dropBehind(stream: CacheStream, okey: string, offset: number): void {
    if (!stream.window.enabled || !this.disk.enabled) return;
    const below = Math.floor((offset - BACKWARD_SLACK) / this.opts.blockSize);
    stream.droppedBelow ??= Math.max(0, below - 1);
    for (let n = stream.droppedBelow; n < below; n++) this.memory.delete(okey, n);
    stream.droppedBelow = Math.max(stream.droppedBelow, below);
  }

  /** `missingOnly`: fetch only what the cache lacks (see BlockLoader.prefetch; default: if no memory tier). */
  private prefetchWindow(obj: ObjectIdentity, window: PrefetchWindow, okey: string, offset: number, end: number, missingOnly?: true): void {
    const range = window.onRead(offset, end);
    if (!range) return;
    const { blockSize } = this.opts;
    const available = this.opts.prefetchBudgetBytes - this.prefetchInFlight;
    let to = range.end;
    if (to - range.offset > available) {
      to = Math.floor((range.offset + available) / blockSize) * blockSize;
      window.issuedUpTo(Math.max(range.offset, to));
      if (to <= range.offset) return;
    }
    const [first, last] = blockSpan(range.offset, to - range.offset, blockSize);
    const bytes = (last - first + 1) * blockSize;
    this.prefetchInFlight += bytes;
    this.loader
      .prefetch(obj, okey, first, last, Date.now() + this.opts.readDeadlineMs, missingOnly)
      .catch(() => undefined) // a prefetch has no reader to tell; the demand read that needs the bytes retries
      .finally(() => (this.prefetchInFlight -= bytes));
  }
}

/**
 * Copies what `piece` (the object's bytes from `pieceStart` on) holds of [offset, end) into `target`
 * (the object's bytes from `offset` on); returns how many bytes that was.
 */
function copyOverlap(piece: Buffer, pieceStart: number, target: Buffer, offset: number, end: number): number {
  const s = Math.max(offset, pieceStart);
  const e = Math.min(end, pieceStart + piece.length);
  if (e <= s) return 0;
  piece.copy(target, s - offset, s - pieceStart, e - pieceStart);
  return e - s;
}
