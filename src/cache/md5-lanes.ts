// MD5 of several byte streams side by side: the Score parts one check hashes together. With
// md5-lanes.node (built by scripts/build-native.sh) they share the lanes of one SIMD vector, and 16
// parts cost what 3 cost one after another; without it, or for a few streams, each is Node's own MD5.
import { createHash, type Hash } from 'node:crypto';
import { createRequire } from 'node:module';

interface LanesAddon {
  LANES: number;
  CTX_BYTES: number;
  init(ctx: Buffer): void;
  update(ctx: Buffer, inputs: ReadonlyArray<Buffer | null>): void;
  digest(ctx: Buffer, lane: number): string;
}

/** Running MD5s of n streams. */
export interface Md5Lanes {
  /** Bytes (all streams together) one update hashes in about a millisecond here. */
  readonly bytesPerUpdate: number;
  /** Adds pieces[l] to stream l (null: nothing for it this time). */
  update(pieces: ReadonlyArray<Buffer | null>): void;
  /** Stream l's MD5, in hex. */
  digest(lane: number): string;
}

/** Streams hashed together at most. */
export const MAX_LANES = 16;
/**
 * Below this many streams Node's MD5 is cheaper: the vector does the same work for 1 lane as for 16
 * (16 lanes 0.23 CPU s per GiB here, one stream alone 1.4).
 */
const MIN_SIMD_LANES = 4;

function loadAddon(): LanesAddon | undefined {
  try {
    const addon = createRequire(import.meta.url)('./md5-lanes.node') as LanesAddon;
    return addon.LANES >= MAX_LANES ? addon : undefined;
  } catch {
    return undefined; // not built (no C compiler): Node's MD5 does it all
  }
}

const addon = loadAddon();

/** Whether md5-lanes.node is here to hash streams side by side. */
export const simdLanesAvailable = addon !== undefined;

/** Running MD5s of n streams (at most MAX_LANES), side by side when there are enough of them. */
export function md5Lanes(n: number): Md5Lanes {
  if (n < 1 || n > MAX_LANES) throw new RangeError(`md5Lanes: ${n} streams (1 to ${MAX_LANES})`);
  return addon && n >= MIN_SIMD_LANES ? new SimdLanes(addon, n) : new NodeMd5Lanes(n);
}

class SimdLanes implements Md5Lanes {
  readonly bytesPerUpdate = 4 * 1024 * 1024; // 0.23 CPU s per GiB
  private readonly ctx: Buffer;

  constructor(
    private readonly addon: LanesAddon,
    n: number,
  ) {
    this.ctx = Buffer.alloc(n * addon.CTX_BYTES); // Buffer.alloc: its own, aligned memory
    addon.init(this.ctx);
  }

  update(pieces: ReadonlyArray<Buffer | null>): void {
    this.addon.update(this.ctx, pieces);
  }

  digest(lane: number): string {
    return this.addon.digest(this.ctx, lane);
  }
}

/** One Node MD5 per stream. */
export class NodeMd5Lanes implements Md5Lanes {
  readonly bytesPerUpdate = 1024 * 1024; // 1.4 CPU s per GiB
  private readonly hashes: Hash[];

  constructor(n: number) {
    this.hashes = Array.from({ length: n }, () => createHash('md5'));
  }

  update(pieces: ReadonlyArray<Buffer | null>): void {
    pieces.forEach((p, l) => p && this.hashes[l]!.update(p));
  }

  digest(lane: number): string {
    return this.hashes[lane]!.digest('hex');
  }
}
