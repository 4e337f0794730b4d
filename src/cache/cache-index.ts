// The disk tier's index in LevelDB: which blocks exist (size, crc32, last use, pinned), the objects
// they belong to, running totals, and the catalog snapshot. Small ranges kept on disk are blocks here,
// numbered apart (range-units.ts). Totals are written in the same batch as
// the blocks they count, so they survive kill -9 consistent with the records; opening reads them
// instead of scanning. Last-use times are collected in memory and written in batches.
import { Level } from 'level';
import { LRUCache } from 'lru-cache';
import { Unavailable } from '../errors.js';
import type { Catalog, CatalogFile, ObjectIdentity } from '../model.js';
import { isRangeUnit, RANGE_UNIT_BASE, rangeStart } from './range-units.js';

/** Another process holds the index open (LevelDB's lock). */
export class CacheIndexInUse extends Unavailable {}

export interface BlockRecord {
  /** size in bytes */ s: number;
  /** crc32 of the bytes */ c: number;
  /** last use, epoch millis */ t: number;
  /** pinned: evicted only after every unpinned block */ p: 0 | 1;
}

export interface ObjectRecord {
  obj: ObjectIdentity;
  blockSize: number;
  /** Indexes of obj.parts whose MD5 matched the cached bytes. */
  verifiedParts: number[];
  /** The whole-object MD5 matched the cached bytes. */
  verified: boolean;
}

export interface Usage {
  bytes: number;
  blocks: number;
  pinnedBytes: number;
}

export interface BlockRef {
  okey: string;
  n: number;
}

/** An access lease (access-leases.ts): until when a token may read an object offline. */
interface LeaseRecord {
  until: number;
}

/**
 * The catalog snapshot's head: its entries are under `m!catalog!<generation>!<chunk>`, CATALOG_CHUNK to
 * a key. (A snapshot written whole, as a Catalog, by an earlier scorefs is still read.)
 */
interface CatalogHead {
  fetchedAt: number;
  server?: string;
  generation: number;
  chunks: number;
}

/**
 * A catalog file in a snapshot chunk: its fields in this order, without their names (which would be half
 * of a 100,000-entry snapshot). Chunks of an earlier scorefs hold CatalogFile objects and are still read.
 */
type SnapshotRow = [
  id: string,
  size: number,
  lastModified: number,
  md5: string | null,
  studyId: string,
  analysisId: string,
  fileName: string,
  access: CatalogFile['access'],
  parts?: CatalogFile['parts'],
];

const toRow = (f: CatalogFile): SnapshotRow => {
  const row: SnapshotRow = [f.id, f.size, f.lastModified, f.md5, f.studyId, f.analysisId, f.fileName, f.access];
  if (f.parts) row.push(f.parts);
  return row;
};

const fromRow = (r: SnapshotRow | CatalogFile): CatalogFile => {
  if (!Array.isArray(r)) return r;
  const [id, size, lastModified, md5, studyId, analysisId, fileName, access, parts] = r;
  return { id, size, lastModified, md5, studyId, analysisId, fileName, access, ...(parts ? { parts } : {}) };
};

type Value = BlockRecord | ObjectRecord | Usage | Catalog | CatalogHead | Array<SnapshotRow | CatalogFile> | LeaseRecord | number | '';
type Op = { type: 'put'; key: string; value: Value } | { type: 'del'; key: string };

const USAGE = 'm!usage';
const CATALOG = 'm!catalog';
const SEGMENT_BYTES = 'm!segment-bytes';
/** Entries per key: leveldb holds a value whole in memory while it writes it, and 100,000 entries are ~10 MB. */
const CATALOG_CHUNK = 2000;
const catalogChunkKey = (generation: number, chunk: number) => `${CATALOG}!${pad(generation, 14)}!${pad(chunk, 6)}`;
const pad = (n: number, w: number) => String(n).padStart(w, '0');
const blockKey = (okey: string, n: number) => `b!${okey}!${pad(n, 10)}`;
const lruKey = (okey: string, n: number, r: BlockRecord) => `l!${r.p}!${pad(r.t, 14)}!${okey}!${pad(n, 10)}`;
const objKey = (okey: string) => `o!${okey}`;
const leaseKey = (fingerprint: string, objectId: string) => `a!${fingerprint}!${objectId}`;

