// BlockCache options and their defaults, resolved once at open.
import type { RangeSource } from '../model.js';
import { prefetchSlots } from './fetch-scheduler.js';

export interface BlockCacheOptions {
  /** Cache directory (created); only src/cache touches it. */
  dir: string;
  /** Create the cache when there is none (default); false: NotFound (commands that only read a cache). */
  create?: boolean;
  /** Where missing bytes come from. */
  source: RangeSource;
  /** Cache block size; default 1 MiB. Changing it starts a fresh layout (blocks are keyed by it). */
  blockSize?: number;
  /**
   * Memory tier size, bytes; default 64 MiB; 0 disables the memory tier. Mounted files also sit in
   * the kernel's page cache, so a large tier would mostly hold a second copy.
   */
  memoryBytes?: number;
  /** Disk tier size (`--cache-size`), bytes; default 10 GiB; 0 = memory only (nothing written). */
  diskBytes?: number;
  /** Free space kept on the cache's filesystem; default max(1 GiB, 5% of it). */
  minFreeBytes?: number;
  /** How long a demand read may wait for the network; default 60 s (ReadOptions.deadline overrides). */
  readDeadlineMs?: number;
  /** Largest coalesced range GET; default 16 MiB. */
  maxFetchBytes?: number;
  /** Range GETs in flight at once (the HTTP client's connections per origin); default 16. */
  fetchConcurrency?: number;
  /**
   * Largest range GET of a prefetch, block-aligned. A prefetch window goes out as several such GETs at
   * once, so that a cap on each connection does not bound a sequential read; default: the largest
   * window split over the connections prefetch may use, at most 4 MiB.
   */
  transferChunkBytes?: number;
  /**
   * Largest prefetch window of one stream; default a transfer chunk per connection prefetch may use,
   * all but one (60 MiB with 16; 32–256 MiB), whatever the memory tier: a prefetched block the tier
   * drops before its reader comes is read back from the disk tier, where it was written on arrival,
   * not fetched again.
   */
  prefetchMaxBytes?: number;
  /** Prefetched bytes asked for and not yet arrived, over all streams; default twice the window. */
  prefetchBudgetBytes?: number;
}

export const MiB = 1024 * 1024;
export const GiB = 1024 * MiB;
/** The disk tier's size when none is given. */
export const DEFAULT_DISK_BYTES = 10 * GiB;
/** Largest prefetch GET by default: at 40 MB/s and 60 ms of round trip, 4 MiB spend 64 % of their time moving bytes. */
const TRANSFER_CHUNK = 4 * MiB;
/** The default window grows with --connections between these. */
const MIN_DEFAULT_WINDOW = 32 * MiB;
const MAX_DEFAULT_WINDOW = 256 * MiB;

export type ResolvedOptions = Required<Omit<BlockCacheOptions, 'minFreeBytes' | 'create'>> & { minFreeBytes: number | undefined };

export function resolveOptions(o: BlockCacheOptions): ResolvedOptions {
  const memoryBytes = o.memoryBytes ?? 64 * MiB;
  const r: ResolvedOptions = {
    dir: o.dir,
    source: o.source,
    blockSize: o.blockSize ?? MiB,
    memoryBytes,
    diskBytes: o.diskBytes ?? DEFAULT_DISK_BYTES,
    minFreeBytes: o.minFreeBytes,
    readDeadlineMs: o.readDeadlineMs ?? 60_000,
    maxFetchBytes: o.maxFetchBytes ?? 16 * MiB,
    fetchConcurrency: Math.max(1, o.fetchConcurrency ?? 16),
    transferChunkBytes: 0,
    prefetchMaxBytes: 0,
    prefetchBudgetBytes: 0,
  };
  if (!Number.isInteger(r.blockSize) || r.blockSize < 4096) throw new RangeError('blockSize must be an integer ≥ 4096');
  if (r.maxFetchBytes < r.blockSize) r.maxFetchBytes = r.blockSize;
  // Enough to keep every connection prefetch may use (prefetchSlots: all but one) busy with a GET
  // of TRANSFER_CHUNK (on a link that caps each connection, the bytes in flight set the throughput),
  // and enough for whole-chunk GETs back to back with few connections. No more: a window that cannot
  // be in flight only takes room in the memory tier (with the default tier, the 4 MiB more evicted
  // blocks just ahead of the reader, which then came back from disk).
  const prefetchConnections = prefetchSlots(r.fetchConcurrency);
  r.prefetchMaxBytes = o.prefetchMaxBytes ?? Math.min(MAX_DEFAULT_WINDOW, Math.max(MIN_DEFAULT_WINDOW, prefetchConnections * TRANSFER_CHUNK));
  r.prefetchBudgetBytes = o.prefetchBudgetBytes ?? 2 * r.prefetchMaxBytes;
  const chunk = o.transferChunkBytes ?? Math.min(TRANSFER_CHUNK, r.prefetchMaxBytes / prefetchConnections);
  r.transferChunkBytes = Math.max(r.blockSize, Math.floor(chunk / r.blockSize) * r.blockSize);
  return r;
}
