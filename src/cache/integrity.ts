// Background MD5 checks: once every block of a Score part (or of the whole object) is on disk, hash
// those bytes (in the MD5 worker, off the event loop) against Score's MD5. A mismatch drops the
// blocks, so the next read fetches them again. Parts complete in order from the start feed a running
// MD5 of the object instead of being hashed on their own: the object's MD5 stands for its parts too,
// so a sequentially read object is hashed once, not twice (its parts are hashed again only to find the
// bad one when the object's MD5 does not match).
import type { ObjectIdentity } from '../model.js';
import { logger } from '../util/log.js';
import type { CacheIndex, ObjectRecord } from './cache-index.js';
import type { BlockFiles } from './block-files.js';
import type { DiskTier } from './disk-tier.js';
import { Md5Hasher, type HashBlock, type RunningHash } from './md5-hasher.js';
import type { MemoryTier } from './memory-tier.js';
import { blockSpan, partsOverlapping } from './parts.js';
import { ReadPause } from './read-pause.js';
import type { Counters } from './stats.js';

const log = logger('cache');
/**
 * MD5 checks wait until no read has come for this long: hashing competes with readers for CPU and
 * disk (a third of a cold read's speed on a 2-core machine), and every block is CRC-checked anyway.
 */
const QUIET_MS = 1000;
/** ... but under reads that never pause, no check waits longer than this. */
const MAX_DEFER_MS = 60_000;
/**
 * A running MD5 still waiting for the same part this long later is given up (its reader stopped or went
 * elsewhere): the parts it was fed are then checked on their own, rather than never.
 */
const RUN_STALL_MS = 30_000;

interface Wanted {
  obj: ObjectIdentity;
  parts: Set<number>;
  /** When it was first asked for (bounds how long reads may defer it). */
  since: number;
}

/** Parts fed so far into an object's running MD5: which part comes next, and what each fed part covered. */
interface ObjectRun {
  nextPart: number;
  fed: Array<{ part: number; stamp: number; first: number; last: number }>;
  /** Since when it has waited for nextPart (set when a check found that part incomplete). */
  stall?: { part: number; since: number };
}

/** One cached object after `verifyNow`: what was checked, and what failed (and was dropped). */
export interface ObjectVerdict {
  id: string;
  /** Blocks read back and checksum-checked. */
  blocks: number;
  /** Of those, blocks that failed their checksum or whose file was missing. */
  badBlocks: number;
  /** Score parts (numbered from 1) and 'object' whose cached bytes did not match Score's MD5. */
  md5Failed: Array<number | 'object'>;
}

interface RangeMd5 {
  /** The range's own MD5 (when it fed no running hash). */
  md5?: string;
  /** The object's MD5, when this range finished a running hash. */
  objectMd5?: string;
}

export class IntegrityChecker {
  /** Block numbers on disk per object, loaded by one index scan when first needed. */
  private readonly present = new Map<string, Promise<Set<number>>>();
  private readonly queued = new Map<string, Wanted>();
  private readonly runs = new Map<string, ObjectRun>();
  private readonly hasher = new Md5Hasher();
  private running: Promise<void> | undefined;
  private closed = false;
  private readonly pause: ReadPause;

  constructor(
    private readonly index: CacheIndex,
    private readonly disk: DiskTier,
    private readonly files: BlockFiles,
    private readonly memory: MemoryTier,
    private readonly blockSize: number,
    private readonly counters: Counters,
    /** Epoch millis of the last read a user waited for. */
    lastReadAt: () => number,
  ) {
    this.pause = new ReadPause(lastReadAt, { quietMs: QUIET_MS, maxDeferMs: MAX_DEFER_MS });
  }

  /** Block n of obj was indexed: check the parts it may complete, and the whole object. */
  blockStored(obj: ObjectIdentity, okey: string, n: number): void {
    if (this.closed) return;
    void this.presentSet(okey).then((s) => s.add(n));
    this.enqueue(obj, okey, partsOverlapping(obj, n * this.blockSize, this.blockSize));
  }

  /** Check whatever of obj is complete but not yet verified (e.g. blocks stored before a crash). */
  recheck(obj: ObjectIdentity, okey: string): void {
    this.enqueue(obj, okey, (obj.parts ?? []).map((_, i) => i));
  }

