// The block checksum: CRC-32 (IEEE, the same values as zlib's), computed by @node-rs/crc32's SIMD
// code at ~10 GB/s instead of zlib's ~3 GB/s: every block read from disk is checked with it.
import { crc32 } from '@node-rs/crc32';

/** The checksum of bytes; of a block read in pieces, with `previous` the checksum of the pieces before. */
export function blockChecksum(bytes: Buffer, previous = 0): number {
  return crc32(bytes, previous);
}

/** Whether bytes read back are the block the index recorded (its size and checksum). */
export function blockIntact(bytes: Buffer, rec: { size: number; crc: number }): boolean {
  return bytes.length === rec.size && blockChecksum(bytes) === rec.crc;
}
