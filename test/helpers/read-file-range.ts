// Bytes [offset, min(end, offset+length)) of a local file, short only at its end: the one way test
// sources read local files.
import { open } from 'node:fs/promises';

export async function readFileRange(file: string, offset: number, length: number, end: number): Promise<Buffer> {
  const out = Buffer.alloc(Math.max(0, Math.min(end, offset + length) - offset));
  const fh = await open(file, 'r');
  try {
    let done = 0;
    while (done < out.length) {
      const { bytesRead } = await fh.read(out, done, out.length - done, offset + done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    return out.subarray(0, done);
  } finally {
    await fh.close();
  }
}
