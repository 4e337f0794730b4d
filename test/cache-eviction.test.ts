// The disk tier stays within --cache-size by evicting least recently used blocks on insert (a segment
// file at a time), evicts pinned blocks last, keeps the free-space floor, and on a full disk goes on
// serving from the network.
import test, { type ImplementationFn } from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { mkdir, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { BlockCache, type BlockCacheOptions } from '../src/cache/block-cache.js';
import { fileBackend } from './helpers/cache-backend.js';
import { output } from './helpers/exec.js';
import { blockLocation, blocksHeld, objectFiles } from './helpers/cache-model.js';
import { tempDir } from './helpers/tmp.js';
import { waitFor } from './helpers/wait.js';

const BS = 4096;

async function setup(t: Parameters<typeof tempDir>[0], sizes: number[], extra: Partial<BlockCacheOptions> = {}) {
  const root = await tempDir(t);
  const backend = await fileBackend(path.join(root, 'data'), sizes);
  const options: BlockCacheOptions = { dir: path.join(root, 'cache'), source: backend.source, blockSize: BS, memoryBytes: 0, minFreeBytes: 0, ...extra };
  const cache = await BlockCache.open(options);
  t.teardown(() => cache.close());
  return { backend, options, cache };
}

/** Reads block n of the object and waits until it is on disk (writes are in the background). */
async function readBlock(cache: BlockCache, obj: Parameters<BlockCache['read']>[0], n: number): Promise<void> {
  await cache.read(obj, n * BS, BS);
}

test('eviction keeps the disk tier within diskBytes, least recently used first', async (t) => {
  const { cache, backend, options } = await setup(t, [40 * BS], { diskBytes: 4 * BS });
  const { obj, bytes } = backend.objects[0]!;
  for (const n of [0, 1, 2, 3]) await readBlock(cache, obj, n);
  await waitFor('4 blocks on disk', () => cache.stats().diskBlocks === 4);
  await readBlock(cache, obj, 0); // block 0 is now the most recently used
  const before = backend.source.requests;
  await readBlock(cache, obj, 0);
  t.is(backend.source.requests, before, 'block 0 came from disk');
  await readBlock(cache, obj, 10);
  await waitFor('block 10 stored', () => cache.stats().evictions === 1 && cache.stats().diskBlocks === 4);
  await cache.close();
  // A cache of 4 blocks keeps each block in a file of its own (a segment is at most a 64th of the cache).
  t.deepEqual(await blocksHeld(options.dir, obj), [0, 2, 3, 10], 'block 1, the least recently used, was evicted');
  t.deepEqual(await objectFiles(options.dir, obj), ['s0', 's10', 's2', 's3'], 'and its file removed');
  const again = await BlockCache.open(options);
  t.teardown(() => again.close());
  for (let n = 0; n < 40; n++) t.true((await again.read(obj, n * BS, BS)).equals(bytes.subarray(n * BS, (n + 1) * BS)));
  // Each block from the source was stored (and is there or was evicted) or skipped while earlier writes held the room.
  await waitFor('writes to settle', () => {
    const s = again.stats();
    return s.evictions + s.diskWritesSkipped + s.diskBlocks === s.networkRequests + 4;
  });
  t.true(again.stats().evictions > 0);
  t.true(again.stats().diskBytes <= 4 * BS);
});

test('pinned blocks survive eviction pressure from other reads', async (t) => {
  const { cache, backend } = await setup(t, [4 * BS, 64 * BS], { diskBytes: 8 * BS });
  const [index, data] = backend.objects.map((o) => o.obj) as [Parameters<BlockCache['read']>[0], Parameters<BlockCache['read']>[0]];
  await cache.pin(index, 0, 2 * BS + 10); // blocks 0..2
  t.is(cache.stats().pinnedBytes, 3 * BS);
  for (let n = 0; n < 64; n++) await readBlock(cache, data, n);
  await waitFor('the data reads to be stored', () => {
    const s = cache.stats();
    return s.evictions + s.diskWritesSkipped + s.diskBlocks - 3 === 64;
  });
  t.true(cache.stats().evictions > 0);
  t.is(cache.stats().pinnedBytes, 3 * BS);
  const before = backend.source.requests;
  await cache.read(index, 0, 3 * BS);
  t.is(backend.source.requests, before, 'the pinned blocks came from disk');
  t.true(cache.stats().diskBytes <= 8 * BS);
});

test('eviction takes a segment file at a time, and the files on disk hold no more than the cap', async (t) => {
  // A cache of 256 blocks keeps them in segment files of a 64th of it: 4 blocks each.
  // 302 blocks: the last 256 of them do not start on a segment.
  const { cache, backend, options } = await setup(t, [302 * BS], { diskBytes: 256 * BS });
  const { obj } = backend.objects[0]!;
  for (let n = 0; n < 302; n++) await readBlock(cache, obj, n);
  await waitFor('the reads to be stored', () => {
    const s = cache.stats();
    return s.evictions + s.diskWritesSkipped + s.diskBlocks === 302;
  });
  t.true(cache.stats().evictions > 0);
  await cache.close();
  const held = await blocksHeld(options.dir, obj);
  const segments = [...new Set(held.map((n) => Math.floor(n / 4)))];
  t.deepEqual(held, segments.flatMap((s) => [4 * s, 4 * s + 1, 4 * s + 2, 4 * s + 3]).filter((n) => n < 302), 'whole segments were evicted');
  t.true(held.includes(301) && !held.includes(0), 'the least recently used first');
  const files = await objectFiles(options.dir, obj);
  t.deepEqual(files, segments.map((s) => `s${s}`).sort(), 'evicted segments have no file');
  const dir = path.dirname(blockLocation(options.dir, obj, 0, { blockSize: BS }).file);
  const allocated = (await Promise.all(files.map((f) => stat(path.join(dir, f))))).reduce((a, st) => a + st.blocks * 512, 0);
  t.true(allocated <= 256 * BS, `the files take ${allocated} bytes of disk, within the cap`);
});

test('a cache keeps the segment size its blocks were written with, and takes a new one once it holds none', async (t) => {
  const { cache, backend, options } = await setup(t, [8 * BS], { diskBytes: 8 * BS });
  const { obj, bytes } = backend.objects[0]!;
  await cache.read(obj, 0, 8 * BS);
  await waitFor('8 blocks on disk', () => cache.stats().diskBlocks === 8);
  await cache.close();
  t.is((await objectFiles(options.dir, obj)).length, 8, 'a cache of 8 blocks keeps a file per block');
  const bigger = { ...options, diskBytes: 1024 * BS }; // segments of 16 blocks for a new cache this size
  const grown = await BlockCache.open(bigger);
  t.teardown(() => grown.close());
  t.true((await grown.read(obj, 0, 8 * BS)).equals(bytes));
  t.is(grown.stats().networkRequests, 0, 'the blocks are found where they were written');
  await grown.clear();
  await grown.close();
  const cleared = await BlockCache.open(bigger);
  t.teardown(() => cleared.close());
  t.true((await cleared.read(obj, 0, 8 * BS)).equals(bytes));
  await waitFor('8 blocks on disk', () => cleared.stats().diskBlocks === 8);
  await cleared.close();
  t.deepEqual(await objectFiles(options.dir, obj), ['s0'], 'once cleared, the blocks share a segment');
});

/**
 * Why no tmpfs can be mounted here (not root, no CAP_SYS_ADMIN), or undefined when one can. Probed
 * synchronously: ava takes only tests declared while the file loads.
 */
function tmpfsProblem(): string | undefined {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'scorefs-tmpfs-probe-'));
  try {
    const mount = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', dir], { encoding: 'utf8', timeout: 10_000 });
    if (mount.status !== 0) return mount.stderr?.trim().split('\n')[0] || String(mount.error ?? `mount exited ${mount.status}`);
    spawnSync('umount', [dir], { timeout: 10_000 });
    return undefined;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const noTmpfs = tmpfsProblem();

/** A test on a small tmpfs: skipped, with the reason in its title, where none can be mounted. */
function tmpfsTest(title: string, fn: ImplementationFn<[]>): void {
  if (noTmpfs) test.skip(`${title} (skipped: cannot mount a tmpfs here: ${noTmpfs})`, fn);
  else test(title, fn);
}

/** A tmpfs of `size` bytes (and at most `inodes` files) mounted for the test. */
async function smallFilesystem(t: Parameters<typeof tempDir>[0], size: number, inodes?: number): Promise<string> {
  const dir = path.join(await tempDir(t), 'small-fs');
  await mkdir(dir);
  await output('mount', ['-t', 'tmpfs', '-o', `size=${size}${inodes ? `,nr_inodes=${inodes}` : ''}`, 'tmpfs', dir]);
  t.teardown(() => output('umount', ['-l', dir]).then(() => undefined));
  return dir;
}

tmpfsTest('a full disk makes the cache skip writes (counted), never fail a read the source can serve', async (t) => {
  // Room for bytes but not for files: statfs says there is space, creating a block file gets ENOSPC
  // (each object takes a directory and a segment file).
  const fsDir = await smallFilesystem(t, 64 * 1024 * 1024, 40);
  const { cache, backend } = await setup(t, Array(40).fill(128 * 1024), { dir: path.join(fsDir, 'cache'), blockSize: 64 * 1024, diskBytes: 1 << 30 });
  for (const { obj, bytes } of backend.objects) {
    for (let off = 0; off < obj.size; off += 100_000) t.true((await cache.read(obj, off, 100_000)).equals(bytes.subarray(off, off + 100_000)));
  }
  await waitFor('the failed writes', () => cache.stats().diskWriteErrors > 0);
  for (const { obj, bytes } of backend.objects) t.true((await cache.read(obj, 0, obj.size)).equals(bytes));
  t.is(cache.stats().readErrors, 0);
});

tmpfsTest('the free-space floor is kept: writes beyond it evict or are skipped', async (t) => {
  const fsDir = await smallFilesystem(t, 4 * 1024 * 1024);
  const floor = 3 * 1024 * 1024;
  const { cache, backend } = await setup(t, [4 * 1024 * 1024], { dir: path.join(fsDir, 'cache'), blockSize: 64 * 1024, diskBytes: 1 << 30, minFreeBytes: floor });
  const { obj, bytes } = backend.objects[0]!;
  t.true((await cache.read(obj, 0, obj.size)).equals(bytes));
  await waitFor('writes to settle', () => cache.stats().diskWritesSkipped + cache.stats().evictions > 0 && cache.stats().diskBlocks > 0);
  const avail = Number((await output('df', ['-B1', '--output=avail', fsDir])).trim().split('\n').pop());
  t.true(avail >= floor - 64 * 1024, `free ${avail} stays about at or above the floor ${floor}`);
  t.is(cache.stats().diskWriteErrors, 0);
});