  /**
   * Re-checks one cached object now, not waiting for reads to pause: every block's checksum (a bad
   * block is dropped), then the MD5 of each complete part and of the whole object, judged as the
   * background checks judge them. `scorefs cache verify` runs this on every cached object.
   */
  async verifyNow(obj: ObjectIdentity, okey: string, blocks: readonly number[]): Promise<ObjectVerdict> {
    const present = new Set<number>();
    this.present.set(okey, Promise.resolve(present));
    let badBlocks = 0;
    for (const n of blocks) {
      if (await this.disk.read(okey, n, { touch: false })) present.add(n);
      else badBlocks++;
    }
    const failed: Array<number | 'object'> = [];
    const parts = partsToCheck(obj);
    if (obj.md5 && obj.size > 0 && allPresent(present, 0, obj.size, this.blockSize)) {
      const hashed = await this.hashRange(okey, 0, obj.size);
      if (hashed) failed.push(...(await this.objectVerdict(obj, okey, hashed.md5 === obj.md5.toLowerCase(), parts)));
    } else {
      for (const i of parts) {
        const p = obj.parts![i]!;
        if (allPresent(present, p.offset, p.size, this.blockSize) && (await this.verifyRange(obj, okey, i, p.offset, p.size, p.md5)) === false) failed.push(i);
      }
    }
    return { id: obj.id, blocks: blocks.length, badBlocks, md5Failed: failed.map((w) => (w === 'object' ? w : w + 1)) };
  }

  private async hashRange(okey: string, offset: number, length: number, run?: RunningHash): Promise<RangeMd5 | undefined> {
    const [first, last] = blockSpan(offset, length, this.blockSize);
    const blocks: HashBlock[] = [];
    for (let n = first; n <= last; n++) {
      const rec = await this.index.getBlock(okey, n);
      if (!rec) return this.lost(okey, n);
      const start = n * this.blockSize;
      blocks.push({ n, path: this.files.pathOf(okey, n), at: this.files.offsetOf(n), size: rec.s, crc: rec.c, from: Math.max(0, offset - start), to: Math.min(rec.s, offset + length - start) });
    }
    if (this.closed) return undefined;
    this.counters.bytesHashed += length;
    const r = await this.hasher.hash(blocks, run);
    switch (r.kind) {
      case 'md5':
        return { md5: r.md5, ...(r.objectMd5 ? { objectMd5: r.objectMd5 } : {}) };
      case 'missing':
        return this.lost(okey, r.block);
      case 'corrupt':
        await this.disk.read(okey, r.block, { touch: false }); // the checked read drops and counts it
        return this.lost(okey, r.block);
      case 'run-lost':
        this.runs.delete(okey);
        return undefined;
    }
  }

  /** Block n of okey is no longer on disk (for the completeness checks); undefined, for returns. */
  private lost(okey: string, n: number): undefined {
    this.present.get(okey)?.then((s) => s.delete(n));
    return undefined;
  }

  /** Drops the blocks of [offset, offset+length) from both tiers. */
  private async evict(okey: string, offset: number, length: number): Promise<void> {
    const [first, last] = blockSpan(offset, length, this.blockSize);
    const refs = [];
    for (let n = first; n <= last; n++) {
      refs.push({ okey, n });
      this.memory.delete(okey, n);
      this.lost(okey, n);
    }
    await this.disk.drop(refs);
  }

  forget(okey: string): void {
    this.present.delete(okey);
    this.queued.delete(okey);
    this.dropRun(okey);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.queued.clear();
    this.pause.close();
    await this.hasher.close(); // fails a job under way, so the drain ends at once
    await this.running;
  }

  private enqueue(obj: ObjectIdentity, okey: string, parts: number[]): void {
    if (this.closed || obj.size === 0) return;
    const wanted = this.queued.get(okey) ?? { obj, parts: new Set<number>(), since: Date.now() };
    for (const p of parts) wanted.parts.add(p);
    this.queued.set(okey, wanted);
    this.running ??= this.drain().finally(() => (this.running = undefined));
  }

  private async drain(): Promise<void> {
    while (!this.closed) {
      const next = this.queued.entries().next();
      if (next.done) return;
      const [okey, wanted] = next.value;
      await this.pause.wait(wanted.since);
      if (this.closed) return;
      this.queued.delete(okey);
      await this.check(okey, wanted).catch((err: unknown) => {
        if (!this.closed) log.warn({ err, object: wanted.obj.id }, 'cache MD5 check failed to run');
      });
    }
  }

