// The disk tier: checked block reads, crash-safe block writes, and eviction on insert against the
// size cap and the free-space floor (unpinned blocks first, least recently used first, a segment file
// at a time: see block-files.ts).
import { statfs } from 'node:fs/promises';
import type { ObjectIdentity } from '../model.js';
import { logger } from '../util/log.js';
import { Slots } from '../util/slots.js';
import type { BlockFiles } from './block-files.js';
import type { BlockBufferPool } from './buffer-pool.js';
import { blockChecksum, blockIntact } from './checksum.js';
import type { BlockRecord, BlockRef, CacheIndex, ObjectRecord } from './cache-index.js';
import { partsOverlapping } from './parts.js';
import { isRangeUnit, rangeStart } from './range-units.js';
import type { Counters } from './stats.js';

const log = logger('cache');
/**
 * Bytes of block writes queued, and fetched for the queue, beyond which new ones are skipped (bounds
 * memory; readers have the bytes). Fetches wait rather than pass it (see wouldOverflow), so it also
 * bounds the bytes in flight: it holds a lone reader's whole prefetch window (60 MiB with the default
 * 16 connections). Sixteen cold readers peaked at 248–259 MiB RSS with 64 MiB, 276–286 with 96.
 */
const MAX_PENDING_WRITE_BYTES = 64 * 1024 * 1024;
/** Bytes of block writes queued beyond which prefetching waits (see writeBacklogged). */
const WRITE_BACKLOG_BYTES = MAX_PENDING_WRITE_BYTES / 3;
/** Bytes of block writes queued beyond which demand fetches wait too (unless the disk is stuck). */
const SATURATED_WRITE_BYTES = (2 * MAX_PENDING_WRITE_BYTES) / 3;
/** A disk that completed no write for this long is stuck: reads go on without it. */
const STUCK_AFTER_MS = 5000;
const STATFS_EVERY_MS = 1000;
/** Block files written at once: more would only queue in libuv's pool ahead of reads and index work. */
const WRITE_SLOTS = 4;
/**
 * Block files read at once: twice libuv's 4 threads. More add no speed; they only take block buffers
 * early, more than the buffer pool keeps, which then become garbage (64 random readers held ~170 MiB
 * of it with no bound; 16 slots peaked at 295-309 MiB RSS, 8 at 271-293, interleaved A/B).
 */
const READ_SLOTS = 8;
const EVICT_BATCH = 64;
const MAX_PINNED_SHARE = 0.5;

/** How a log names unit n: a block by its number, a small range by its offset. */
const unitOf = (n: number): { block: number } | { rangeAt: number } => (isRangeUnit(n) ? { rangeAt: rangeStart(n) } : { block: n });

/** A block file as writingFiles knows it: its object's key and its name. */
const keyOfFile = (okey: string, name: string): string => `${okey}/${name}`;

interface PendingCommit {
  obj: ObjectIdentity;
  okey: string;
  n: number;
  size: number;
  crc: number;
  resolve(stored: boolean): void;
}

export interface DiskTierOptions {
  diskBytes: number;
  minFreeBytes: number;
  blockSize: number;
}

export class DiskTier {
  private reserved = 0;
  private pendingWriteBytes = 0;
  private readonly writing = new Map<string, Promise<boolean>>();
  /** Writes under way (until indexed) per block file: such a file is never unlinked. */
  private readonly writingFiles = new Map<string, number>();
  private readonly objectRecords = new Map<string, ObjectRecord>();
  /** When (in stores) each block was last stored in this process: lets an MD5 check tell if its range changed. */
  private readonly storedAt = new Map<string, number>();
  private stores = 0;
  private free: { bytes: number; at: number } | undefined;
  private readonly loggedWriteErrors = new Set<string>();
  private readonly drainListeners: Array<() => void> = [];
  private lastWriteDone = Date.now();
  private closing = false;
  /** Written blocks waiting to be indexed (see commitAll). */
  private toCommit: PendingCommit[] = [];
  private readonly writeSlots = new Slots(WRITE_SLOTS);
  private readonly readSlots = new Slots(READ_SLOTS);
  private committing: Promise<void> | undefined;

