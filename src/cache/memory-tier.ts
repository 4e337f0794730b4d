// The memory tier: recently used blocks, bounded by bytes (lru-cache). Size 0 turns it off. Each
// block it keeps is held in the buffer pool, and released when it leaves.
import { LRUCache } from 'lru-cache';
import type { BlockBufferPool } from './buffer-pool.js';

export class MemoryTier {
  private readonly lru: LRUCache<string, Buffer> | undefined;

  constructor(
    readonly capacity: number,
    private readonly pool: BlockBufferPool,
  ) {
    this.lru =
      capacity > 0
        ? new LRUCache<string, Buffer>({ maxSize: capacity, sizeCalculation: (b) => Math.max(1, b.length), dispose: (b) => pool.release(b) })
        : undefined;
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
    if (!this.lru) return;
    const key = `${okey}:${n}`;
    if (this.lru.peek(key) === bytes) return;
    this.pool.hold(bytes);
    this.lru.set(key, bytes);
  }

  delete(okey: string, n: number): void {
    this.lru?.delete(`${okey}:${n}`);
  }

  /** Drops every block (close). */
  clear(): void {
    this.lru?.clear();
  }

  /** Drops every block of the objects for which `matches(okey)` holds. */
  deleteObjects(matches: (okey: string) => boolean): void {
    if (!this.lru) return;
    for (const key of [...this.lru.keys()]) if (matches(key.slice(0, key.indexOf(':')))) this.lru.delete(key);
  }
}
