// The mount's Prometheus metrics: the numbers of the stats document (/.scorefs/stats.json), each
// declared here as a counter or a gauge and read fresh on every scrape, a histogram of FUSE read
// latency fed by the FUSE layer as reads complete, and the process's own (CPU, memory, event loop).
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { CacheStats } from '../cache/stats.js';
import type { RangeSourceStats } from '../score/range-source.js';

interface Declared {
  name: string;
  kind: 'counter' | 'gauge';
  help: string;
}

const counter = (name: string, help: string): Declared => ({ name, kind: 'counter', help });
const gauge = (name: string, help: string): Declared => ({ name, kind: 'gauge', help });

/** The mount's own fields of the stats document. */
const MOUNT_METRICS: Readonly<Record<string, Declared>> = {
  files: gauge('scorefs_files', 'Files in the mounted catalog.'),
  bytesRead: counter('scorefs_bytes_read_total', 'Bytes handed to readers.'),
  bytesFromMemory: counter('scorefs_bytes_from_memory_total', 'Bytes handed to readers from the memory cache.'),
  bytesFromDisk: counter('scorefs_bytes_from_disk_total', 'Bytes handed to readers from the disk cache.'),
  bytesFromNetwork: counter('scorefs_bytes_from_network_total', 'Bytes handed to readers that were fetched from the object store.'),
  requests: counter('scorefs_requests_total', 'HTTP range requests to the object store.'),
  retries: counter('scorefs_retries_total', 'Range requests tried again after a transient failure.'),
  errors: counter('scorefs_errors_total', 'Reads that failed (EIO, EACCES, ...); each has a line in the log.'),
  cacheBytes: gauge('scorefs_cache_bytes', 'Bytes in the disk cache.'),
  cacheCapacityBytes: gauge('scorefs_cache_capacity_bytes', 'Bound of the disk cache, bytes.'),
};

/** Every field of the cache's stats (`cache` in the document): a new one does not compile until declared here. */
const CACHE_METRICS: { readonly [K in keyof Omit<CacheStats, 'source'>]: Declared } = {
  bytesRead: counter('scorefs_cache_bytes_read_total', 'Bytes read through the block cache.'),
  bytesFromMemory: counter('scorefs_cache_bytes_from_memory_total', 'Of those, bytes from memory.'),
  bytesFromDisk: counter('scorefs_cache_bytes_from_disk_total', 'Of those, bytes from disk.'),
  bytesFromNetwork: counter('scorefs_cache_bytes_from_network_total', 'Of those, bytes from the network.'),
  networkRequests: counter('scorefs_cache_network_requests_total', 'Block fetches from the object store.'),
  networkBytes: counter('scorefs_cache_network_bytes_total', 'Bytes fetched from the object store, prefetch included.'),
  prefetchRequests: counter('scorefs_cache_prefetch_requests_total', 'Block fetches ahead of a sequential reader.'),
  prefetchBytes: counter('scorefs_cache_prefetch_bytes_total', 'Bytes fetched ahead of a sequential reader.'),
  checksumFailures: counter('scorefs_cache_checksum_failures_total', 'Cached blocks whose checksum failed (fetched again).'),
  missingBlocks: counter('scorefs_cache_missing_blocks_total', 'Indexed blocks whose file was gone.'),
  md5Failures: counter('scorefs_cache_md5_failures_total', 'Cached objects or parts whose MD5 failed (fetched again).'),
  partsVerified: counter('scorefs_cache_parts_verified_total', 'Parts whose MD5 was checked.'),
  objectsVerified: counter('scorefs_cache_objects_verified_total', 'Objects whose MD5 was checked.'),
  bytesHashed: counter('scorefs_cache_bytes_hashed_total', 'Bytes read back and hashed by MD5 checks.'),
  evictions: counter('scorefs_cache_evictions_total', 'Blocks evicted from the disk cache.'),
  diskWriteErrors: counter('scorefs_cache_disk_write_errors_total', 'Block writes to the disk cache that failed.'),
  diskWritesSkipped: counter('scorefs_cache_disk_writes_skipped_total', 'Blocks not cached: no room under the cap or floor, or too many writes queued.'),
  orphansRemoved: counter('scorefs_cache_orphans_removed_total', 'Block files without an index entry, removed.'),
  readErrors: counter('scorefs_cache_read_errors_total', 'Reads through the block cache that failed.'),
  buffersReused: counter('scorefs_cache_buffers_reused_total', 'Block buffers reused from the pool instead of allocated.'),
  diskBytes: gauge('scorefs_cache_disk_bytes', 'Bytes in the disk cache.'),
  diskBlocks: gauge('scorefs_cache_disk_blocks', 'Blocks (and small ranges) in the disk cache.'),
  pinnedBytes: gauge('scorefs_cache_pinned_bytes', 'Bytes of disk cache held by open readers (not evictable).'),
  memoryBytes: gauge('scorefs_cache_memory_bytes', 'Bytes in the memory cache.'),
  smallRangeBytes: gauge('scorefs_cache_small_range_bytes', 'Bytes of small ranges fetched for random reads, held in memory.'),
  diskCapacityBytes: gauge('scorefs_cache_disk_capacity_bytes', 'Bound of the disk cache, bytes.'),
  memoryCapacityBytes: gauge('scorefs_cache_memory_capacity_bytes', 'Bound of the memory cache, bytes.'),
  fetchesInFlight: gauge('scorefs_cache_fetches_in_flight', 'Range GETs to the object store under way now.'),
  fetchesInFlightPeak: gauge('scorefs_cache_fetches_in_flight_peak', 'The most range GETs under way at once since the mount.'),
  prefetchLimit: gauge('scorefs_cache_prefetch_limit', 'Range GETs prefetch may have in flight now (adapted to what the link gives).'),
};