  constructor(
    private readonly index: CacheIndex,
    private readonly files: BlockFiles,
    private readonly pool: BlockBufferPool,
    private readonly opts: DiskTierOptions,
    private readonly counters: Counters,
    /** Called after a block is indexed (drives part/object MD5 checks). */
    private readonly onStored: (obj: ObjectIdentity, okey: string, n: number) => void,
  ) {}

  get enabled(): boolean {
    return this.opts.diskBytes > 0;
  }

  /** The block's bytes if indexed and intact; a bad or missing file is dropped and counted (a miss). */
  async read(okey: string, n: number, opts: { touch?: boolean } = {}): Promise<Buffer | undefined> {
    if (!this.enabled) return undefined;
    // A block the memory tier dropped while its write was still under way is on disk in a moment:
    // waiting for it beats fetching it again.
    const writing = this.writing.get(`${okey}:${n}`);
    if (writing) await writing;
    const rec = await this.index.getBlock(okey, n);
    if (!rec) return undefined;
    let bytes: Buffer | undefined;
    try {
      bytes = await this.readSlots.run(() => this.files.read(okey, n, rec.s, (size) => this.pool.acquire(size)));
    } catch (err) {
      log.warn({ err, okey, ...unitOf(n) }, 'cache block unreadable; fetching it again');
    }
    if (!bytes) {
      if (!(await this.index.hasBlock(okey, n))) return undefined; // evicted meanwhile
      this.counters.missingBlocks++;
      await this.drop([{ okey, n }]);
      return undefined;
    }
    if (!blockIntact(bytes, { size: rec.s, crc: rec.c })) {
      this.counters.checksumFailures++;
      log.warn({ okey, ...unitOf(n) }, 'cache block failed its checksum; fetching it again');
      await this.drop([{ okey, n }]);
      return undefined;
    }
    if (opts.touch !== false) this.index.touch({ okey, n });
    return bytes;
  }

  /** Indexed (not checked): enough for a prefetch that only wants the block somewhere. */
  async has(okey: string, n: number): Promise<boolean> {
    return this.enabled && (await this.index.hasBlock(okey, n));
  }

  /** Notes a use of the block for LRU (written in batches). */
  touch(okey: string, n: number): void {
    if (this.enabled) this.index.touch({ okey, n });
  }

  /**
   * Stores a block (or a small range, numbered as range-units.ts says) in the background; resolves true
   * once it is indexed, false when skipped or failed.
   */
  write(obj: ObjectIdentity, okey: string, n: number, bytes: Buffer): Promise<boolean> {
    if (!this.enabled || this.closing) return Promise.resolve(false);
    const key = `${okey}:${n}`;
    const running = this.writing.get(key);
    if (running) return running;
    if (this.pendingWriteBytes + bytes.length > MAX_PENDING_WRITE_BYTES) {
      this.counters.diskWritesSkipped++;
      return Promise.resolve(false);
    }
    // The disk is judged stuck by how long queued writes wait: an idle spell before them does not count.
    if (this.pendingWriteBytes === 0) this.lastWriteDone = Date.now();
    this.pendingWriteBytes += bytes.length;
    this.pool.hold(bytes); // until it is stored (or not)
    const file = this.fileKey(okey, n);
    this.writingFiles.set(file, (this.writingFiles.get(file) ?? 0) + 1);
    const done = this.store(obj, okey, n, bytes)
      .catch((err: unknown) => {
        this.writeFailed(err);
        return false;
      })
      .finally(() => {
        this.pendingWriteBytes -= bytes.length;
        this.writing.delete(key);
        const left = this.writingFiles.get(file)! - 1;
        if (left > 0) this.writingFiles.set(file, left);
        else this.writingFiles.delete(file);
        this.pool.release(bytes);
        for (const listener of this.drainListeners) listener(); // fetches held back by the backlog may go
      });
    this.writing.set(key, done);
    return done;
  }

