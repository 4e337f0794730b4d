// Domain types that cross layers: the catalog the Score client builds, the vfs lays out and the
// cache snapshots for offline mounts; and the identity the block cache keys its blocks by.

/** What the block cache needs to know of an object: enough to key, bound and verify its bytes. */
export interface ObjectIdentity {
  id: string; // Score object id
  size: number;
  /** Whole-object hex MD5 from Score, or null when Score has none. */
  md5: string | null;
  /** Epoch millis from /listing; part of the identity when md5 is null. */
  lastModified: number;
  /** Score parts with a known sourceMd5, for verifying complete parts. Optional. */
  parts?: { offset: number; size: number; md5: string }[];
  /** The study the object belongs to, when known (a catalog file): Score's URL request names it. Not part of the cache key. */
  studyId?: string;
  /**
   * SONG's access of the object, when known (a catalog file). Absent counts as controlled, as Score
   * counts a missing access: its cached bytes are served only to a token known to be allowed. Not part
   * of the cache key.
   */
  access?: 'open' | 'controlled';
}

/** One file of the catalog: a SONG entity joined with its Score listing entry. */
export interface CatalogFile extends ObjectIdentity {
  studyId: string;
  analysisId: string;
  fileName: string;
  access: 'open' | 'controlled';
}

/** Everything the mount shows, as fetched at one moment. */
export interface Catalog {
  files: CatalogFile[];
  fetchedAt: number; // epoch millis
  /** The Score server (storage URL) it came from: a snapshot of one server never stands in for another. */
  server?: string;
}

/** Where the bytes of an object come from when the cache misses (implemented by src/score/). */
export interface RangeSource {
  /**
   * Exactly the bytes [offset, offset+length) of the object (clamped to its size), verified against
   * the response headers. Retries transient failures with backoff until `deadline` (epoch millis), then
   * throws Unavailable; throws NotFound / AccessDenied / BadRequest at once. `signal` aborts.
   */
  fetchRange(
    obj: ObjectIdentity,
    offset: number,
    length: number,
    opts?: FetchOptions,
  ): Promise<Buffer>;
  /**
   * The same bytes as fetchRange, in buffers of `segmentBytes` each (the last one shorter), each a
   * buffer of its own: the block cache keeps them as blocks without copying or pinning a larger one.
   */
  fetchSegments(
    obj: ObjectIdentity,
    offset: number,
    length: number,
    segmentBytes: number,
    opts?: SegmentFetchOptions,
  ): Promise<Buffer[]>;
  /** The source's own counters, if it keeps any: the cache's stats carry them as `source`. */
  stats?(): unknown;
}

export interface FetchOptions {
  deadline?: number;
  signal?: AbortSignal;
  /** Called before each try after a transient failure (a sign of an overloaded link). */
  onRetry?: () => void;
  /**
   * Called as the bytes of a range fetched into one buffer arrive, once the response is known to be
   * that range: the buffer they arrive in (the one the fetch resolves to, unless a retry starts over in
   * another) and how many of its leading bytes are in.
   */
  onProgress?: (into: Buffer, received: number) => void;
}

export interface SegmentFetchOptions extends FetchOptions {
  /** Where segments are allocated (the block cache's buffer pool); default fresh buffers. */
  allocate?: (size: number) => Buffer;
  /**
   * Each whole segment (the `index`th of the range) as soon as it is in, once the response is known to
   * be the range asked for. A retry starts over and may hand out a segment again, in another buffer.
   */
  onSegment?: (index: number, segment: Buffer) => void;
}

/** The reads of one open file, grouped so the cache can detect sequential access and prefetch. */
export interface ReadStreamHandle {
  readonly obj: ObjectIdentity;
  close(): void;
}

export interface AdmitOptions {
  /** The object will be read whole (a paired index): what only a partial read needs of Score is not asked for. */
  whole?: boolean;
  /**
   * Asked ahead of any open (a cohort described ahead): a refusal is the open's to report, so it is not
   * logged as a warning here (nor cached: the open asks again).
   */
  ahead?: boolean;
}

export interface ReadOptions {
  /** The open file this read belongs to (drives prefetch); omit for one-off reads. */
  stream?: ReadStreamHandle;
  /** Epoch millis after which the read fails with Unavailable. Default: the cache's read deadline. */
  deadline?: number;
  /**
   * A one-off read of the object's start that is its header (a slice being made reads 256 KiB there):
   * a range of what it asks, not the whole blocks a sequential reader's big first read takes.
   */
  header?: boolean;
}

/**
 * What the vfs reads object bytes through: the BlockCache in src/cache/, behind the gate that checks
 * access first (src/vfs/object-access.ts).
 */
export interface ByteReader {
  /**
   * Called on open: resolves once obj may be read (throws AccessDenied or Unavailable otherwise), so a
   * refusal shows at open, before the kernel's page cache could serve a byte. Only a reader that guards
   * access implements it; reads check too.
   */
  admit?(obj: ObjectIdentity, opts?: AdmitOptions): Promise<void>;
  /** Bytes [offset, offset+length) of the object, clamped to its size (short at EOF, never an error). */
  read(obj: ObjectIdentity, offset: number, length: number, opts?: ReadOptions): Promise<Buffer>;
  /**
   * The same bytes copied into `target` (length = target.length): how many there were, at once when
   * they were in memory (no promise, no timer: a warm read is mostly these), else a promise of it.
   */
  readInto(obj: ObjectIdentity, offset: number, target: Buffer, opts?: ReadOptions): number | Promise<number>;
  /** A stream of reads of obj; prefetch never goes past `end` (default: the object's end). */
  openStream(obj: ObjectIdentity, opts?: { end?: number }): ReadStreamHandle;
  /** Keep these bytes cached as long as possible (indexes, headers); fetches them if missing. */
  pin(obj: ObjectIdentity, offset: number, length: number): Promise<void>;
}