/** Every field of the Score range source's stats (`cache.source`). */
const SOURCE_METRICS: { readonly [K in keyof RangeSourceStats]: Declared } = {
  requests: counter('scorefs_cache_source_requests_total', 'HTTP requests to the object store.'),
  retries: counter('scorefs_cache_source_retries_total', 'Tries repeated after a transient failure.'),
  refreshes: counter('scorefs_cache_source_refreshes_total', 'Presigned URLs fetched again (expired or refused).'),
  bytesFetched: counter('scorefs_cache_source_bytes_fetched_total', 'Object bytes received.'),
  errors: counter('scorefs_cache_source_errors_total', 'Range fetches that failed.'),
};

/** Seconds: a memory hit takes tens of microseconds, a fetch from a slow store seconds. */
const READ_SECONDS_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** Bytes: what samtools asks for at random (4–64 KiB) up to what a mount's requests may hold. */
const READ_SIZE_BUCKETS = [4096, 16384, 65536, 131072, 262144, 524288, 1048576];

export class MountMetrics {
  /** Metrics that live as long as the mount (histograms); the stats are registered per scrape. */
  private readonly registry = new Registry();
  private readonly fuseReads = new Histogram({
    name: 'scorefs_fuse_read_duration_seconds',
    help: 'FUSE read requests, from reaching scorefs to their answer, by result (ok or error).',
    labelNames: ['result'] as const,
    buckets: READ_SECONDS_BUCKETS,
    registers: [this.registry],
  });

  private readonly fuseReadSizes = new Histogram({
    name: 'scorefs_fuse_read_size_bytes',
    help: 'Bytes the kernel asked for in each FUSE read request: at most 128 KiB, or 1 MiB with fuse-max-pages.so and a readahead of 1 MiB or more.',
    buckets: READ_SIZE_BUCKETS,
    registers: [this.registry],
  });

  constructor(private readonly stats: () => object | Promise<object>) {}

  /**
   * Adds the daemon's own process and runtime metrics (`process_cpu_seconds_total`,
   * `process_resident_memory_bytes`, `nodejs_heap_size_used_bytes`, `nodejs_external_memory_bytes`,
   * event loop lag, GC): what the mount costs the machine. Only when metrics are served: the event
   * loop lag is sampled every few milliseconds.
   */
  withProcessMetrics(): this {
    collectDefaultMetrics({ register: this.registry });
    return this;
  }

  /** The Content-Type of render()'s text. */
  get contentType(): string {
    return this.registry.contentType;
  }

  /** Records one FUSE read; FuseMount calls this as each read completes. */
  readonly observeRead = (seconds: number, ok: boolean, length: number): void => {
    this.fuseReads.observe({ result: ok ? 'ok' : 'error' }, seconds);
    this.fuseReadSizes.observe(length);
  };

  /** Prometheus text of the stats as they are now, and of the histograms. */
  async render(): Promise<string> {
    const doc = await this.stats();
    const scrape = new Registry();
    const registers = [scrape];
    const mode = valueAt(doc, 'mode');
    if (typeof mode === 'string') {
      const help = 'The mount mode (online, or offline when mounted from the cached listing): 1 on the label of the current one.';
      new Gauge({ name: 'scorefs_mode', help, labelNames: ['mode'], registers }).set({ mode }, 1);
    }
    const fetchedAt = Date.parse(String(valueAt(doc, 'catalogFetchedAt')));
    if (Number.isFinite(fetchedAt)) {
      const help = 'When the mounted catalog was fetched from the server, Unix time.';
      new Gauge({ name: 'scorefs_catalog_fetched_at_timestamp_seconds', help, registers }).set(fetchedAt / 1000);
    }
    const cache = valueAt(doc, 'cache');
    for (const [fields, declared] of [
      [doc, MOUNT_METRICS],
      [cache, CACHE_METRICS],
      [valueAt(cache, 'source'), SOURCE_METRICS],
    ] as const) {
      for (const [field, m] of Object.entries(declared)) {
        const value = valueAt(fields, field);
        if (typeof value !== 'number' || !Number.isFinite(value)) continue;
        if (m.kind === 'counter') new Counter({ name: m.name, help: m.help, registers }).inc(value);
        else new Gauge({ name: m.name, help: m.help, registers }).set(value);
      }
    }
    return Registry.merge([scrape, this.registry]).metrics();
  }
}

function valueAt(doc: unknown, field: string): unknown {
  return doc !== null && typeof doc === 'object' ? (doc as Record<string, unknown>)[field] : undefined;
}
