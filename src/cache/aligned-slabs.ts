// Page-aligned block buffers, for direct I/O. O_DIRECT needs the buffer's address aligned to the
// device's block, and Node's Buffers come from malloc (16-byte aligned). A WebAssembly.Memory is
// mapped page-aligned, so views into one at multiples of DIRECT_IO_ALIGN are aligned: a slab is one
// such memory, cut into block-sized slots.

/** Alignment of a direct I/O buffer, offset and length (the largest logical block of common disks). */
export const DIRECT_IO_ALIGN = 4096;
const WASM_PAGE = 64 * 1024;
/**
 * Bytes of one slab. Each WebAssembly.Memory reserves about 10 GiB of address space (V8's guard
 * regions), so few, big ones; a page of one takes memory only once it is used, and slots are handed
 * out in order, so a big slab costs no more than the blocks taken from it.
 */
const SLAB_BYTES = 256 * 1024 * 1024;

// The one part of the WebAssembly API used here (the project's TypeScript libs do not declare it).
declare const WebAssembly: { Memory: new (size: { initial: number; maximum: number }) => { buffer: ArrayBuffer } };

const slabMemory = new WeakSet<ArrayBufferLike>();

/** Whether direct I/O may use this buffer as it is: inside a slab, at an aligned offset. */
export function isAligned(buf: Buffer): boolean {
  return slabMemory.has(buf.buffer) && buf.byteOffset % DIRECT_IO_ALIGN === 0;
}

/** One page-aligned buffer of `size` bytes (a slab of its own), or undefined when none can be mapped. */
export function alignedBuffer(size: number): Buffer | undefined {
  const memory = mapMemory(size);
  return memory && Buffer.from(memory, 0, size);
}

function mapMemory(size: number): ArrayBuffer | undefined {
  const pages = Math.ceil(size / WASM_PAGE);
  try {
    const memory = new WebAssembly.Memory({ initial: pages, maximum: pages }).buffer;
    slabMemory.add(memory);
    return memory;
  } catch {
    return undefined; // address space exhausted (ulimit -v): callers fall back to plain buffers
  }
}

/**
 * Block-sized, page-aligned slots, carved from slabs made as they are needed and kept for good (the
 * pool holds on to freed blocks anyway). A slot whose buffer was dropped without being handed back
 * (a failed fetch lets go of its buffers) is found by the GC and made a slot again.
 */
export class AlignedSlabs {
  private readonly spare: Buffer[] = [];
  private current: { memory: ArrayBuffer; next: number } | undefined;
  private readonly lost = new FinalizationRegistry<{ memory: ArrayBuffer; offset: number }>((slot) =>
    this.spare.push(this.view(slot.memory, slot.offset)),
  );
  private exhausted = false;

  constructor(readonly slotSize: number) {}

  /** Whether slots can be aligned at all (the slot size is a multiple of the alignment). */
  get usable(): boolean {
    return this.slotSize % DIRECT_IO_ALIGN === 0 && this.slotSize <= SLAB_BYTES && !this.exhausted;
  }

  /** A fresh slot, or undefined when slabs cannot be made (the caller allocates a plain buffer). */
  take(): Buffer | undefined {
    const spare = this.spare.pop();
    if (spare) return spare;
    if (!this.usable) return undefined;
    if (!this.current || this.current.next + this.slotSize > this.current.memory.byteLength) {
      const memory = mapMemory(SLAB_BYTES);
      if (!memory) {
        this.exhausted = true;
        return undefined;
      }
      this.current = { memory, next: 0 };
    }
    const buf = this.view(this.current.memory, this.current.next);
    this.current.next += this.slotSize;
    return buf;
  }

  private view(memory: ArrayBuffer, offset: number): Buffer {
    const buf = Buffer.from(memory, offset, this.slotSize);
    this.lost.register(buf, { memory, offset });
    return buf;
  }
}
