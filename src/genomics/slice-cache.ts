// Slicers (a parsed header and index per data file) and plans (per region) cost reads to make and are
// cheap to keep: LRUs bounded by their bytes, with concurrent requests for one key sharing one making.
import { LRUCache } from 'lru-cache';
import { segmentLength, type SlicePlan } from './slice-plan.js';
import type { Slicer } from './slicer.js';

export class AsyncLru<T extends object> {
  private readonly values: LRUCache<string, T>;
  private readonly inflight = new Map<string, Promise<T>>();

  constructor(
    private readonly maxBytes: number,
    private readonly bytesOf: (value: T) => number,
  ) {
    this.values = new LRUCache({ maxSize: maxBytes, sizeCalculation: (v) => Math.max(1, bytesOf(v)) });
  }

  /** The value cached under key, or make() it; failures are not cached, so the next get tries again. */
  get(key: string, make: () => Promise<T>): Promise<T> {
    const cached = this.values.get(key);
    if (cached) return Promise.resolve(cached);
    let pending = this.inflight.get(key);
    if (!pending) {
      pending = make()
        .then((value) => {
          // A value bigger than the whole cache is still returned, just not kept.
          if (this.bytesOf(value) <= this.maxBytes) this.values.set(key, value);
          return value;
        })
        .finally(() => this.inflight.delete(key));
      this.inflight.set(key, pending);
    }
    return pending;
  }
}

export function planBytes(plan: SlicePlan): number {
  let bytes = plan.index.length + 256;
  for (const s of plan.segments) bytes += 64 + (s.kind === 'bytes' ? segmentLength(s) : 0);
  return bytes;
}

/** One cache of each for every slice directory of a mount. */
export const sharedPlans = new AsyncLru<SlicePlan>(64 * 1024 * 1024, planBytes);
export const sharedSlicers = new AsyncLru<Slicer>(256 * 1024 * 1024, (s) => s.memoryBytes);
