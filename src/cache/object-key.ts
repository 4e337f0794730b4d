// Which cache entries an object's bytes live under: a key that changes whenever the object does.
import { createHash } from 'node:crypto';
import type { ObjectIdentity } from '../model.js';

/**
 * Hex key of (id, size, md5 — or lastModified when Score has no md5) and the block size the object
 * is cut into. A replaced object gets a new key, so its old blocks are never served for it; they age
 * out by LRU.
 */
export function objectKey(obj: ObjectIdentity, blockSize: number): string {
  const version = obj.md5 ? `md5:${obj.md5.toLowerCase()}` : `mtime:${obj.lastModified}`;
  return createHash('sha256').update(`${obj.id}\0${obj.size}\0${version}\0${blockSize}`).digest('hex').slice(0, 32);
}

/** Number of blocks of an object. */
export function blockCount(size: number, blockSize: number): number {
  return Math.ceil(size / blockSize);
}

/** Byte length of block `n` of an object. */
export function blockLength(size: number, blockSize: number, n: number): number {
  return Math.max(0, Math.min(blockSize, size - n * blockSize));
}
