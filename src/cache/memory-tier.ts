// The memory tier: recently used blocks, bounded by bytes (lru-cache). Size 0 turns it off.
import { LRUCache } from 'lru-cache';

export class MemoryTier {
  private readonly lru: LRUCache<string, Buffer> | undefined;

  constructor(readonly capacity: number) {
    this.lru = capacity > 0 ? new LRUCache<string, Buffer>({ maxSize: capacity, sizeCalculation: (b) => Math.max(1, b.length) }) : undefined;
  }

  get enabled(): boolean {
    return this.lru !== undefined;
  }

  get bytes(): number {
    return this.lru?.calculatedSize ?? 0;
  }

  get(okey: string, n: number, opts: { touch?: boolean } = {}): Buffer | undefined {
    return opts.touch === false ? this.lru?.peek(`${okey}:${n}`) : this.lru?.get(`${okey}:${n}`);
  }

  set(okey: string, n: number, bytes: Buffer): void {
    this.lru?.set(`${okey}:${n}`, bytes);
  }

  delete(okey: string, n: number): void {
    this.lru?.delete(`${okey}:${n}`);
  }

  /** Drops every block of the objects for which `matches(okey)` holds. */
  deleteObjects(matches: (okey: string) => boolean): void {
    if (!this.lru) return;
    for (const key of [...this.lru.keys()]) if (matches(key.slice(0, key.indexOf(':')))) this.lru.delete(key);
  }
}
