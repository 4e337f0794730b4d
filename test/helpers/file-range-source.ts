// A RangeSource over local files (object id → path), for cache tests that need no server; it counts
// what it serves so tests can tell cache hits from fetches.
import { NotFound } from '../../src/errors.js';
import type { ObjectIdentity, RangeSource } from '../../src/model.js';
import { readFileRange } from './read-file-range.js';

export class FileRangeSource implements RangeSource {
  requests = 0;
  bytes = 0;

  constructor(readonly files: Map<string, string>) {}

  async fetchRange(obj: ObjectIdentity, offset: number, length: number): Promise<Buffer> {
    const file = this.files.get(obj.id);
    if (!file) throw new NotFound(`no object ${obj.id}`);
    const out = await readFileRange(file, offset, length, obj.size);
    this.requests++;
    this.bytes += out.length;
    return out;
  }

  async fetchSegments(
    obj: ObjectIdentity,
    offset: number,
    length: number,
    segmentBytes: number,
    opts: { allocate?: (size: number) => Buffer } = {},
  ): Promise<Buffer[]> {
    const bytes = await this.fetchRange(obj, offset, length);
    const allocate = opts.allocate ?? Buffer.allocUnsafeSlow;
    const out: Buffer[] = [];
    for (let at = 0; at < bytes.length; at += segmentBytes) {
      const piece = bytes.subarray(at, at + segmentBytes);
      const seg = allocate(piece.length);
      piece.copy(seg);
      out.push(seg);
    }
    return out;
  }

  stats(): { requests: number; bytes: number } {
    return { requests: this.requests, bytes: this.bytes };
  }
}
