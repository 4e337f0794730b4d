// Block buffers are reused (see src/cache/buffer-pool.ts): under heavy eviction with many readers
// at once, no reader ever sees bytes of another block, whatever the interleaving.
import test from 'ava';
import path from 'node:path';
import { BlockCache } from '../src/cache/block-cache.js';
import { fileBackend, httpBackend } from './helpers/cache-backend.js';
import { seededRandom } from './helpers/random.js';
import { tempDir } from './helpers/tmp.js';

const BS = 16 * 1024;

for (const [label, memoryBytes, diskBytes] of [
  ['a 2-block memory tier and a disk tier', 2 * BS, 64 * 1024 * 1024],
  ['no memory tier', 0, 64 * 1024 * 1024],
  ['memory only, 3 blocks', 3 * BS, 0],
] as const) {
  test(`concurrent reads under eviction churn return exactly the source bytes: ${label}`, async (t) => {
    const root = await tempDir(t);
    const backend = await fileBackend(path.join(root, 'data'), [300 * BS + 77, 40 * BS]);
    const cache = await BlockCache.open({ dir: path.join(root, 'cache'), source: backend.source, blockSize: BS, memoryBytes, diskBytes, minFreeBytes: 0, maxFetchBytes: 4 * BS });
    t.teardown(() => cache.close());
    const rnd = seededRandom(12345);
    const next = rnd.int;
    for (let round = 0; round < 20; round++) {
      const reads = Array.from({ length: 64 }, () => {
        const { obj, bytes } = backend.objects[next(2)]!;
        const offset = next(obj.size);
        const length = 1 + next(3 * BS);
        const stream = next(4) === 0 ? cache.openStream(obj) : undefined;
        return { bytes, offset, length, got: cache.read(obj, offset, length, stream ? { stream } : {}) };
      });
      for (const r of reads) {
        const got = await r.got;
        const want = r.bytes.subarray(r.offset, r.offset + r.length);
        if (!got.equals(want)) t.fail(`read(${r.offset}, ${r.length}) returned other bytes (seed ${rnd.seed})`);
      }
      // readInto fills a caller's buffer the same way.
      const { obj, bytes } = backend.objects[0]!;
      const target = Buffer.alloc(2 * BS + 5, 0xee);
      const offset = next(obj.size - target.length);
      t.is(await cache.readInto(obj, offset, target), target.length);
      t.true(target.equals(bytes.subarray(offset, offset + target.length)));
    }
    t.true(cache.stats().buffersReused > 0, 'block buffers were reused');
  });
}

test('blocks fetched over HTTP from scorefs serve are reused too, and stay exact', async (t) => {
  const root = await tempDir(t);
  const backend = await httpBackend(t, path.join(root, 'data'), [64 * BS + 3]);
  const cache = await BlockCache.open({ dir: path.join(root, 'cache'), source: backend.source, blockSize: BS, memoryBytes: 2 * BS, diskBytes: 0, minFreeBytes: 0, maxFetchBytes: 4 * BS });
  t.teardown(() => cache.close());
  const { obj, bytes } = backend.objects[0]!;
  for (let pass = 0; pass < 3; pass++) {
    for (let offset = 0; offset < obj.size; offset += BS / 2) {
      const got = await cache.read(obj, offset, BS);
      if (!got.equals(bytes.subarray(offset, offset + BS))) t.fail(`pass ${pass}: read(${offset}) returned other bytes`);
    }
  }
  t.true(cache.stats().buffersReused > 0, 'fetched block buffers were reused');
});
