// A RandomAccess over a local file, for slicing the originals directly in tests.
import { open, stat } from 'node:fs/promises';
import type { RandomAccess } from '../../src/genomics/random-access.js';

export async function localRandomAccess(file: string): Promise<RandomAccess & { reads: number; bytes: number }> {
  const { size } = await stat(file);
  const src = {
    size,
    reads: 0,
    bytes: 0,
    async read(offset: number, length: number): Promise<Buffer> {
      src.reads++;
      const out = Buffer.alloc(Math.max(0, Math.min(size, offset + length) - offset));
      const fh = await open(file, 'r');
      try {
        let done = 0;
        while (done < out.length) {
          const { bytesRead } = await fh.read(out, done, out.length - done, offset + done);
          if (bytesRead === 0) break;
          done += bytesRead;
        }
        src.bytes += done;
        return out.subarray(0, done);
      } finally {
        await fh.close();
      }
    },
  };
  return src;
}
