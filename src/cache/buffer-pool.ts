// Block buffers, reused. Every Buffer is memory outside V8's heap; a block that lives a while (the
// memory tier, a pending disk write) and then dies can only be freed by a full mark-compact, and V8
// starts one for every ~64 MiB of such memory: 30–40 of them per GiB read, a third of the daemon's
// time. Reusing block buffers ends that.
//
// The rule that keeps reuse safe: whoever keeps a block buffer past the current microtask holds it
// (hold/release). A buffer whose holds drop to zero goes back to the pool only after a macrotask
// turn, so a reader that takes its hold in a promise callback (a microtask) is never too late; and
// a buffer is only ever overwritten by I/O, which completes in a later macrotask.
//
// Whole blocks are page-aligned slots of slabs (aligned-slabs.ts), so that block files can be read
// and written with direct I/O; a slot is never given up, so every released one is kept for reuse.
import { AlignedSlabs, isAligned } from './aligned-slabs.js';

export class BlockBufferPool {
  private readonly free: Buffer[] = [];
  /**
   * Holds per pooled buffer. Weak: a buffer dropped without its last release (a failed fetch) is
   * simply left to the GC. Buffers of other sizes are not tracked at all.
   */
  private readonly holds = new WeakMap<Buffer, number>();
  private readonly checking = new Set<Buffer>();
  private readonly slabs: AlignedSlabs;
  /** Buffers handed out again rather than allocated. */
  reused = 0;

  constructor(
    readonly blockSize: number,
    /** Plain (unaligned) buffers kept free at most; beyond, released ones are left to the GC. */
    private readonly maxFree: number,
  ) {
    this.slabs = new AlignedSlabs(blockSize);
  }

  /** A buffer of `size` bytes (contents undefined), reused when it is a whole block. */
  acquire(size: number): Buffer {
    if (size !== this.blockSize) return Buffer.allocUnsafeSlow(size);
    let buf = this.free.pop();
    if (buf) this.reused++;
    else buf = this.slabs.take() ?? Buffer.allocUnsafeSlow(size);
    this.holds.set(buf, 0);
    return buf;
  }

  hold(buf: Buffer): void {
    const n = this.holds.get(buf);
    if (n !== undefined) this.holds.set(buf, n + 1);
  }

  release(buf: Buffer): void {
    const n = this.holds.get(buf);
    if (n === undefined) return;
    this.holds.set(buf, Math.max(0, n - 1));
    if (n <= 1 && !this.checking.has(buf)) {
      this.checking.add(buf);
      setImmediate(() => this.reclaim(buf));
    }
  }

  /** Lets go of the free buffers (close). */
  clear(): void {
    this.free.length = 0;
  }

  private reclaim(buf: Buffer): void {
    this.checking.delete(buf);
    if (this.holds.get(buf) !== 0) return; // held again meanwhile, or already reclaimed
    this.holds.delete(buf);
    if (isAligned(buf) || this.free.length < this.maxFree) this.free.push(buf);
  }
}
