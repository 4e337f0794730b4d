// Background MD5 checks: once every block of a Score part (or of the whole object) is on disk, hash
// those bytes (part-hasher.ts, in rounds that wait while reads go on) against Score's MD5. A mismatch drops the
// blocks, so the next read fetches them again.
// - An object whose parts all have Score's MD5 (as score-client checks them) is checked by its parts
//   alone, up to 16 of them side by side in the lanes of one SIMD MD5 (md5-lanes.ts): each byte is
//   hashed once, and once every part has passed, so has the object. Its object MD5 would take a second,
//   serial pass over every byte.
// - Otherwise the parts that have an MD5 are checked on their own, and the object whole once complete;
//   a mismatch of the object then checks its parts again, to drop only the bad one.
import type { ObjectIdentity } from '../model.js';
import { logger } from '../util/log.js';
import type { CacheIndex } from './cache-index.js';
import type { BlockFiles } from './block-files.js';
import type { DiskTier } from './disk-tier.js';
import { MAX_LANES } from './md5-lanes.js';
import { PartHasher, type HashBlock, type RangeOutcome } from './part-hasher.js';
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
interface Wanted {
  obj: ObjectIdentity;
  parts: Set<number>;
  /** When it was first asked for (bounds how long reads may defer it). */
  since: number;
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

export class IntegrityChecker {
  /** Block numbers on disk per object, loaded by one index scan when first needed. */
  private readonly present = new Map<string, Promise<Set<number>>>();
  private readonly queued = new Map<string, Wanted>();
  private readonly hasher: PartHasher;
  private running: Promise<void> | undefined;
  private closed = false;
  private readonly pause: ReadPause;

  constructor(
    private readonly index: CacheIndex,
    private readonly disk: DiskTier,
    files: BlockFiles,
    private readonly memory: MemoryTier,
    private readonly blockSize: number,
    private readonly counters: Counters,
    /** Epoch millis of the last read a user waited for. */
    lastReadAt: () => number,
  ) {
    this.pause = new ReadPause(lastReadAt, { quietMs: QUIET_MS, maxDeferMs: MAX_DEFER_MS });
    this.hasher = new PartHasher(files, (since) => this.pause.wait(since));
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
    const whole = obj.size > 0 && allPresent(present, 0, obj.size, this.blockSize);
    if (obj.md5 && whole && !partsCoverObject(obj)) {
      const hashed = await this.hashRange(okey, 0, obj.size);
      if (hashed) failed.push(...(await this.objectVerdict(obj, okey, hashed === obj.md5.toLowerCase(), parts)));
    } else {
      failed.push(...(await this.verifyParts(obj, okey, parts.filter((i) => allPresent(present, obj.parts![i]!.offset, obj.parts![i]!.size, this.blockSize)))));
      if (whole && failed.length === 0) await this.verifiedByParts(obj, okey);
    }
    return { id: obj.id, blocks: blocks.length, badBlocks, md5Failed: failed.map((w) => (w === 'object' ? w : w + 1)) };
  }

  /** The MD5 of [offset, offset+length), or undefined when a block of it was gone or failed its check. */
  private async hashRange(okey: string, offset: number, length: number): Promise<string | undefined> {
    const blocks = await this.blocksOf(okey, offset, length);
    if (!blocks || this.closed) return undefined;
    this.counters.bytesHashed += length;
    const outcome = (await this.hasher.hash(okey, [blocks]))[0]!;
    return outcome.kind === 'md5' ? outcome.md5 : this.blockFailed(okey, outcome);
  }

  /** The blocks holding [offset, offset+length), as the hasher reads them; undefined when one is gone from the index. */
  private async blocksOf(okey: string, offset: number, length: number): Promise<HashBlock[] | undefined> {
    const [first, last] = blockSpan(offset, length, this.blockSize);
    const blocks: HashBlock[] = [];
    for (let n = first; n <= last; n++) {
      const rec = await this.index.getBlock(okey, n);
      if (!rec) return this.lost(okey, n);
      const start = n * this.blockSize;
      blocks.push({ n, size: rec.s, crc: rec.c, from: Math.max(0, offset - start), to: Math.min(rec.s, offset + length - start) });
    }
    return blocks;
  }

  /** A block the hasher found missing, or failing its check (then dropped, as a read drops it); undefined, for returns. */
  private async blockFailed(okey: string, outcome: Exclude<RangeOutcome, { kind: 'md5' }>): Promise<undefined> {
    if (outcome.kind === 'corrupt') await this.disk.read(okey, outcome.block, { touch: false }); // the checked read drops and counts it
    return this.lost(okey, outcome.block);
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
  }

