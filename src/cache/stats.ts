// The cache's counters (JSON-able), as shown by /.scorefs/stats.json and `scorefs cache stats`.

export interface Counters {
  bytesRead: number;
  bytesFromMemory: number;
  bytesFromDisk: number;
  bytesFromNetwork: number;
  networkRequests: number;
  networkBytes: number;
  prefetchRequests: number;
  prefetchBytes: number;
  checksumFailures: number;
  /** Indexed blocks whose file was gone. */
  missingBlocks: number;
  md5Failures: number;
  partsVerified: number;
  objectsVerified: number;
  /** Bytes read back and hashed by MD5 checks (a sequentially read object is hashed once). */
  bytesHashed: number;
  evictions: number;
  diskWriteErrors: number;
  /** Block writes not attempted: no room under the cap/floor, or too many queued. */
  diskWritesSkipped: number;
  orphansRemoved: number;
  readErrors: number;
}

export interface CacheStats extends Counters {
  diskBytes: number;
  diskBlocks: number;
  memoryBytes: number;
  /** Small ranges of random reads held in memory (see small-ranges.ts). */
  smallRangeBytes: number;
  /** Block buffers reused from the pool instead of allocated. */
  buffersReused: number;
  pinnedBytes: number;
  diskCapacityBytes: number;
  memoryCapacityBytes: number;
  /** Range GETs running now, and the most that ever ran at once. */
  fetchesInFlight: number;
  fetchesInFlightPeak: number;
  /** Prefetch GETs the adaptive limit allows at once now (see AdaptiveLimit). */
  prefetchLimit: number;
  /** The RangeSource's own counters, when it has stats(). */
  source?: unknown;
}

export function newCounters(): Counters {
  return {
    bytesRead: 0,
    bytesFromMemory: 0,
    bytesFromDisk: 0,
    bytesFromNetwork: 0,
    networkRequests: 0,
    networkBytes: 0,
    prefetchRequests: 0,
    prefetchBytes: 0,
    checksumFailures: 0,
    missingBlocks: 0,
    md5Failures: 0,
    partsVerified: 0,
    objectsVerified: 0,
    bytesHashed: 0,
    evictions: 0,
    diskWriteErrors: 0,
    diskWritesSkipped: 0,
    orphansRemoved: 0,
    readErrors: 0,
  };
}
