// How the cache fetches: one request per block however many readers wait for it, one ranged GET per
// run of adjacent missing blocks (capped at maxFetchBytes), and prefetch that follows sequential
// reads — also when they arrive out of order — and stays off for random access.
import test from 'ava';
import path from 'node:path';
import { BlockCache, type BlockCacheOptions } from '../src/cache/block-cache.js';
import { PrefetchWindow, SEQUENTIAL_EVIDENCE } from '../src/cache/prefetch-window.js';
import { fileBackend, httpBackend } from './helpers/cache-backend.js';
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
  // Past the first SEQUENTIAL_EVIDENCE bytes (read on demand), most were asked of the server by prefetch
  // before the reader asked for them. (Whether they had *arrived* by then depends on the machine's speed.)
  const afterEvidence = 16 * MiB - SEQUENTIAL_EVIDENCE;
  t.true(s.prefetchBytes >= afterEvidence * 0.75, `prefetch asked for most bytes ahead of the reader (${s.prefetchBytes} of ${afterEvidence})`);
});

test('a block of a GET of several is handed to its reader once it has arrived, before the GET ends', async (t) => {
  const root = await tempDir(t);
  const backend = await httpBackend(t, path.join(root, 'data'), [4 * MiB]);
  const { obj, bytes } = backend.objects[0]!;
  await backend.server.setFaults({ route: 'object', bytesPerSecond: MiB }); // the four blocks take 4 s
  const cache = await BlockCache.open({ dir: path.join(root, 'cache'), source: backend.source, minFreeBytes: 0 });
  t.teardown(() => cache.close());
  const ahead = cache.fetchAhead(obj, 0, 4 * MiB);
  const first = await cache.read(obj, 0, 4096);
  const sent = await backend.server.objectBytesSent();
  t.true(first.equals(bytes.subarray(0, 4096)), 'the bytes of the object');
  t.true(sent < 3 * MiB, `block 0 was handed over after ${sent} bytes had been sent, not after all ${4 * MiB}`);
  await ahead;
  t.is(cache.stats().networkRequests, 1, 'the four blocks came in one GET');
});

test('a one-off read of an object\'s start that is its header takes a range of what it asks, not the blocks a first big read takes', async (t) => {
  const root = await tempDir(t);
  const backend = await fileBackend(path.join(root, 'data'), [16 * MiB, 16 * MiB]);
  const cache = await BlockCache.open({ dir: path.join(root, 'cache'), source: backend.source, minFreeBytes: 0 });
  t.teardown(() => cache.close());
  const [header, other] = backend.objects;
  t.true((await cache.read(header!.obj, 0, 256 * 1024, { header: true })).equals(header!.bytes.subarray(0, 256 * 1024)));
  t.is(cache.stats().networkBytes, 256 * 1024, 'the header: 256 KiB');
  t.true((await cache.read(other!.obj, 0, 256 * 1024)).equals(other!.bytes.subarray(0, 256 * 1024)));
  t.is(cache.stats().networkBytes, 256 * 1024 + MiB, 'any other big first read: its block, 1 MiB');
});

test('random reads through a stream do not prefetch', async (t) => {
  const { cache, obj } = await setup(t);
  const stream = cache.openStream(obj);
  for (const block of [200, 3, 150, 40, 90, 10, 240, 60]) await cache.read(obj, block * BS, 4096, { stream });
  t.is(cache.stats().prefetchRequests, 0);
  t.is(cache.stats().networkBytes, 8 * BS);
});

test('the prefetch window waits for a sequential run, grows from 1 MiB by doubling to its cap, and a seek switches it off', (t) => {
  const w = new PrefetchWindow(1 << 30, MiB, 8 * MiB);
  const step = 131072;
  let off = 0;
  for (; off + step < SEQUENTIAL_EVIDENCE; off += step) t.is(w.onRead(off, off + step), undefined, `nothing prefetched at ${off}: too early to call it sequential`);
  t.deepEqual(w.onRead(off, off + step), { offset: SEQUENTIAL_EVIDENCE, end: SEQUENTIAL_EVIDENCE + MiB }, 'then a 1 MiB window');
  const windows: number[] = [];
  for (off += step; off < 64 * MiB; off += step) {
    const r = w.onRead(off, off + step);
    if (r) windows.push(r.end - off - step);
  }
  t.true(windows.length > 3);
  t.true(windows.every((x) => x <= 8 * MiB));
  t.true(windows.at(-1)! > 4 * MiB);
  t.true(w.enabled);
  t.is(w.onRead(900 * MiB, 900 * MiB + 4096), undefined);
  t.false(w.enabled, 'a far seek is random access');
  for (let o = 900 * MiB; o < 900 * MiB + 2 * MiB; o += step) t.is(w.onRead(o, o + step), undefined, 'and the evidence starts again from the seek');
});

test('a region query (a few blocks and their readahead, then a seek) prefetches nothing', (t) => {
  const w = new PrefetchWindow(1 << 30, MiB, 64 * MiB);
  for (const start of [10 * MiB, 500 * MiB, 200 * MiB, 700 * MiB]) {
    for (let o = start; o < start + 2 * MiB; o += 131072) t.is(w.onRead(o, o + 131072), undefined);
  }
});

test("prefetch never goes past the end it was given (a slice's last original byte)", (t) => {
  const end = 6 * MiB + 12345;
  const w = new PrefetchWindow(end, MiB, 64 * MiB);
  let furthest = 0;
  for (let o = 0; o < end; o += 131072) furthest = Math.max(furthest, w.onRead(o, Math.min(end, o + 131072))?.end ?? 0);
  t.true(furthest > SEQUENTIAL_EVIDENCE, 'it did prefetch');
  t.true(furthest <= end, `furthest prefetch ${furthest} ≤ ${end}`);
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