  async close(): Promise<void> {
    this.closed = true;
    this.queued.clear();
    this.pause.close();
    this.hasher.close(); // ends a hash under way, so the drain ends at once
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
    const before = await this.disk.objectRecord(okey);
    if (!before) return;
    const present = await this.presentSet(okey);
    const complete = (offset: number, length: number) => allPresent(present, offset, length, this.blockSize);
    const due = [...parts].filter((i) => {
      const part = obj.parts?.[i];
      return part && part.size > 0 && !before.verifiedParts.includes(i) && complete(part.offset, part.size);
    });
    await this.verifyParts(obj, okey, due.sort((x, y) => x - y));
    const rec = await this.disk.objectRecord(okey);
    if (!rec || rec.verified || this.closed || !complete(0, obj.size)) return;
    if (partsCoverObject(obj)) return this.verifiedByParts(obj, okey);
    if (!obj.md5) return;
    const stamp = this.disk.storeCount;
    const hashed = await this.hashRange(okey, 0, obj.size);
    if (!hashed) return;
    if (this.disk.storedSince(stamp, okey, ...blockSpan(0, obj.size, this.blockSize))) return this.enqueue(obj, okey, []);
    await this.objectVerdict(obj, okey, hashed === obj.md5.toLowerCase(), partsToCheck(obj));
  }

  /**
   * Hashes parts on their own, up to MAX_LANES side by side, and judges each against its MD5; returns
   * those that failed. A part gets no verdict when a block of it went missing (its next store brings
   * the check back) or was stored again meanwhile (then its check is queued again).
   */
  private async verifyParts(obj: ObjectIdentity, okey: string, parts: readonly number[]): Promise<number[]> {
    const failed: number[] = [];
    for (let at = 0; at < parts.length && !this.closed; at += MAX_LANES) {
      const stamp = this.disk.storeCount;
      const batch: Array<{ i: number; blocks: HashBlock[] }> = [];
      for (const i of parts.slice(at, at + MAX_LANES)) {
        const p = obj.parts![i]!;
        const blocks = await this.blocksOf(okey, p.offset, p.size);
        if (blocks) batch.push({ i, blocks });
      }
      if (batch.length === 0 || this.closed) continue;
      for (const { i } of batch) this.counters.bytesHashed += obj.parts![i]!.size;
      const outcomes = await this.hasher.hash(okey, batch.map((b) => b.blocks));
      for (const [k, { i }] of batch.entries()) {
        const p = obj.parts![i]!;
        const outcome = outcomes[k]!;
        if (outcome.kind !== 'md5') await this.blockFailed(okey, outcome);
        else if (this.disk.storedSince(stamp, okey, ...blockSpan(p.offset, p.size, this.blockSize))) this.enqueue(obj, okey, [i]); // judge again on stable bytes
        else if (!(await this.judge(obj, okey, i, p.offset, p.size, outcome.md5 === p.md5.toLowerCase()))) failed.push(i);
      }
    }
    return failed;
  }

  /** If the object's parts cover it and every one has passed, so has the object. */
  private async verifiedByParts(obj: ObjectIdentity, okey: string): Promise<void> {
    if (!partsCoverObject(obj)) return;
    const parts = partsToCheck(obj);
    await this.disk.updateObjectRecord(okey, (r) => {
      if (r.verified || !parts.every((i) => r.verifiedParts.includes(i))) return r;
      this.counters.objectsVerified++;
      return { ...r, verified: true };
    });
  }

  /**
   * The verdict on an object hashed whole: a match stands for `parts` too (their bytes are the
   * object's); a mismatch checks those parts on their own, so that only a bad part's blocks go, and
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
    const failed = await this.verifyParts(obj, okey, parts);
    if (failed.length > 0 || this.closed) return failed; // the bad parts' next stores bring the object check back
    await this.judge(obj, okey, 'object', 0, obj.size, false);
    return ['object'];
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

/** Whether the parts with Score's MD5 hold every byte of the object: it is then checked by its parts alone. */
function partsCoverObject(obj: ObjectIdentity): boolean {
  let end = 0;
  for (const p of obj.parts ?? []) {
    if (p.offset !== end) return false;
    end += p.size;
  }
  return obj.parts !== undefined && end === obj.size;
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
