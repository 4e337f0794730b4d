// Through 503s, resets, truncated bodies, stalls and 2-second URLs from `scorefs serve`, reads through
// the cache stay correct; with the server gone, cached bytes are still served and the rest fail with
// Unavailable by the read deadline.
import test from 'ava';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { BlockCache } from '../src/cache/block-cache.js';
import { Unavailable } from '../src/errors.js';
import type { ReadStreamHandle } from '../src/model.js';
import { httpBackend } from './helpers/cache-backend.js';
import { seededRandom } from './helpers/random.js';
import { tempDir } from './helpers/tmp.js';

const BS = 64 * 1024;

test('reads stay correct through 503s, resets, truncated bodies, stalls and expiring URLs', async (t) => {
  const root = await tempDir(t);
  const backend = await httpBackend(t, path.join(root, 'data'), [2 * 1024 * 1024 + 5, 700_000], { client: { stallTimeoutMs: 400 } });
  const cache = await BlockCache.open({
    dir: path.join(root, 'cache'),
    source: backend.source,
    blockSize: BS,
    memoryBytes: 2 * BS,
    diskBytes: 8 * BS, // small: most reads go to the network
    minFreeBytes: 0,
    maxFetchBytes: 4 * BS,
    readDeadlineMs: 60_000,
  });
  t.teardown(() => cache.close());
  await backend.server.setFaults({ route: 'object', errorRate: 0.1, resetRate: 0.05, truncateRate: 0.05, stallRate: 0.03, stallMs: 2000, urlTtlSeconds: 2 });
  const streams = new Map<number, ReadStreamHandle>();
  const rnd = seededRandom(20261206); // the ranges replay from the seed; the faults are the server's draw
  const started = Date.now();
  let reads = 0;
  while (reads < 200 || Date.now() - started < 5000) {
    const i = reads % 2;
    const { obj, bytes } = backend.objects[i]!;
    const useStream = reads % 3 === 0;
    let stream = streams.get(i);
    if (useStream && !stream) streams.set(i, (stream = cache.openStream(obj)));
    const offset = rnd.int(obj.size + 1000);
    const length = rnd.int(200_000);
    const got = await cache.read(obj, offset, length, useStream ? { stream } : {});
    if (!got.equals(bytes.subarray(Math.min(offset, obj.size), Math.min(offset + length, obj.size)))) {
      t.fail(`object ${i} read(${offset}, ${length}) differs from the file (read ${reads}, seed ${rnd.seed})`);
      return;
    }
    reads++;
  }
  const source = backend.client.source.stats();
  t.log({ reads, ...source, cache: cache.stats().networkRequests });
  t.true(source.retries > 0, 'faults were injected and retried');
  t.true(source.refreshes > 0, 'expired URLs were refreshed');
  t.is(cache.stats().readErrors, 0);
});

test('server stopped: cached reads succeed, uncached ones fail with Unavailable by their deadline', async (t) => {
  const root = await tempDir(t);
  const backend = await httpBackend(t, path.join(root, 'data'), [1024 * 1024]);
  const options = { dir: path.join(root, 'cache'), source: backend.source, blockSize: BS, memoryBytes: 0, minFreeBytes: 0 };
  const cache = await BlockCache.open(options);
  t.teardown(() => cache.close());
  const { obj, bytes } = backend.objects[0]!;
  t.true((await cache.read(obj, 0, 4 * BS)).equals(bytes.subarray(0, 4 * BS)));
  await cache.close();
  await backend.server.stop();
  const again = await BlockCache.open({ ...options, readDeadlineMs: 1500 });
  t.teardown(() => again.close());
  t.true((await again.read(obj, BS + 7, 2 * BS)).equals(bytes.subarray(BS + 7, 3 * BS + 7)), 'cached bytes come from disk');
  await t.throwsAsync(again.read(obj, 8 * BS, 100), { instanceOf: Unavailable });
  await t.throwsAsync(again.read(obj, 10 * BS, 100, { deadline: Date.now() + 300 }), { instanceOf: Unavailable });
  t.is(again.stats().readErrors, 2);
  await sleep(10);
});
