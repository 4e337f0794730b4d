// Whole-object and per-part MD5s, hashed once per (file, size, mtime) by streaming the file; single-flight.
// A file is its device and inode: names hardlinked to one file are hashed once.
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { divideParts } from './parts.js';

export interface Checksums {
  objectMd5: string;
  /** Hex MD5 of each part of the default layout, in part order. */
  partMd5s: string[];
}

export interface HashedFile {
  path: string;
  dev: number;
  ino: number;
  size: number;
  mtimeMs: number;
}

export class ChecksumStore {
  private readonly known = new Map<string, Promise<Checksums>>();
  private readonly done = new Map<string, Checksums>();

  constructor(private readonly partSize: number) {}

  /** The checksums if already computed (never starts hashing). */
  peek(file: HashedFile): Checksums | undefined {
    return this.done.get(keyOf(file));
  }

  /** The checksums, hashing the file now if needed; concurrent callers share one pass. */
  get(file: HashedFile): Promise<Checksums> {
    const key = keyOf(file);
    let pending = this.known.get(key);
    if (!pending) {
      pending = hashFile(file, this.partSize).then(
        (sums) => {
          this.done.set(key, sums);
          return sums;
        },
        (err: unknown) => {
          this.known.delete(key); // a failed pass is retried by the next caller
          throw err;
        },
      );
      this.known.set(key, pending);
    }
    return pending;
  }
}

function keyOf(f: HashedFile): string {
  return `${f.dev}:${f.ino}\0${f.size}\0${f.mtimeMs}`;
}

async function hashFile(file: HashedFile, partSize: number): Promise<Checksums> {
  const parts = divideParts(0, file.size, partSize);
  const whole = createHash('md5');
  const partMd5s: string[] = [];
  let partIndex = 0;
  let part: Hash = createHash('md5');
  let leftInPart = parts[0]?.partSize ?? 0;
  let seen = 0;
  if (file.size > 0) {
    const stream = createReadStream(file.path, { start: 0, end: file.size - 1, highWaterMark: 1 << 20 });
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      whole.update(chunk);
      let at = 0;
      while (at < chunk.length) {
        const take = Math.min(leftInPart, chunk.length - at);
        part.update(chunk.subarray(at, at + take));
        at += take;
        leftInPart -= take;
        if (leftInPart === 0) {
          partMd5s.push(part.digest('hex'));
          partIndex++;
          part = createHash('md5');
          leftInPart = parts[partIndex]?.partSize ?? Infinity;
        }
      }
      seen += chunk.length;
    }
  }
  if (seen !== file.size) throw new Error(`file changed while hashing: ${file.path}`);
  return { objectMd5: whole.digest('hex'), partMd5s };
}
