// The cache never serves bytes it has not verified: a block file that fails its checksum or is gone
// is a miss fetched again; complete parts and objects are MD5-checked and dropped on a mismatch; a
// changed object gets new blocks; and a re-read after restart sends no object byte over the network.
import test from 'ava';
import { mkdir, readdir, stat, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { BlockCache, type BlockCacheOptions } from '../src/cache/block-cache.js';
import { CacheIndex } from '../src/cache/cache-index.js';
import { objectKey } from '../src/cache/object-key.js';
import type { ObjectIdentity } from '../src/model.js';
import { describedCatalog, httpBackend } from './helpers/cache-backend.js';
import { md5 } from './helpers/md5.js';
import { blockLocation, blocksHeld, damageBlock, objectFiles } from './helpers/cache-model.js';
import { tempDir } from './helpers/tmp.js';
import { waitFor } from './helpers/wait.js';

const BS = 4096;
const SIZE = 10 * BS + 321; // 11 blocks
const PART = 3 * BS + 100; // parts that do not line up with blocks

async function setup(t: Parameters<typeof tempDir>[0], extra: Partial<BlockCacheOptions> = {}) {
  const root = await tempDir(t);
  const backend = await httpBackend(t, path.join(root, 'data'), [SIZE, 5000], { partSize: PART });
  const options: BlockCacheOptions = { dir: path.join(root, 'cache'), source: backend.source, blockSize: BS, minFreeBytes: 0, memoryBytes: 0, ...extra };
  const cache = await BlockCache.open(options);
  t.teardown(() => cache.close());
  return { backend, options, cache, obj: backend.objects[0]!.obj, bytes: backend.objects[0]!.bytes };
}

/** Block-aligned parts of the object's bytes (3 blocks each), part `wrong` (0-based) with a wrong MD5. */
function alignedParts(bytes: Buffer, wrong: number): Array<{ offset: number; size: number; md5: string }> {
  return [0, 3, 6, 9].map((b, i) => {
    const offset = b * BS;
    const size = Math.min(3 * BS, SIZE - offset);
    return { offset, size, md5: i === wrong ? md5(Buffer.from('wrong')) : md5(bytes.subarray(offset, offset + size)) };
  });
}

test('a re-read after restart sends no object byte over the network', async (t) => {
  const { backend, options, cache, obj, bytes } = await setup(t);
  t.true((await cache.read(obj, 0, SIZE)).equals(bytes));
  await cache.close();
  const sent = await backend.server.objectBytesSent();
  const again = await BlockCache.open(options);
  t.teardown(() => again.close());
  t.true((await again.read(obj, 0, SIZE + 10)).equals(bytes));
  t.is(await backend.server.objectBytesSent(), sent);
  t.like(again.stats(), { bytesFromDisk: SIZE, bytesFromNetwork: 0, networkRequests: 0, checksumFailures: 0 });
});

test('a damaged block on disk is a miss: counted and fetched again, correct bytes served', async (t) => {
  const { backend, options, cache, obj, bytes } = await setup(t);
  await cache.read(obj, 0, SIZE);
  await cache.close();
  t.true(await damageBlock(options.dir, obj, 2, 'flip'));
  t.true(await damageBlock(options.dir, obj, 7, 'flip'));
  t.true(await damageBlock(options.dir, obj, 10, 'truncate')); // the last block, cut short
  const sent = await backend.server.objectBytesSent();
  const again = await BlockCache.open(options);
  t.teardown(() => again.close());
  t.true((await again.read(obj, 0, SIZE)).equals(bytes));
  const refetched = 2 * BS + (SIZE - 10 * BS);
  t.like(again.stats(), { checksumFailures: 3, missingBlocks: 0, networkRequests: 3, bytesFromNetwork: refetched });
  t.is((await backend.server.objectBytesSent()) - sent, refetched);
  await again.close();
  t.deepEqual(await blocksHeld(options.dir, obj), [...Array(11).keys()], 'the refetched blocks are stored again');
});

test('a missing block file is a miss for every block it held: counted and fetched again', async (t) => {
  const { options, cache, obj, bytes } = await setup(t);
  await cache.read(obj, 0, SIZE);
  await cache.close();
  t.deepEqual(await objectFiles(options.dir, obj), ['s0'], 'the 11 blocks share one segment file');
  t.true(await damageBlock(options.dir, obj, 4, 'delete'));
  const again = await BlockCache.open(options);
  t.teardown(() => again.close());
  t.true((await again.read(obj, 0, SIZE)).equals(bytes));
  t.like(again.stats(), { missingBlocks: 11, checksumFailures: 0, bytesFromNetwork: SIZE });
  await again.close();
  t.deepEqual(await blocksHeld(options.dir, obj), [...Array(11).keys()], 'stored again');
});

test('complete parts and the whole object are MD5-checked in the background', async (t) => {
  const { cache, obj } = await setup(t);
  t.is(obj.parts?.length, Math.ceil(SIZE / PART));
  await cache.read(obj, 0, SIZE);
  await waitFor('MD5 checks', () => cache.stats().objectsVerified === 1 && cache.stats().partsVerified === obj.parts!.length).catch((e) => { t.log(cache.stats(), obj.parts); throw e; });
  t.is(cache.stats().md5Failures, 0);
});

test('an object read part after part is checked part by part, each byte hashed once: its parts stand for the object', async (t) => {
  const { cache, obj } = await setup(t);
  const parts = obj.parts!;
  for (const [i, p] of parts.entries()) {
    await cache.read(obj, p.offset, p.size);
    await waitFor(`part ${i + 1} hashed`, () => cache.stats().bytesHashed === p.offset + p.size);
  }
  await waitFor('the object check', () => cache.stats().objectsVerified === 1);
  t.like(cache.stats(), { md5Failures: 0, bytesHashed: SIZE, partsVerified: parts.length });
});

test('the parts a read that stops half-way completed are checked; the object is not yet', async (t) => {
  const { cache, obj } = await setup(t);
  const [p1, p2] = obj.parts!;
  await cache.read(obj, 0, p1!.size + p2!.size);
  await waitFor('the first two parts checked', () => cache.stats().partsVerified === 2);
  t.like(cache.stats(), { md5Failures: 0, objectsVerified: 0 });
});

test('an object read in one pass whose MD5 does not match loses only the bad part', async (t) => {
  const { cache, obj: real, bytes, options } = await setup(t);
  // The third part's MD5 is wrong, and the object's too.
  const parts = alignedParts(bytes, 2);
  const obj: ObjectIdentity = { ...real, md5: md5(Buffer.from('also wrong')), parts };
  await cache.read(obj, 0, SIZE);
  await waitFor('the part checks after the object mismatch', () => cache.stats().md5Failures === 1 && cache.stats().partsVerified === 3);
  t.is(cache.stats().objectsVerified, 0);
  await cache.close();
  t.deepEqual(await blocksHeld(options.dir, obj), [0, 1, 2, 3, 4, 5, 9, 10]);
});

test('an object read out of order is verified by its parts once all have passed: each byte hashed once', async (t) => {
  const { cache, obj } = await setup(t);
  const parts = obj.parts!;
  for (const [i, p] of [...parts.entries()].reverse()) {
    await cache.read(obj, p.offset, p.size);
    await waitFor(`part ${i + 1} checked`, () => cache.stats().partsVerified === parts.length - i);
  }
  await waitFor('the object verified', () => cache.stats().objectsVerified === 1);
  t.like(cache.stats(), { md5Failures: 0, bytesHashed: SIZE });
});

test('an object whose parts do not all have an MD5 is checked whole once complete, read out of order (a second pass)', async (t) => {
  const { cache, obj: real } = await setup(t);
  const obj: ObjectIdentity = { ...real, parts: real.parts!.slice(1) }; // Score gave no MD5 for the first part
  const parts = obj.parts!;
  for (const [i, p] of [...parts.entries()].reverse()) {
    await cache.read(obj, p.offset, p.size);
    await waitFor(`part ${i + 2} checked`, () => cache.stats().partsVerified === parts.length - i);
  }
  await cache.read(obj, 0, parts[0]!.offset);
  await waitFor('the object check', () => cache.stats().objectsVerified === 1);
  t.like(cache.stats(), { md5Failures: 0, bytesHashed: SIZE - parts[0]!.offset + SIZE });
});

test('bytes that do not match the catalog MD5 are dropped, counted and fetched again on the next read', async (t) => {
  // The server's bytes are what they are; the identity claims another object MD5 (e.g. a stale
  // catalog), and Score gave no part MD5s (which would stand for the object).
  const { cache, obj: real, bytes, options } = await setup(t);
  const obj: ObjectIdentity = { ...real, md5: md5(Buffer.from('something else')), parts: undefined };
  t.true((await cache.read(obj, 0, SIZE)).equals(bytes), 'the read itself returns what the source verified');
  await waitFor('the MD5 mismatch', () => cache.stats().md5Failures === 1);
  await waitFor('the dropped blocks', async () => (await cache.objects()).every((o) => o.obj.id !== obj.id));
  const requests = cache.stats().networkRequests;
  await cache.read(obj, 0, SIZE);
  t.true(cache.stats().networkRequests > requests, 'fetched again');
  t.deepEqual(await objectFiles(options.dir, real), [], 'no block of the true identity was written');
});

test('a part that fails its MD5 loses only its own blocks', async (t) => {
  const { cache, obj: real, bytes, options } = await setup(t);
  const parts = alignedParts(bytes, 1); // the second part's MD5 is wrong
  const obj: ObjectIdentity = { ...real, md5: null, parts };
  await cache.read(obj, 0, SIZE);
  await waitFor('the part MD5 checks', () => cache.stats().md5Failures === 1 && cache.stats().partsVerified === 3);
  await cache.close();
  t.deepEqual(await blocksHeld(options.dir, obj), [0, 1, 2, 6, 7, 8, 9, 10]);
});

test('a changed object gets new blocks: its old bytes are never served for it', async (t) => {
  const { backend, cache, obj, bytes } = await setup(t);
  await cache.read(obj, 0, SIZE);
  const changed = Buffer.from(bytes);
  changed.fill(7, 100, 9000);
  await writeFile(backend.objects[0]!.path, changed);
  await utimes(backend.objects[0]!.path, new Date(), new Date(Date.now() + 5000));
  await waitFor('the server to list the new version', async () => {
    const c = await describedCatalog(backend.client);
    return c.files.find((f) => f.id === obj.id)!.md5 === md5(changed);
  });
  const now = (await describedCatalog(backend.client)).files.find((f) => f.id === obj.id)!;
  t.not(objectKey(now, BS), objectKey(obj, BS));
  t.true((await cache.read(now, 0, SIZE)).equals(changed));
});

test('verify() re-checks every block and the MD5 of every complete object, and drops what fails', async (t) => {
  const { cache, obj, options, backend } = await setup(t);
  const small = backend.objects[1]!.obj;
  await cache.read(obj, 0, SIZE);
  await cache.read(small, 0, small.size);
  await cache.close();
  t.true(await damageBlock(options.dir, obj, 4, 'flip'));
  const again = await BlockCache.open(options);
  t.teardown(() => again.close());
  const report = await again.verify();
  t.like(report, { checkedBlocks: 13, badBlocks: 1 });
  t.deepEqual(
    report.objects.map((o) => [o.id, o.blocks, o.badBlocks, o.md5Failed]).sort(),
    [[obj.id, 11, 1, []], [small.id, 2, 0, []]].sort(),
  );
  const left = new Map((await again.objects()).map((o) => [o.obj.id, [o.blocks, o.complete]]));
  t.deepEqual(left.get(obj.id), [10, false]);
  t.deepEqual(left.get(small.id), [2, true]);
  t.is(again.stats().checksumFailures, 1);
});

test('clear(), objects(), the catalog snapshot, and orphan files cleaned after open', async (t) => {
  const { cache, obj, options, backend } = await setup(t);
  const small = backend.objects[1]!.obj;
  await cache.read(obj, 0, SIZE);
  await cache.read(small, 0, 10);
  await cache.saveCatalog({ files: [], fetchedAt: 123 });
  await cache.close();
  // Leftovers: a temp file of an older scorefs, and a segment file the index never named (a crash
  // between its write and the index entry).
  const dir = path.dirname(blockLocation(options.dir, obj, 0).file);
  const stray = path.join(path.dirname(blockLocation(options.dir, small, 0).file), 's1');
  await writeFile(path.join(dir, '3.999.1.tmp'), 'partial');
  await writeFile(stray, 'stray');
  const old = new Date(Date.now() - 60_000);
  await utimes(path.join(dir, '3.999.1.tmp'), old, old);
  await utimes(stray, old, old);
  const again = await BlockCache.open(options);
  t.teardown(() => again.close());
  await waitFor('the orphan sweep', () => again.stats().orphansRemoved === 2);
  t.deepEqual(await objectFiles(options.dir, small), ['s0']);
  t.deepEqual(await objectFiles(options.dir, obj), ['s0']);
  t.deepEqual(await again.loadCatalog(), { files: [], fetchedAt: 123 });
  const listed = new Map((await again.objects()).map((o) => [o.obj.id, o]));
  t.like(listed.get(obj.id), { blocks: 11, cachedBytes: SIZE, complete: true });
  t.like(listed.get(small.id), { blocks: 1, cachedBytes: BS, complete: false });
  await again.clear([small.id]);
  t.deepEqual([...(await again.objects()).map((o) => o.obj.id)], [obj.id]);
  await again.clear();
  t.deepEqual(await again.objects(), []);
  t.like(again.stats(), { diskBytes: 0, diskBlocks: 0 });
  t.true((await again.read(obj, 0, SIZE)).equals(backend.objects[0]!.bytes));
});

test('a cache in the older layout (a file per block) is removed when the cache opens, unless a running scorefs has it', async (t) => {
  const root = await tempDir(t);
  const backend = await httpBackend(t, path.join(root, 'data'), [SIZE]);
  const dir = path.join(root, 'cache');
  const old = path.join(dir, 'v1');
  const makeOld = async (): Promise<CacheIndex> => {
    const index = await CacheIndex.open(path.join(old, 'index'));
    await mkdir(path.join(old, 'blocks', 'object'), { recursive: true });
    await writeFile(path.join(old, 'blocks', 'object', '0'), 'old bytes');
    return index;
  };
  const options: BlockCacheOptions = { dir, source: backend.source, blockSize: BS, minFreeBytes: 0 };

  const running = await makeOld(); // an older scorefs holds it
  const first = await BlockCache.open(options);
  t.true((await stat(path.join(old, 'blocks', 'object', '0'))).isFile(), 'left while in use');
  await first.close();
  await running.close();

  const second = await BlockCache.open(options);
  t.teardown(() => second.close());
  t.is(await stat(old).catch(() => undefined), undefined, 'removed once no scorefs has it');
  const { obj, bytes } = backend.objects[0]!;
  t.true((await second.read(obj, 0, SIZE)).equals(bytes));
  await second.close();

  // An old index that cannot be opened (damaged) is no one's: it goes too, rather than stay "in use" for good.
  await (await makeOld()).close();
  const current = (await readdir(path.join(old, 'index'))).find((name) => name.startsWith('CURRENT'))!;
  await writeFile(path.join(old, 'index', current), 'MANIFEST-999999\n'); // names a manifest that is not there
  await t.throwsAsync(CacheIndex.open(path.join(old, 'index')), { message: /cannot open cache index/ }, 'the old index is damaged');
  const third = await BlockCache.open(options);
  t.teardown(() => third.close());
  t.is(await stat(old).catch(() => undefined), undefined, 'a damaged older layout is removed');
});
