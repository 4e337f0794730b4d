// kill -9 at random moments while a process reads through the cache (fetching, writing, evicting):
// after each, the cache reopens and every byte it serves equals the source, and no block fails its checksum.
import test from 'ava';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { BlockCache, type BlockCacheOptions } from '../src/cache/block-cache.js';
import { httpBackend } from './helpers/cache-backend.js';
import { seededRandom } from './helpers/random.js';
import { tempDir } from './helpers/tmp.js';

const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'helpers', 'cache-crash-child.js');
const KILLS = 15;

test(`the cache survives ${KILLS} SIGKILLs mid-read: every byte served afterwards is right`, async (t) => {
  const root = await tempDir(t);
  const backend = await httpBackend(t, path.join(root, 'data'), [3 * 1024 * 1024 + 17, 1024 * 1024, 100_000], { partSize: 512 * 1024 });
  const cacheOptions: Omit<BlockCacheOptions, 'source'> = {
    dir: path.join(root, 'cache'),
    blockSize: 64 * 1024,
    memoryBytes: 256 * 1024,
    diskBytes: 2 * 1024 * 1024, // smaller than the data: evictions run all the time
    minFreeBytes: 0,
    maxFetchBytes: 256 * 1024,
  };
  const config = JSON.stringify({ url: backend.server.url, cache: cacheOptions, objects: backend.objects.map((o) => ({ obj: o.obj, path: o.path })) });
  let childReads = 0;
  // Seeded ranges and kill delays: where a kill lands still depends on timing, what was read does not.
  const rnd = seededRandom(15);
  for (let kill = 0; kill < KILLS; kill++) {
    const seed = rnd.int(2 ** 31);
    const child = spawn(process.execPath, [CHILD, config, String(seed)], { stdio: ['ignore', 'pipe', 'pipe'] });
    t.teardown(() => void child.kill('SIGKILL'));
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = once(child, 'exit');
    while (!out.includes('ready') && child.exitCode === null) await sleep(10);
    await sleep(50 + rnd.int(600));
    child.kill('SIGKILL');
    const [code, signal] = (await exited) as [number | null, string | null];
    t.is(signal, 'SIGKILL', `child ${kill} (seed ${seed}) ran until killed (exit ${code}): ${out.slice(-200)} ${err.slice(-500)}`);
    t.false(out.includes('MISMATCH'), out);
    childReads += Number(/ok (\d+)\n[^]*$/.exec(out)?.[1] ?? 0);

    const cache = await BlockCache.open({ ...cacheOptions, source: backend.source, memoryBytes: 0 });
    try {
      const report = await cache.verify();
      t.is(report.badBlocks, 0, `after kill ${kill}: no block fails its checksum`);
      t.deepEqual(report.objects.filter((o) => o.md5Failed.length > 0), [], 'no object fails its MD5');
      for (const { obj, bytes } of backend.objects) {
        for (let off = 0; off < obj.size; off += 200_000) {
          const got = await cache.read(obj, off, 200_000);
          if (!got.equals(bytes.subarray(off, off + 200_000))) t.fail(`after kill ${kill}: object ${obj.id} bytes at ${off} differ`);
        }
      }
      t.true(cache.stats().diskBytes <= cacheOptions.diskBytes!);
    } finally {
      await cache.close();
    }
  }
  t.log(`the children read ${childReads}+ ranges in all`);
  t.true(childReads > 0);
});
