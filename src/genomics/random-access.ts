// The one thing the slice engine needs from where bytes live: sized random reads.
import { ProtocolError } from '../errors.js';

export interface RandomAccess {
  readonly size: number;
  /** Bytes [offset, offset+length), short only at the end of the file. */
  read(offset: number, length: number): Promise<Buffer>;
}

/** Reads exactly [offset, offset+length); anything short is a file that is not what its size says. */
export async function readExactly(src: RandomAccess, offset: number, length: number): Promise<Buffer> {
  const buf = await src.read(offset, length);
  if (buf.length < length) {
    throw new ProtocolError(`short read: ${buf.length} of ${length} bytes at offset ${offset}`);
  }
  return buf.length === length ? buf : buf.subarray(0, length);
}

/** The whole of a small file (an index). */
export function readAll(src: RandomAccess): Promise<Buffer> {
  return readExactly(src, 0, src.size);
}
