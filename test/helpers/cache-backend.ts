// Objects for block-cache tests: random files with their identities (true MD5s and part MD5s) and a
// RangeSource serving them — local files now; `scorefs serve` over HTTP where the test says so.
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ExecutionContext } from 'ava';
import type { Catalog, ObjectIdentity, RangeSource } from '../../src/model.js';
import type { ScoreClient } from '../../src/score/client.js';
import { describeObject } from '../../src/score/object-metadata.js';
import type { ClientConfig } from '../../src/score/config.js';
import { FileRangeSource } from './file-range-source.js';
import { md5 } from './md5.js';
import { scoreClient } from './score-client.js';
import { startServer, type RunningServer } from './server.js';

export interface TestObject {
  obj: ObjectIdentity;
  bytes: Buffer;
  path: string;
}

export interface CacheBackend {
  source: RangeSource;
  objects: TestObject[];
}

/** Score-style parts of `partSize` bytes with their MD5s. */
export function partsOf(bytes: Buffer, partSize: number): NonNullable<ObjectIdentity['parts']> {
  const parts = [];
  for (let offset = 0; offset < bytes.length; offset += partSize) {
    const size = Math.min(partSize, bytes.length - offset);
    parts.push({ offset, size, md5: md5(bytes.subarray(offset, offset + size)) });
  }
  return parts;
}

/** Writes files of the given sizes as DIR/<study>/<analysis>/obj-<i>.bin (the layout `scorefs serve` reads). */
export async function writeTestFiles(
  dir: string,
  sizes: number[],
  opts: { study?: string; analysis?: string; partSize?: number } = {},
): Promise<Array<{ fileName: string; analysisId: string; bytes: Buffer; path: string; identity: Omit<ObjectIdentity, 'id'> }>> {
  const analysisId = opts.analysis ?? 'AN-CACHE';
  const folder = path.join(dir, opts.study ?? 'TEST-CA', analysisId);
  await mkdir(folder, { recursive: true });
  const out = [];
  for (const [i, size] of sizes.entries()) {
    const bytes = randomBytes(size);
    const fileName = `obj-${i}.bin`;
    const file = path.join(folder, fileName);
    await writeFile(file, bytes);
    out.push({
      fileName,
      analysisId,
      bytes,
      path: file,
      identity: {
        size,
        md5: md5(bytes),
        lastModified: 1_700_000_000_000 + i,
        ...(opts.partSize ? { parts: partsOf(bytes, opts.partSize) } : {}),
      },
    });
  }
  return out;
}

/** Local files behind a FileRangeSource. */
export async function fileBackend(dir: string, sizes: number[], partSize?: number): Promise<CacheBackend & { source: FileRangeSource }> {
  const files = await writeTestFiles(dir, sizes, { partSize });
  const objects = files.map((f, i) => ({ obj: { id: `object-${i}`, ...f.identity }, bytes: f.bytes, path: f.path }));
  return { source: new FileRangeSource(new Map(objects.map((o) => [o.obj.id, o.path]))), objects };
}

/** The same kind of files behind `scorefs serve`, read through the real ScoreRangeSource (identities from the catalog). */
export async function httpBackend(
  t: ExecutionContext,
  dir: string,
  sizes: number[],
  opts: { partSize?: number; client?: Partial<ClientConfig> } = {},
): Promise<CacheBackend & { server: RunningServer; client: ScoreClient }> {
  const files = await writeTestFiles(dir, sizes);
  const server = await startServer(t, { data: dir, ...(opts.partSize ? { partSize: opts.partSize } : {}) });
  const client = scoreClient(t, server.url, opts.client);
  const catalog = await describedCatalog(client);
  const objects = files.map((f) => {
    const entry = catalog.files.find((c) => c.analysisId === f.analysisId && c.fileName === f.fileName);
    if (!entry) throw new Error(`${f.fileName} is not in the catalog of scorefs serve`);
    if (entry.md5 !== f.identity.md5) throw new Error(`${f.fileName}: Score's MD5 ${entry.md5}, file MD5 ${f.identity.md5}`);
    return { obj: entry, bytes: f.bytes, path: f.path };
  });
  return { source: client.source, objects, server, client };
}

/**
 * The catalog with every object's MD5s, as a mount knows them after each object's first open (its
 * metadata-only specification; no URL fetched, so a test's URL expiry settings apply to the reads).
 */
export async function describedCatalog(client: ScoreClient): Promise<Catalog> {
  const catalog = await client.fetchCatalog();
  for (const f of catalog.files) Object.assign(f, await describeObject(client.api, undefined, f));
  return catalog;
}
