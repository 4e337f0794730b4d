// A RangeSource over local files (object id → path), for cache tests that need no server; it counts
// what it serves so tests can tell cache hits from fetches.
import { open } from 'node:fs/promises';
import { NotFound } from '../../src/errors.js';
import type { ObjectIdentity, RangeSource } from '../../src/model.js';

export class FileRangeSource implements RangeSource {
  requests = 0;
  bytes = 0;

  constructor(readonly files: Map<string, string>) {}

  async fetchRange(obj: ObjectIdentity, offset: number, length: number): Promise<Buffer> {
    const file = this.files.get(obj.id);
    if (!file) throw new NotFound(`no object ${obj.id}`);
    const end = Math.min(obj.size, offset + length);
    const out = Buffer.alloc(Math.max(0, end - offset));
    const fh = await open(file, 'r');
    try {
      let done = 0;
      while (done < out.length) {
        const { bytesRead } = await fh.read(out, done, out.length - done, offset + done);
        if (bytesRead === 0) break;
        done += bytesRead;
      }
      this.requests++;
      this.bytes += done;
      return out.subarray(0, done);
    } finally {
      await fh.close();
    }
  }

  stats(): { requests: number; bytes: number } {
    return { requests: this.requests, bytes: this.bytes };
  }
}
