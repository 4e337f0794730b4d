// Chunk buffers, reused from one chunk to the next. A chunk's buffer is memory outside V8's heap that
// lives until its disk write; V8 frees such memory only by a full mark-compact, which it starts for
// every ~64 MiB of it: a dozen per GiB downloaded, most of the event loop's time after the copies.
// A buffer here is taken for one fetch and given back once written; one a failed fetch dropped is
// left to the GC.

export class ChunkBuffers {
  private readonly free: Buffer[] = [];

  constructor(
    readonly chunkSize: number,
    /** Buffers kept free at most (the chunks that may be in memory at once). */
    private readonly maxFree: number,
  ) {}

  /** A buffer of `size` bytes (contents undefined): a free one when it is a whole chunk. */
  take(size: number): Buffer {
    return (size === this.chunkSize ? this.free.pop() : undefined) ?? Buffer.allocUnsafeSlow(size);
  }

  /** `buf` is no longer used by anyone: it may be handed out again. */
  give(buf: Buffer): void {
    if (buf.length === this.chunkSize && this.free.length < this.maxFree) this.free.push(buf);
  }
}
