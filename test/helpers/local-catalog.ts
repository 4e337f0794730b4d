// A Catalog and a ByteReader over local files (DIR/<studyId>/<analysisId>/<fileName>), for testing
// the vfs without a server or a cache. The reader records pins and reads so tests can check them.
import { createHash } from 'node:crypto';
import { open, stat } from 'node:fs/promises';
import type { ByteReader, Catalog, CatalogFile, ObjectIdentity, ReadStreamHandle } from '../../src/model.js';
import { NotFound } from '../../src/errors.js';
import { sourceFiles } from './sample-data.js';

export async function localCatalog(dataDir: string): Promise<{ catalog: Catalog; pathOf: Map<string, string> }> {
  const files: CatalogFile[] = [];
  const pathOf = new Map<string, string>();
  for (const { studyId, analysisId, fileName, path: p } of await sourceFiles(dataDir)) {
    const st = await stat(p);
    const id = createHash('sha1').update(`${analysisId}:${fileName}`).digest('hex').slice(0, 32);
    files.push({ id, size: st.size, md5: null, lastModified: Math.floor(st.mtimeMs), studyId, analysisId, fileName, access: 'open' });
    pathOf.set(id, p);
  }
  return { catalog: { files, fetchedAt: Date.now() }, pathOf };
}

export class LocalByteReader implements ByteReader {
  readonly pins: { id: string; offset: number; length: number }[] = [];
  readonly reads: { id: string; offset: number; length: number }[] = [];
  openStreams = 0;

  constructor(private readonly pathOf: Map<string, string>) {}

  async read(obj: ObjectIdentity, offset: number, length: number): Promise<Buffer> {
    const p = this.pathOf.get(obj.id);
    if (!p) throw new NotFound(`no object ${obj.id}`);
    this.reads.push({ id: obj.id, offset, length });
    const fh = await open(p, 'r');
    try {
      const len = Math.max(0, Math.min(length, obj.size - offset));
      const buf = Buffer.alloc(len);
      const { bytesRead } = await fh.read(buf, 0, len, offset);
      return buf.subarray(0, bytesRead);
    } finally {
      await fh.close();
    }
  }

  async readInto(obj: ObjectIdentity, offset: number, target: Buffer): Promise<number> {
    const bytes = await this.read(obj, offset, target.length);
    return bytes.copy(target);
  }

  openStream(obj: ObjectIdentity): ReadStreamHandle {
    this.openStreams++;
    return { obj, close: () => void this.openStreams-- };
  }

  async pin(obj: ObjectIdentity, offset: number, length: number): Promise<void> {
    this.pins.push({ id: obj.id, offset, length });
  }
}
