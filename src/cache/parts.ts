// Score parts (ObjectIdentity.parts) as seen from cache blocks.
import type { ObjectIdentity } from '../model.js';

/** Indexes of obj.parts overlapping [offset, offset+length). */
export function partsOverlapping(obj: ObjectIdentity, offset: number, length: number): number[] {
  const out: number[] = [];
  (obj.parts ?? []).forEach((p, i) => {
    if (p.offset < offset + length && offset < p.offset + p.size) out.push(i);
  });
  return out;
}

/** Block numbers [first, last] holding [offset, offset+length), length > 0. */
export function blockSpan(offset: number, length: number, blockSize: number): [number, number] {
  return [Math.floor(offset / blockSize), Math.floor((offset + length - 1) / blockSize)];
}