  private async check(okey: string, { obj, parts }: Wanted): Promise<void> {
    if (!(await this.disk.objectRecord(okey))) return;
    const present = await this.presentSet(okey);
    const complete = (offset: number, length: number) => allPresent(present, offset, length, this.blockSize);
    const checkPart = async (i: number): Promise<void> => {
      const part = obj.parts?.[i];
      const rec = await this.disk.objectRecord(okey);
      if (!rec || !part || part.size === 0 || rec.verifiedParts.includes(i) || !complete(part.offset, part.size)) return;
      if (this.runs.get(okey)?.fed.some((f) => f.part === i)) return; // its verdict comes with the object's
      const run = this.runFor(obj, okey, rec, i, part.offset, part.size);
      if (run) await this.feedRun(obj, okey, i, run);
      else await this.verifyRange(obj, okey, i, part.offset, part.size, part.md5);
    };
    for (const i of [...parts].sort((a, b) => a - b)) {
      await checkPart(i);
      if (this.closed) return;
    }
    // Carry the object's running hash on through parts that completed without being asked about.
    for (let run = this.runs.get(okey); run && !this.closed; run = this.runs.get(okey)) {
      const before = run.nextPart;
      await checkPart(before);
      if (this.runs.get(okey)?.nextPart === before) break; // stalled: that part is not complete yet
    }
    const stalled = this.runs.get(okey);
    if (stalled && !this.closed && !complete(0, obj.size)) await this.onStall(obj, okey, stalled);
    const rec = await this.disk.objectRecord(okey);
    if (!obj.md5 || !rec || rec.verified || this.closed || !complete(0, obj.size)) return;
    this.dropRun(okey); // complete, yet no running hash finished it: hash the object whole
    const stamp = this.disk.storeCount;
    const hashed = await this.hashRange(okey, 0, obj.size);
    if (!hashed) return;
    if (this.disk.storedSince(stamp, okey, ...blockSpan(0, obj.size, this.blockSize))) return this.enqueue(obj, okey, []);
    await this.objectVerdict(obj, okey, hashed.md5 === obj.md5.toLowerCase(), partsToCheck(obj));
  }

  /**
   * Hashes one range on its own and judges it: whether it passed, or undefined without a verdict (a
   * block went missing, or was stored again meanwhile: then the check is queued again).
   */
  private async verifyRange(obj: ObjectIdentity, okey: string, which: number | 'object', offset: number, length: number, expected: string): Promise<boolean | undefined> {
    const stamp = this.disk.storeCount;
    const hashed = await this.hashRange(okey, offset, length);
    if (!hashed) return undefined; // a block went missing: its next store brings the check back
    if (this.disk.storedSince(stamp, okey, ...blockSpan(offset, length, this.blockSize))) {
      this.enqueue(obj, okey, which === 'object' ? [] : [which]); // judge again on stable bytes
      return undefined;
    }
    return this.judge(obj, okey, which, offset, length, hashed.md5 === expected.toLowerCase());
  }

  /** Feeds part i into the object's running MD5; the part that finishes it brings the object's verdict. */
  private async feedRun(obj: ObjectIdentity, okey: string, i: number, run: RunningHash): Promise<void> {
    const part = obj.parts![i]!;
    const stamp = this.disk.storeCount;
    const [first, last] = blockSpan(part.offset, part.size, this.blockSize);
    const hashed = await this.hashRange(okey, part.offset, part.size, run);
    const objectRun = this.runs.get(okey);
    if (!hashed || !objectRun) return this.dropRun(okey);
    if (this.disk.storedSince(stamp, okey, first, last)) {
      this.dropRun(okey);
      this.enqueue(obj, okey, [i]);
      return;
    }
    objectRun.nextPart = i + 1;
    objectRun.fed.push({ part: i, stamp, first, last });
    if (!hashed.objectMd5) return;
    this.runs.delete(okey);
    const fed = objectRun.fed.map((f) => f.part);
    // The running hash stands for the object only if no part's bytes were stored again since fed.
    if (objectRun.fed.some((f) => this.disk.storedSince(f.stamp, okey, f.first, f.last))) return this.enqueue(obj, okey, fed);
    if ((await this.disk.objectRecord(okey))?.verified) return;
    await this.objectVerdict(obj, okey, hashed.objectMd5 === obj.md5!.toLowerCase(), fed);
  }

