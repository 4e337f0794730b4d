// A slice file as a recipe: new bytes (headers, re-encoded edge blocks, EOF markers) interleaved with
// ranges of the original file, which are read through the same source (the block cache) as the original.
import type { RandomAccess } from './random-access.js';
import { readExactly } from './random-access.js';
import type { ResolvedRegion } from './region.js';

export type SliceSegment =
  | { kind: 'bytes'; /** offset in the slice */ at: number; data: Buffer }
  | { kind: 'range'; /** offset in the slice */ at: number; /** offset in the original */ offset: number; length: number };

export type SliceIndexKind = 'bai' | 'csi' | 'crai';

export interface SlicePlan {
  format: 'bam' | 'cram';
  region: ResolvedRegion;
  size: number;
  /** In slice order, contiguous, covering [0, size). */
  segments: SliceSegment[];
  /** The slice's own index, whose offsets point into the slice. */
  index: Buffer;
  indexKind: SliceIndexKind;
}

export const segmentLength = (s: SliceSegment): number => (s.kind === 'bytes' ? s.data.length : s.length);

/** End (exclusive) of the last range of the original a slice reads; 0 if it reads none. */
export function lastOriginalByte(plan: SlicePlan): number {
  let end = 0;
  for (const s of plan.segments) if (s.kind === 'range') end = Math.max(end, s.offset + s.length);
  return end;
}

/** Bytes [offset, offset+length) of the slice (short only at its end), original ranges read from src. */
export async function readSlice(plan: SlicePlan, src: RandomAccess, offset: number, length: number): Promise<Buffer> {
  const end = Math.min(plan.size, offset + length);
  if (offset >= end) return Buffer.alloc(0);
  const segs = plan.segments;
  // The last segment starting at or before offset.
  let lo = 0;
  let hi = segs.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (segs[mid]!.at <= offset) lo = mid;
    else hi = mid - 1;
  }
  const parts: Promise<Buffer>[] = [];
  for (let i = lo; i < segs.length && segs[i]!.at < end; i++) {
    const s = segs[i]!;
    const from = Math.max(offset, s.at) - s.at;
    const to = Math.min(end, s.at + segmentLength(s)) - s.at;
    if (from >= to) continue;
    parts.push(
      s.kind === 'bytes' ? Promise.resolve(s.data.subarray(from, to)) : readExactly(src, s.offset + from, to - from),
    );
  }
  const buffers = await Promise.all(parts);
  return buffers.length === 1 ? buffers[0]! : Buffer.concat(buffers);
}

/** Builds the segment list, joining ranges of the original that continue each other. */
export class SegmentList {
  readonly segments: SliceSegment[] = [];
  size = 0;

  bytes(data: Buffer): void {
    if (data.length === 0) return;
    this.segments.push({ kind: 'bytes', at: this.size, data });
    this.size += data.length;
  }

  range(offset: number, length: number): void {
    if (length <= 0) return;
    const last = this.segments[this.segments.length - 1];
    if (last?.kind === 'range' && last.offset + last.length === offset) last.length += length;
    else this.segments.push({ kind: 'range', at: this.size, offset, length });
    this.size += length;
  }
}
