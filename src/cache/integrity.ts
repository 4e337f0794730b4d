// Background MD5 checks: once every block of a Score part (or of the whole object) is on disk, hash
// those bytes (streaming, block by block, off the read path) against Score's MD5. A mismatch drops
// the blocks, so the next read fetches them again.
import { createHash } from 'node:crypto';
import type { ObjectIdentity } from '../model.js';
import { logger } from '../util/log.js';
import type { CacheIndex } from './cache-index.js';
import type { DiskTier } from './disk-tier.js';
import type { MemoryTier } from './memory-tier.js';
import { blockSpan, partsOverlapping } from './parts.js';
import type { Counters } from './stats.js';

const log = logger('cache');

interface Wanted {
  obj: ObjectIdentity;
  parts: Set<number>;
}

export class IntegrityChecker {
  /** Block numbers on disk per object, loaded by one index scan when first needed. */
  private readonly present = new Map<string, Promise<Set<number>>>();
  private readonly queued = new Map<string, Wanted>();
  private running: Promise<void> | undefined;
  private closed = false;

  constructor(
    private readonly index: CacheIndex,
    private readonly disk: DiskTier,
    private readonly memory: MemoryTier,
    private readonly blockSize: number,
    private readonly counters: Counters,
  ) {}

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

  /** MD5 of [offset, offset+length) from checked disk blocks; undefined if one is missing. */
  async md5Of(okey: string, offset: number, length: number): Promise<string | undefined> {
    const hash = createHash('md5');
    const [first, last] = blockSpan(offset, length, this.blockSize);
    for (let n = first; n <= last; n++) {
      if (this.closed) return undefined;
      // The memory copy is the buffer the disk file was written (and its crc taken) from.
      const bytes = this.memory.get(okey, n, { touch: false }) ?? (await this.disk.read(okey, n, { touch: false }));
      if (!bytes) {
        this.present.get(okey)?.then((s) => s.delete(n));
        return undefined;
      }
      const start = n * this.blockSize;
      hash.update(bytes.subarray(Math.max(0, offset - start), Math.min(bytes.length, offset + length - start)));
    }
    return hash.digest('hex');
  }

  /** Drops the blocks of [offset, offset+length) from both tiers. */
  async evict(okey: string, offset: number, length: number): Promise<void> {
    const [first, last] = blockSpan(offset, length, this.blockSize);
    const refs = [];
    for (let n = first; n <= last; n++) {
      refs.push({ okey, n });
      this.memory.delete(okey, n);
      this.present.get(okey)?.then((s) => s.delete(n));
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
    await this.running;
  }

  private enqueue(obj: ObjectIdentity, okey: string, parts: number[]): void {
    if (this.closed || obj.size === 0) return;
    const wanted = this.queued.get(okey) ?? { obj, parts: new Set<number>() };
    for (const p of parts) wanted.parts.add(p);
    this.queued.set(okey, wanted);
    this.running ??= this.drain().finally(() => (this.running = undefined));
  }

  private async drain(): Promise<void> {
    while (!this.closed) {
      const next = this.queued.entries().next();
      if (next.done) return;
      const [okey, wanted] = next.value;
      this.queued.delete(okey);
      await this.check(okey, wanted).catch((err: unknown) => log.warn({ err, object: wanted.obj.id }, 'cache MD5 check failed to run'));
    }
  }

  private async check(okey: string, { obj, parts }: Wanted): Promise<void> {
    const rec = await this.disk.objectRecord(okey);
    if (!rec) return;
    const present = await this.presentSet(okey);
    const complete = (offset: number, length: number) => {
      const [first, last] = blockSpan(offset, length, this.blockSize);
      for (let n = first; n <= last; n++) if (!present.has(n)) return false;
      return true;
    };
    for (const i of [...parts].sort((a, b) => a - b)) {
      const part = obj.parts?.[i];
      if (!part || part.size === 0 || rec.verifiedParts.includes(i) || !complete(part.offset, part.size)) continue;
      await this.verifyRange(obj, okey, i, part.offset, part.size, part.md5);
      if (this.closed) return;
    }
    if (obj.md5 && !rec.verified && complete(0, obj.size)) {
      await this.verifyRange(obj, okey, 'object', 0, obj.size, obj.md5);
    }
  }

  private async verifyRange(obj: ObjectIdentity, okey: string, which: number | 'object', offset: number, length: number, expected: string): Promise<void> {
    const stamp = this.disk.storeCount;
    const md5 = await this.md5Of(okey, offset, length);
    if (md5 === undefined) return; // a block went missing: its next store brings the check back
    if (this.disk.storedSince(stamp, okey, ...blockSpan(offset, length, this.blockSize))) {
      // Blocks of the object were stored while hashing (maybe these): judge again on stable bytes.
      this.enqueue(obj, okey, which === 'object' ? [] : [which]);
      return;
    }
    if (md5 === expected.toLowerCase()) {
      if (which === 'object') this.counters.objectsVerified++;
      else this.counters.partsVerified++;
      await this.disk.updateObjectRecord(okey, (r) =>
        which === 'object' ? { ...r, verified: true } : { ...r, verifiedParts: [...new Set([...r.verifiedParts, which])] },
      );
      return;
    }
    this.counters.md5Failures++;
    const what = which === 'object' ? 'object' : `part ${which + 1}`;
    log.warn({ object: obj.id, offset, length }, `cached ${what} of object ${obj.id} failed its MD5 check; dropped, it will be fetched again`);
    await this.evict(okey, offset, length);
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