  /** A run waits for a part: checked again RUN_STALL_MS later, when, still waiting, it is given up. */
  private async onStall(obj: ObjectIdentity, okey: string, run: ObjectRun): Promise<void> {
    const now = Date.now();
    if (run.stall?.part !== run.nextPart) {
      run.stall = { part: run.nextPart, since: now };
      setTimeout(() => this.enqueue(obj, okey, []), RUN_STALL_MS).unref();
      return;
    }
    if (now - run.stall.since < RUN_STALL_MS) return;
    this.dropRun(okey);
    for (const { part: i } of run.fed) {
      const p = obj.parts![i]!;
      if (this.closed) return;
      await this.verifyRange(obj, okey, i, p.offset, p.size, p.md5);
    }
  }

  /**
   * The verdict on an object hashed whole: a match stands for `parts` too (their bytes are the
   * object's); a mismatch checks those parts one by one, so that only a bad part's blocks go, and
   * drops the whole object only when none of them is bad. Returns what failed.
   */
  private async objectVerdict(obj: ObjectIdentity, okey: string, matched: boolean, parts: number[]): Promise<Array<number | 'object'>> {
    if (matched) {
      this.counters.objectsVerified++;
      await this.disk.updateObjectRecord(okey, (r) => {
        const verifiedParts = [...new Set([...r.verifiedParts, ...parts])];
        this.counters.partsVerified += verifiedParts.length - r.verifiedParts.length;
        return { ...r, verified: true, verifiedParts };
      });
      return [];
    }
    const failed: Array<number | 'object'> = [];
    for (const i of parts) {
      const p = obj.parts![i]!;
      if (this.closed) return failed;
      if ((await this.verifyRange(obj, okey, i, p.offset, p.size, p.md5)) === false) failed.push(i);
    }
    if (failed.length > 0 || this.closed) return failed; // the bad parts' next stores bring the object check back
    await this.judge(obj, okey, 'object', 0, obj.size, false);
    return ['object'];
  }

  /**
   * Whether part i can feed the object's running MD5: it starts the object (and no part was checked on
   * its own, where a run would stall), or follows the last part fed.
   */
  private runFor(obj: ObjectIdentity, okey: string, rec: ObjectRecord, i: number, offset: number, length: number): RunningHash | undefined {
    if (!obj.md5) return undefined;
    const finish = offset + length === obj.size;
    if (offset === 0) {
      if (rec.verifiedParts.length > 0) return undefined;
      this.runs.set(okey, { nextPart: 0, fed: [] });
      return { key: okey, mode: 'start', finish };
    }
    return this.runs.get(okey)?.nextPart === i ? { key: okey, mode: 'continue', finish } : undefined;
  }

  private dropRun(okey: string): void {
    if (this.runs.delete(okey)) this.hasher.forget(okey);
  }

  /** Records a verdict: verified, or counted, logged and evicted. Returns whether it passed. */
  private async judge(obj: ObjectIdentity, okey: string, which: number | 'object', offset: number, length: number, ok: boolean): Promise<boolean> {
    if (ok) {
      if (which === 'object') this.counters.objectsVerified++;
      else this.counters.partsVerified++;
      await this.disk.updateObjectRecord(okey, (r) =>
        which === 'object' ? { ...r, verified: true } : { ...r, verifiedParts: [...new Set([...r.verifiedParts, which])] },
      );
      return true;
    }
    this.counters.md5Failures++;
    const what = which === 'object' ? 'object' : `part ${which + 1}`;
    log.warn({ object: obj.id, offset, length }, `cached ${what} of object ${obj.id} failed its MD5 check; dropped, it will be fetched again`);
    await this.evict(okey, offset, length);
    return false;
  }

  private presentSet(okey: string): Promise<Set<number>> {
    let set = this.present.get(okey);
    if (!set) {
      set = (async () => {
        const s = new Set<number>();
        try {
          for await (const [n] of this.index.blocksOf(okey)) s.add(n);
        } catch {
          this.present.delete(okey); // closed meanwhile: rescan on next use
        }
        return s;
      })();
      this.present.set(okey, set);
    }
    return set;
  }
}

/** The parts (by index) worth a check of their own: those with bytes. */
function partsToCheck(obj: ObjectIdentity): number[] {
  return (obj.parts ?? []).flatMap((p, i) => (p.size > 0 ? [i] : []));
}

/** Whether every block of [offset, offset+length) is in `present`. */
function allPresent(present: ReadonlySet<number>, offset: number, length: number, blockSize: number): boolean {
  const [first, last] = blockSpan(offset, length, blockSize);
  for (let n = first; n <= last; n++) if (!present.has(n)) return false;
  return true;
}
