// Sequential-read detection for one open file, tolerant of the kernel's reordering (fuse delivers
// up to ~12 readahead reads of 128 KiB out of order), and the read-ahead window that follows from it.
import type { ObjectIdentity, ReadStreamHandle } from '../model.js';

/** A read this far behind or ahead of the stream's front still counts as sequential. */
export const BACKWARD_SLACK = 2 * 1024 * 1024;
const FORWARD_SLACK = 2 * 1024 * 1024;
/**
 * Bytes a stream must have read in one sequential run before anything is prefetched: a region
 * query reads a few BGZF blocks (plus the kernel's readahead of them) and then seeks; prefetching
 * for it would fetch megabytes nobody reads.
 */
export const SEQUENTIAL_EVIDENCE = 4 * 1024 * 1024;

export interface ByteRange {
  offset: number;
  end: number;
}

export class PrefetchWindow {
  /** End of the furthest read so far; -1 before the first. */
  private front = -1;
  /** Where the current sequential run began. */
  private runStart = 0;
  /** End of what has been prefetched (or asked for). */
  private ahead = 0;
  /** Current window; 0 = off (random access or too early to tell). */
  private window = 0;

  constructor(
    /** Prefetch stops here (the object's end, or a slice's last original byte). */
    private readonly size: number,
    private readonly minWindow: number,
    private maxWindow: number,
    /** Least worth asking for at once (a transfer chunk): the window is topped up in such steps. */
    private readonly step: number = minWindow,
  ) {}

  /** Notes a read of [offset, end) and returns what to prefetch now, if anything. */
  onRead(offset: number, end: number): ByteRange | undefined {
    const sequential = this.front >= 0 && offset >= this.front - BACKWARD_SLACK && offset <= Math.max(this.front, this.ahead) + FORWARD_SLACK;
    if (!sequential) {
      this.window = 0;
      this.runStart = offset;
      this.front = this.ahead = end;
      return undefined;
    }
    this.front = Math.max(this.front, end);
    if (this.front - this.runStart < SEQUENTIAL_EVIDENCE) return undefined;
    if (this.window === 0) this.window = this.minWindow;
    // Top the window up as soon as a step of it is free: a window refilled only when half empty
    // would have half as many GETs in flight on average.
    if (this.ahead - this.front > this.window - Math.min(this.step, this.window / 2)) return undefined;
    const from = Math.max(this.ahead, this.front);
    const to = Math.min(this.size, this.front + this.window);
    this.window = Math.min(this.window * 2, this.maxWindow);
    if (to <= from) return undefined;
    this.ahead = to;
    return { offset: from, end: to };
  }

  /** A new largest window (the memory it may take changed): a smaller one applies at once. */
  limit(maxWindow: number): void {
    this.maxWindow = Math.max(this.minWindow, maxWindow);
    this.window = Math.min(this.window, this.maxWindow);
  }

  /** Only [.., end) of the last range was issued (budget): the rest is asked for again later. */
  issuedUpTo(end: number): void {
    this.ahead = end;
  }

  get enabled(): boolean {
    return this.window > 0;
  }
}

/** An open file's reads (the handle the vfs passes back in ReadOptions.stream). */
export class CacheStream implements ReadStreamHandle {
  closed = false;
  /** Blocks below this one left the memory tier behind the reader (see BlockCache); unset before the first. */
  droppedBelow: number | undefined;

  constructor(
    readonly obj: ObjectIdentity,
    /** What is loaded into the memory tier ahead of the reader (from disk or the network). */
    readonly window: PrefetchWindow,
    /** Further ahead, what the cache lacks is fetched (and lands on disk); none when `window` reaches as far. */
    readonly beyond?: PrefetchWindow,
    private readonly onClose?: (stream: CacheStream) => void,
  ) {}

  close(): void {
    this.closed = true;
    this.onClose?.(this);
  }
}
