// How the cache fetches: one request per block however many readers wait for it, one ranged GET per
// run of adjacent missing blocks (capped at maxFetchBytes), and prefetch that follows sequential
// reads — also when they arrive out of order — and stays off for random access.
import test from 'ava';
import path from 'node:path';
import { BlockCache, type BlockCacheOptions } from '../src/cache/block-cache.js';
import { PrefetchWindow } from '../src/cache/prefetch-window.js';
import { fileBackend } from './helpers/cache-backend.js';
import { tempDir } from './helpers/tmp.js';
import { waitFor } from './helpers/wait.js';

const BS = 64 * 1024;
const MiB = 1024 * 1024;

async function setup(t: Parameters<typeof tempDir>[0], extra: Partial<BlockCacheOptions> = {}) {
  const root = await tempDir(t);
  const backend = await fileBackend(path.join(root, 'data'), [16 * MiB]);
  const cache = await BlockCache.open({ dir: path.join(root, 'cache'), source: backend.source, blockSize: BS, minFreeBytes: 0, ...extra });
  t.teardown(() => cache.close());
  return { cache, source: backend.source, obj: backend.objects[0]!.obj, bytes: backend.objects[0]!.bytes };
}

test('concurrent reads of one block make one request', async (t) => {
  const { cache, source, obj, bytes } = await setup(t);
  const reads = await Promise.all(Array.from({ length: 20 }, (_, i) => cache.read(obj, 1000 + i * 100, 500)));
  reads.forEach((r, i) => t.true(r.equals(bytes.subarray(1000 + i * 100, 1500 + i * 100))));
  t.is(source.requests, 1);
});

test('adjacent missing blocks of one read come in one GET, up to maxFetchBytes', async (t) => {
  const { cache, source, obj, bytes } = await setup(t, { maxFetchBytes: 4 * BS });
  await cache.read(obj, 2 * BS, 10); // block 2 cached: the next read has runs 0-1 and 3-12
  t.is(source.requests, 1);
  t.true((await cache.read(obj, 0, 13 * BS)).equals(bytes.subarray(0, 13 * BS)));
  t.is(source.requests, 1 + 1 + 3); // [0,1], then [3..6] [7..10] [11,12]
});

test('sequential reads through a stream prefetch ahead, even delivered out of order', async (t) => {
  const { cache, obj, bytes } = await setup(t, { prefetchMaxBytes: 4 * MiB });
  const stream = cache.openStream(obj);
  const chunk = 128 * 1024;
  // Like the kernel's readahead: batches of 8 reads of 128 KiB, each batch shuffled.
  for (let batch = 0; batch < 16; batch++) {
    const offsets = Array.from({ length: 8 }, (_, i) => (batch * 8 + i) * chunk).reverse();
    const got = await Promise.all(offsets.map((o) => cache.read(obj, o, chunk, { stream })));
    got.forEach((g, i) => t.true(g.equals(bytes.subarray(offsets[i]!, offsets[i]! + chunk))));
  }
  stream.close();
  const s = cache.stats();
  t.true(s.prefetchRequests > 0, 'prefetch requests were made');
  t.true(s.bytesFromMemory > 8 * MiB, `most bytes were already there when asked for (${s.bytesFromMemory} from memory)`);
});

test('random reads through a stream do not prefetch', async (t) => {
  const { cache, obj } = await setup(t);
  const stream = cache.openStream(obj);
  for (const block of [200, 3, 150, 40, 90, 10, 240, 60]) await cache.read(obj, block * BS, 4096, { stream });
  t.is(cache.stats().prefetchRequests, 0);
  t.is(cache.stats().networkBytes, 8 * BS);
});

test('the prefetch window grows from 1 MiB by doubling to its cap, and a seek switches it off', (t) => {
  const w = new PrefetchWindow(1 << 30, MiB, 8 * MiB);
  t.is(w.onRead(0, 131072), undefined, 'the first read only sets the position');
  t.deepEqual(w.onRead(131072, 262144), { offset: 262144, end: 262144 + MiB });
  const windows: number[] = [];
  for (let off = 262144; off < 64 * MiB; off += 131072) {
    const r = w.onRead(off, off + 131072);
    if (r) windows.push(r.end - off - 131072);
  }
  t.true(windows.length > 3);
  t.true(windows.every((x) => x <= 8 * MiB));
  t.true(windows.at(-1)! > 4 * MiB);
  t.true(w.enabled);
  t.is(w.onRead(900 * MiB, 900 * MiB + 4096), undefined);
  t.false(w.enabled, 'a far seek is random access');
});

test('pin() fetches missing bytes and keeps them on disk', async (t) => {
  const { cache, source, obj } = await setup(t, { memoryBytes: 0 });
  await cache.pin(obj, 5 * BS, 2 * BS);
  t.is(cache.stats().pinnedBytes, 2 * BS);
  await waitFor('the pinned blocks on disk', () => cache.stats().diskBlocks === 2);
  const before = source.requests;
  await cache.read(obj, 5 * BS, 2 * BS);
  t.is(source.requests, before);
});