  private writeFailed(err: unknown): void {
    this.counters.diskWriteErrors++;
    const code = String((err as NodeJS.ErrnoException).code ?? err);
    if (this.loggedWriteErrors.has(code)) return;
    this.loggedWriteErrors.add(code);
    log.warn({ err }, `cache write failed (${code}); reads go on from the network without caching`);
  }

  /**
   * More is queued for disk than it is taking: prefetch should wait (demand reads go on). `incoming`:
   * bytes of the fetches under way and of the one about to start, queued too once they arrive; were
   * they to overfill the queue, blocks would go uncached (see write), so that waits as well — unless
   * the disk is stuck.
   */
  writeBacklogged(incoming: number): boolean {
    return this.pendingWriteBytes > WRITE_BACKLOG_BYTES || this.wouldOverflow(incoming);
  }

  /** So much is queued (or on its way, see writeBacklogged) that demand fetches should wait too — unless the disk is stuck. */
  writeSaturated(incoming: number): boolean {
    return (this.pendingWriteBytes > SATURATED_WRITE_BYTES && !this.stuck) || this.wouldOverflow(incoming);
  }

  private wouldOverflow(incoming: number): boolean {
    return this.pendingWriteBytes + incoming > MAX_PENDING_WRITE_BYTES && !this.stuck;
  }

  /** No write completed for a while: reads go on without the disk. */
  private get stuck(): boolean {
    return Date.now() - this.lastWriteDone >= STUCK_AFTER_MS;
  }

  /** Calls `listener` whenever the write backlog has gone down. */
  onDrain(listener: () => void): void {
    this.drainListeners.push(listener);
  }

  /** Marks indexed blocks pinned (waits for their pending writes first). */
  async pin(refs: BlockRef[]): Promise<void> {
    await Promise.all(refs.map((r) => this.writing.get(`${r.okey}:${r.n}`)));
    await this.index.exclusive(async () => {
      for (const ref of refs) await this.index.setPinned(ref);
      // Pins may hold at most half the cache: beyond that the oldest pins go.
      const over = this.index.usage.pinnedBytes - this.opts.diskBytes * MAX_PINNED_SHARE;
      if (over > 0) await this.evict(await this.index.oldest(EVICT_BATCH, true), over, true);
    });
  }

  /** Drops blocks from the index; a file left naming none of its blocks is removed too. */
  async drop(refs: BlockRef[]): Promise<number> {
    return this.index.exclusive(async () => {
      const removed = await this.index.removeBlocks(refs);
      const dropped = new Set(refs.map((r) => `${r.okey}:${r.n}`));
      const files = new Map(refs.map((r) => [this.fileKey(r.okey, r.n), r]));
      for (const [file, r] of files) {
        if (this.writingFiles.has(file)) continue;
        const others = this.files.unitsSharingFile(r.n).filter((m) => !dropped.has(`${r.okey}:${m}`));
        if (await this.index.hasAnyBlock(r.okey, others)) continue;
        await this.files.removeFileOf(r.okey, r.n);
      }
      return removed.length;
    });
  }

  /** Whether a file in an object's directory has writes under way (the orphan sweep leaves it). */
  writingTo(okey: string, name: string): boolean {
    return this.writingFiles.has(keyOfFile(okey, name));
  }

  /** The writingFiles key of unit n's file. */
  private fileKey(okey: string, n: number): string {
    return keyOfFile(okey, this.files.nameOf(n));
  }

  /** The indexed blocks whose bytes share n's file (n's segment), with their records. */
  private async indexedSharingFile(okey: string, n: number): Promise<Array<{ n: number; rec: BlockRecord }>> {
    const found = [];
    for (const m of this.files.unitsSharingFile(n)) {
      const rec = await this.index.getBlock(okey, m);
      if (rec) found.push({ n: m, rec });
    }
    return found;
  }

  forgetObject(okey: string): void {
    this.objectRecords.delete(okey);
  }

  async objectRecord(okey: string): Promise<ObjectRecord | undefined> {
    const rec = this.objectRecords.get(okey) ?? (await this.index.getObject(okey));
    if (rec) this.objectRecords.set(okey, rec);
    return rec;
  }