export class CacheIndex {
  /** Running totals of indexed blocks (as last committed). */
  readonly usage: Usage;
  // `max` preallocates its slots (30-100 ms per open). The same bound as `maxSize` without them made cold
  // reads ~12 % slower and costlier in CPU (5.2 -> 6.2 s/GiB) in an interleaved A/B (scripts/bench-ab.sh).
  private readonly records = new LRUCache<string, BlockRecord>({ max: 200_000 });
  private readonly touched = new Map<string, { ref: BlockRef; t: number }>();
  /**
   * The block numbers of objects first seen with no block at all (newObject): every block of theirs
   * is indexed by this process, so a block missing here needs no lookup (a cold read's every block).
   */
  private readonly known = new Map<string, Set<number>>();
  /** Objects whose record was looked for (see getBlock). */
  private readonly probed = new Set<string>();
  private chain: Promise<unknown> = Promise.resolve();
  /** Catalog snapshots are written one at a time, apart from the block index's exclusive sections. */
  private catalogSaves: Promise<void> = Promise.resolve();

  private constructor(private readonly db: Level<string, Value>, usage: Usage | undefined) {
    this.usage = usage ?? { bytes: 0, blocks: 0, pinnedBytes: 0 };
  }

  static async open(location: string): Promise<CacheIndex> {
    const db = new Level<string, Value>(location, { valueEncoding: 'json' });
    try {
      await db.open();
    } catch (err) {
      const why = String((err as { cause?: unknown }).cause ?? err);
      if (/lock/i.test(why)) throw new CacheIndexInUse(`cache index ${location} is in use by another scorefs process`, { cause: err });
      throw new Unavailable(`cannot open cache index ${location}: ${why}`, { cause: err });
    }
    return new CacheIndex(db, (await db.get(USAGE)) as Usage | undefined);
  }

  /**
   * The bytes of a segment file (block-files.ts): those the cached blocks were laid out by, or
   * `initial` while the cache holds no block (new, or cleared).
   */
  async segmentBytes(initial: number): Promise<number> {
    const kept = (await this.db.get(SEGMENT_BYTES)) as number | undefined;
    if (kept !== undefined && this.usage.blocks > 0) return kept;
    if (kept !== initial) await this.db.put(SEGMENT_BYTES, initial);
    return initial;
  }

