// A RandomAccess over a local file, for slicing the originals directly in tests.
import { stat } from 'node:fs/promises';
import type { RandomAccess } from '../../src/genomics/random-access.js';
import { readFileRange } from './read-file-range.js';

export async function localRandomAccess(file: string): Promise<RandomAccess & { reads: number; bytes: number }> {
  const { size } = await stat(file);
  const src = {
    size,
    reads: 0,
    bytes: 0,
    async read(offset: number, length: number): Promise<Buffer> {
      src.reads++;
      const out = await readFileRange(file, offset, length, size);
      src.bytes += out.length;
      return out;
    },
  };
  return src;
}