  async updateObjectRecord(okey: string, update: (r: ObjectRecord) => ObjectRecord): Promise<void> {
    await this.index.exclusive(async () => {
      const rec = await this.objectRecord(okey);
      if (!rec) return;
      const next = update(rec);
      await this.index.putObject(okey, next);
      this.objectRecords.set(okey, next);
    });
  }

  /** A stamp that grows with every block stored (see storedSince). */
  get storeCount(): number {
    return this.stores;
  }

  /** True if a block of okey in first..last was stored after the stamp. */
  storedSince(stamp: number, okey: string, first: number, last: number): boolean {
    for (let n = first; n <= last; n++) if ((this.storedAt.get(`${okey}:${n}`) ?? 0) > stamp) return true;
    return false;
  }

  /** Takes no more block writes and waits for those under way (close). */
  async settle(): Promise<void> {
    this.closing = true;
    while (this.writing.size > 0) await Promise.all([...this.writing.values()]);
  }

  private async store(obj: ObjectIdentity, okey: string, n: number, bytes: Buffer): Promise<boolean> {
    const size = bytes.length;
    const crc = blockChecksum(bytes);
    if (!(await this.reserve(size))) {
      this.counters.diskWritesSkipped++;
      return false;
    }
    try {
      await this.writeSlots.run(() => this.files.write(okey, n, bytes));
    } catch (err) {
      this.reserved -= size;
      this.writeFailed(err);
      return false;
    }
    const stored = await new Promise<boolean>((resolve) => {
      this.toCommit.push({ obj, okey, n, size, crc, resolve });
      this.committing ??= this.commitAll().finally(() => (this.committing = undefined));
    });
    if (stored && !isRangeUnit(n)) this.onStored(obj, okey, n); // a range completes no part
    return stored;
  }

  /**
   * Indexes written blocks, as many as are ready in one exclusive section and one index batch (a
   * section and a batch per block would serialise the writes).
   */
  private async commitAll(): Promise<void> {
    while (this.toCommit.length > 0) {
      const batch = this.toCommit.splice(0);
      const results = await this.index
        .exclusive(async () => {
          try {
            return await this.commitBatch(batch);
          } finally {
            // Counted by the index from now on, or dropped; not before, or a reservation made
            // meanwhile (reserve() runs outside this section) would see room that is not there.
            for (const c of batch) this.reserved -= c.size;
          }
        })
        .catch((err: unknown) => {
          this.writeFailed(err);
          return batch.map(() => false);
        });
      this.lastWriteDone = Date.now();
      batch.forEach((c, i) => c.resolve(results[i]!));
    }
  }

  /** Called inside exclusive(): indexes a batch; per entry, whether it is stored. */
  private async commitBatch(batch: PendingCommit[]): Promise<boolean[]> {
    const entries = [];
    for (const c of batch) {
      this.storedAt.set(`${c.okey}:${c.n}`, ++this.stores);
      const object = await this.objectRecordChangedBy(c.obj, c.okey, c.n);
      entries.push({ ref: { okey: c.okey, n: c.n }, rec: { s: c.size, c: c.crc, t: Date.now(), p: 0 as const }, ...(object ? { object } : {}) });
    }
    try {
      await this.index.addBlocks(entries);
    } catch (err) {
      // Never leave an entry the batch may have written half: its bytes are not known to be whole.
      await this.index.removeBlocks(entries.map((e) => e.ref)).catch(() => undefined);
      this.writeFailed(err);
      return batch.map(() => false);
    }
    if (this.free) this.free.bytes -= batch.reduce((a, c) => a + c.size, 0);
    return batch.map(() => true);
  }

  /** Reserves room for `size` more bytes: at once while both limits clearly allow it, else by evicting. */
  private async reserve(size: number): Promise<boolean> {
    if (size > this.opts.diskBytes) return false;
    const fresh = this.free && Date.now() - this.free.at <= STATFS_EVERY_MS;
    const fits =
      this.index.usage.bytes + this.reserved + size <= this.opts.diskBytes && fresh && this.free!.bytes - this.reserved - size >= this.opts.minFreeBytes;
    if (fits) {
      this.reserved += size;
      return true;
    }
    return this.index.exclusive(() => this.makeRoom(size));
  }

