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

  async fetchSegments(obj: ObjectIdentity, offset: number, length: number, segmentBytes: number): Promise<Buffer[]> {
    const bytes = await this.fetchRange(obj, offset, length);
    const out: Buffer[] = [];
    for (let at = 0; at < bytes.length; at += segmentBytes) out.push(Buffer.from(bytes.subarray(at, at + segmentBytes)));
    return out;
  }

  stats(): { requests: number; bytes: number } {
    return { requests: this.requests, bytes: this.bytes };
  }
}