  /** Runs `fn` after every earlier exclusive section: all index mutations go through here. */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn, fn);
    this.chain = run.catch(() => undefined);
    return run;
  }

  async getBlock(okey: string, n: number): Promise<BlockRecord | undefined> {
    const key = blockKey(okey, n);
    const hit = this.records.get(key);
    if (hit) return hit;
    if (!this.known.has(okey) && !this.probed.has(okey)) {
      // One look for the object's record spares a look per block of an object that has none (one read
      // only in small ranges, such as a BAM queried by region): no record, no block.
      this.probed.add(okey);
      if ((await this.getObject(okey)) === undefined) this.newObject(okey);
    }
    if (this.known.get(okey)?.has(n) === false) return undefined;
    const rec = (await this.db.get(key)) as BlockRecord | undefined;
    if (rec) this.records.set(key, rec);
    return rec;
  }

  /** Call inside exclusive(). `object` is written too when given (first block of an object, flag changes). */
  async addBlock(ref: BlockRef, rec: BlockRecord, object?: ObjectRecord): Promise<void> {
    await this.addBlocks([{ ref, rec, ...(object ? { object } : {}) }]);
  }

  /** Call inside exclusive(). Several blocks (and their object records) in one batch. */
  async addBlocks(entries: Array<{ ref: BlockRef; rec: BlockRecord; object?: ObjectRecord }>): Promise<void> {
    if (entries.length === 0) return;
    const ops: Op[] = [];
    const olds = await Promise.all(entries.map((e) => this.getBlock(e.ref.okey, e.ref.n)));
    const next = { ...this.usage };
    entries.forEach(({ ref, rec, object }, i) => {
      const old = olds[i];
      if (old) {
        ops.push({ type: 'del', key: lruKey(ref.okey, ref.n, old) });
        next.bytes -= old.s;
        next.blocks -= 1;
        if (old.p) next.pinnedBytes -= old.s;
      }
      next.bytes += rec.s;
      next.blocks += 1;
      if (rec.p) next.pinnedBytes += rec.s;
      ops.push({ type: 'put', key: blockKey(ref.okey, ref.n), value: rec }, { type: 'put', key: lruKey(ref.okey, ref.n, rec), value: '' });
      if (object) ops.push({ type: 'put', key: objKey(ref.okey), value: object });
    });
    ops.push({ type: 'put', key: USAGE, value: next });
    await this.db.batch(ops);
    for (const { ref, rec } of entries) {
      this.records.set(blockKey(ref.okey, ref.n), rec);
      this.known.get(ref.okey)?.add(ref.n);
    }
    Object.assign(this.usage, next);
  }

  /** Call inside exclusive(). Returns the records that existed. */
  async removeBlocks(refs: BlockRef[]): Promise<BlockRecord[]> {
    const ops: Op[] = [];
    const removed: BlockRecord[] = [];
    const next = { ...this.usage };
    for (const ref of refs) {
      const rec = await this.getBlock(ref.okey, ref.n);
      if (!rec) continue;
      removed.push(rec);
      ops.push({ type: 'del', key: blockKey(ref.okey, ref.n) }, { type: 'del', key: lruKey(ref.okey, ref.n, rec) });
      next.bytes -= rec.s;
      next.blocks -= 1;
      if (rec.p) next.pinnedBytes -= rec.s;
    }
    if (ops.length === 0) return removed;
    ops.push({ type: 'put', key: USAGE, value: next });
    await this.db.batch(ops);
    for (const ref of refs) {
      this.records.delete(blockKey(ref.okey, ref.n));
      this.touched.delete(blockKey(ref.okey, ref.n));
      this.known.get(ref.okey)?.delete(ref.n);
    }
    Object.assign(this.usage, next);
    return removed;
  }

  /** Call inside exclusive(). */
  async setPinned(ref: BlockRef): Promise<void> {
    const rec = await this.getBlock(ref.okey, ref.n);
    if (!rec || rec.p) return;
    await this.addBlock(ref, { ...rec, p: 1, t: Date.now() });
  }

  /** Notes a use; written with the next flush. */
  touch(ref: BlockRef): void {
    this.touched.set(blockKey(ref.okey, ref.n), { ref, t: Date.now() });
  }

  /** Call inside exclusive(). Writes the noted uses in one batch. */
  async flushTouches(): Promise<void> {
    if (this.touched.size === 0) return;
    const batch = [...this.touched.values()];
    this.touched.clear();
    const ops: Op[] = [];
    const updated: Array<[string, BlockRecord]> = [];
    for (const { ref, t } of batch) {
      const rec = await this.getBlock(ref.okey, ref.n);
      if (!rec || rec.t >= t) continue;
      const next = { ...rec, t };
      ops.push({ type: 'del', key: lruKey(ref.okey, ref.n, rec) }, { type: 'put', key: lruKey(ref.okey, ref.n, next), value: '' });
      ops.push({ type: 'put', key: blockKey(ref.okey, ref.n), value: next });
      updated.push([blockKey(ref.okey, ref.n), next]);
    }
    if (ops.length === 0) return;
    await this.db.batch(ops);
    for (const [k, r] of updated) this.records.set(k, r);
  }

  /** Least recently used blocks, unpinned ones or pinned ones. */
  async oldest(limit: number, pinned: boolean): Promise<BlockRef[]> {
    const refs: BlockRef[] = [];
    const prefix = `l!${pinned ? 1 : 0}!`;
    for await (const key of this.db.keys({ gt: prefix, lt: `${prefix}~`, limit })) {
      const [, , , okey, n] = key.split('!');
      refs.push({ okey: okey!, n: Number(n) });
    }
    return refs;
  }

  async getObject(okey: string): Promise<ObjectRecord | undefined> {
    return (await this.db.get(objKey(okey))) as ObjectRecord | undefined;
  }

  /** Notes an object that has no record in the index, hence no block (its record comes with its first). */
  newObject(okey: string): void {
    if (!this.known.has(okey)) this.known.set(okey, new Set());
  }

  /** Call inside exclusive(). */
  async putObject(okey: string, rec: ObjectRecord): Promise<void> {
    await this.db.put(objKey(okey), rec);
  }

  /** Call inside exclusive(), after its blocks are removed. */
  async deleteObject(okey: string): Promise<void> {
    await this.db.del(objKey(okey));
    this.known.delete(okey);
    this.probed.delete(okey);
  }

  async *objects(): AsyncGenerator<[string, ObjectRecord]> {
    for await (const [key, value] of this.db.iterator({ gt: 'o!', lt: 'o!~' })) yield [key.slice(2), value as ObjectRecord];
  }

  /** Block numbers and records of one object, in order. */
  async *blocksOf(okey: string): AsyncGenerator<[number, BlockRecord]> {
    for await (const [key, value] of this.db.iterator({ gt: `b!${okey}!`, lt: `b!${okey}!~` })) {
      yield [Number(key.slice(key.lastIndexOf('!') + 1)), value as BlockRecord];
    }
  }

  /** The small ranges of okey on disk (see range-units.ts), in order of their start. */
  async rangesOf(okey: string): Promise<Array<{ start: number; size: number }>> {
    const known = this.known.get(okey);
    if (known ? ![...known].some(isRangeUnit) : (await this.getObject(okey)) === undefined) return [];
    const out = [];
    for await (const [key, value] of this.db.iterator({ gte: blockKey(okey, RANGE_UNIT_BASE), lt: `b!${okey}!~` })) {
      const n = Number(key.slice(key.lastIndexOf('!') + 1));
      if (!isRangeUnit(n)) continue;
      out.push({ start: rangeStart(n), size: (value as BlockRecord).s });
      this.records.set(key, value as BlockRecord); // read next: no lookup of its own
    }
    return out;
  }

  async hasBlock(okey: string, n: number): Promise<boolean> {
    return (await this.getBlock(okey, n)) !== undefined;
  }

  /** Whether any of the blocks ns of okey is indexed (the units of one file). */
  async hasAnyBlock(okey: string, ns: number[]): Promise<boolean> {
    for (const n of ns) if (await this.hasBlock(okey, n)) return true;
    return false;
  }

  async getLease(fingerprint: string, objectId: string): Promise<number | undefined> {
    return ((await this.db.get(leaseKey(fingerprint, objectId))) as LeaseRecord | undefined)?.until;
  }

  /** Call inside exclusive(). */
  async putLease(fingerprint: string, objectId: string, until: number): Promise<void> {
    await this.db.put(leaseKey(fingerprint, objectId), { until });
  }

  /** Call inside exclusive(). */
  async deleteLease(fingerprint: string, objectId: string): Promise<void> {
    await this.db.del(leaseKey(fingerprint, objectId));
  }

  /** Call inside exclusive(). Drops every token's leases that ended by `now` (they let nothing be read); how many. */
  async dropEndedLeases(now: number): Promise<number> {
    const ops: Op[] = [];
    for await (const [key, value] of this.db.iterator({ gt: 'a!', lt: 'a!~' })) if ((value as LeaseRecord).until <= now) ops.push({ type: 'del', key });
    if (ops.length > 0) await this.db.batch(ops);
    return ops.length;
  }

  /** Writes the new snapshot's chunks, then its head (the switch), then drops every other snapshot's chunks. */
  saveCatalog(c: Catalog): Promise<void> {
    const save = async (): Promise<void> => {
      const before = (await this.db.get(CATALOG)) as CatalogHead | Catalog | undefined;
      const generation = Math.max(Date.now(), before && 'generation' in before ? before.generation + 1 : 0);
      const chunks = Math.ceil(c.files.length / CATALOG_CHUNK);
      for (let i = 0; i < chunks; i++) await this.db.put(catalogChunkKey(generation, i), c.files.slice(i * CATALOG_CHUNK, (i + 1) * CATALOG_CHUNK).map(toRow));
      const head: CatalogHead = { fetchedAt: c.fetchedAt, ...(c.server ? { server: c.server } : {}), generation, chunks };
      await this.db.put(CATALOG, head);
      const current = `${CATALOG}!${pad(generation, 14)}!`;
      await this.db.clear({ gt: `${CATALOG}!`, lt: current });
      await this.db.clear({ gt: `${current}~`, lt: `${CATALOG}!~` });
    };
    this.catalogSaves = this.catalogSaves.catch(() => undefined).then(save);
    return this.catalogSaves;
  }

  /** The snapshot, or with `keep` only the files it keeps (the others are dropped chunk by chunk). */
  async loadCatalog(keep: (f: CatalogFile) => boolean = () => true): Promise<Catalog | undefined> {
    const head = (await this.db.get(CATALOG)) as CatalogHead | Catalog | undefined;
    if (!head) return undefined;
    if ('files' in head) return { ...head, files: (head.files as Array<SnapshotRow | CatalogFile>).map(fromRow).filter(keep) };
    const files: CatalogFile[] = [];
    for (let i = 0; i < head.chunks; i++) {
      const chunk = (await this.db.get(catalogChunkKey(head.generation, i))) as Array<SnapshotRow | CatalogFile> | undefined;
      if (!chunk) return undefined; // not whole: no snapshot rather than part of one
      for (const row of chunk) {
        const f = fromRow(row);
        if (keep(f)) files.push(f);
      }
    }
    return { files, fetchedAt: head.fetchedAt, ...(head.server ? { server: head.server } : {}) };
  }

  async close(): Promise<void> {
    // Last-use times are a hint: losing them (e.g. to a full disk) must not keep the index open.
    await this.exclusive(() => this.flushTouches()).catch(() => undefined);
    await this.db.close();
  }
}