  /** The object record to write with block n: new, or with the MD5 verdicts it invalidates cleared. */
  private async objectRecordChangedBy(obj: ObjectIdentity, okey: string, n: number): Promise<ObjectRecord | undefined> {
    let rec = this.objectRecords.get(okey) ?? (await this.index.getObject(okey));
    let changed = false;
    if (!rec) {
      this.index.newObject(okey);
      rec = { obj, blockSize: this.opts.blockSize, verifiedParts: [], verified: false };
      changed = true;
    } else if (!isRangeUnit(n)) {
      const touched = new Set(partsOverlapping(obj, n * this.opts.blockSize, this.opts.blockSize));
      const kept = rec.verifiedParts.filter((p) => !touched.has(p));
      if (kept.length !== rec.verifiedParts.length || rec.verified) {
        rec = { ...rec, verifiedParts: kept, verified: false };
        changed = true;
      }
    }
    this.objectRecords.set(okey, rec);
    return changed ? rec : undefined;
  }

  /**
   * Called inside exclusive(): evicts until `size` more bytes fit, and reserves them; false if they
   * cannot. The size cap evicts unpinned blocks only (pins are bounded in pin()); the free-space
   * floor, a disk emergency, evicts pinned ones too once no unpinned block is left.
   */
  private async makeRoom(size: number): Promise<boolean> {
    await this.index.flushTouches();
    let free = await this.freeBytes();
    for (;;) {
      const overCap = this.index.usage.bytes + this.reserved + size - this.opts.diskBytes;
      const underFloor = this.opts.minFreeBytes - (free - this.reserved - size);
      if (overCap <= 0 && underFloor <= 0) break;
      let pinned = false;
      let victims = await this.index.oldest(EVICT_BATCH, false);
      if (victims.length === 0 && overCap <= 0) victims = await this.index.oldest(EVICT_BATCH, (pinned = true));
      const freed = await this.evict(victims, Math.max(overCap, underFloor), pinned);
      if (freed === 0) return false;
      free += freed;
    }
    this.reserved += size;
    return true;
  }

  /**
   * Called inside exclusive(): evicts victims in order until `want` bytes are freed; returns bytes
   * freed. A victim goes with its whole file (the other blocks of its segment), since only removing
   * the file frees its bytes; files with writes under way are passed over, and so are files holding
   * pinned blocks, unless the victims are pinned ones.
   */
  private async evict(victims: BlockRef[], want: number, pinned: boolean): Promise<number> {
    const chosen: BlockRef[] = [];
    const files: BlockRef[] = [];
    const seen = new Set<string>();
    let bytes = 0;
    for (const v of victims) {
      if (bytes >= want) break;
      const file = this.fileKey(v.okey, v.n);
      if (seen.has(file) || this.writingFiles.has(file)) continue;
      seen.add(file);
      const sharing = await this.indexedSharingFile(v.okey, v.n);
      if (!pinned && sharing.some((b) => b.rec.p)) continue;
      files.push(v);
      for (const b of sharing) {
        chosen.push({ okey: v.okey, n: b.n });
        bytes += b.rec.s;
      }
    }
    const removed = await this.index.removeBlocks(chosen);
    await Promise.all(files.map((v) => this.files.removeFileOf(v.okey, v.n)));
    this.counters.evictions += removed.length;
    const freed = removed.reduce((a, r) => a + r.s, 0);
    if (this.free) this.free.bytes += freed;
    return freed;
  }

  private async freeBytes(): Promise<number> {
    if (!this.free || Date.now() - this.free.at > STATFS_EVERY_MS) {
      try {
        const s = await statfs(this.files.root);
        this.free = { bytes: s.bavail * s.bsize, at: Date.now() };
      } catch {
        this.free = { bytes: Number.MAX_SAFE_INTEGER, at: Date.now() };
      }
    }
    return this.free.bytes;
  }
}
