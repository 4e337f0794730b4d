// Small ranges outlive the cache they were fetched into: reopened (a remount), the cache serves a random
// read from the range on disk and sends nothing; the range counts in the cache's size and listing, a
// range file that fails its checksum is fetched again, and `verify` and `clear` treat ranges as blocks.
import test from 'ava';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { BlockCache } from '../src/cache/block-cache.js';
import { layoutRoot } from '../src/cache/cache-dir.js';
import { ALIGN, REACH } from '../src/cache/small-ranges.js';
import { httpBackend } from './helpers/cache-backend.js';
import { tempDir } from './helpers/tmp.js';
import { waitFor } from './helpers/wait.js';

const MiB = 1024 * 1024;
/** A random read well inside the object, away from block edges. */
const AT = 5 * MiB + 12 * 4096;

/** Waits for the range a read started to arrive whole (the read itself returns once its own bytes are in); its size. */
async function rangeArrived(cache: BlockCache): Promise<number> {
  await waitFor('the small range to arrive', () => cache.stats().fetchesInFlight === 0);
  return cache.stats().networkBytes;
}

async function setup(t: Parameters<typeof httpBackend>[0]) {
  const root = await tempDir(t);
  const backend = await httpBackend(t, path.join(root, 'data'), [12 * MiB]);
  const dir = path.join(root, 'cache');
  const open = async (): Promise<BlockCache> => {
    const cache = await BlockCache.open({ dir, source: backend.source, memoryBytes: 16 * MiB, diskBytes: 256 * MiB, minFreeBytes: 0 });
    t.teardown(() => cache.close());
    return cache;
  };
  const { obj, bytes } = backend.objects[0]!;
  const expect = (offset: number, length: number): Buffer => bytes.subarray(offset, offset + length);
  /** Files under the cache's block directory, by name. */
  const blockFiles = async (): Promise<string[]> => {
    const blocks = path.join(layoutRoot(dir), 'blocks');
    const out = [];
    for (const okey of await readdir(blocks).catch(() => [])) for (const name of await readdir(path.join(blocks, okey))) out.push(path.join(blocks, okey, name));
    return out;
  };
  /** Stores the range of a random read at AT and damages a byte of its file; the range's size. */
  const storeDamagedRange = async (): Promise<number> => {
    const first = await open();
    await first.read(obj, AT, 4096);
    const size = await rangeArrived(first);
    await first.close();
    const [file] = await blockFiles();
    const damaged = await readFile(file!);
    damaged[20_000] ^= 0xff;
    await writeFile(file!, damaged);
    return size;
  };
  return { backend, obj, open, expect, blockFiles, storeDamagedRange };
}

test('reopened, the cache serves a random read from the small range kept on disk and sends nothing', async (t) => {
  const { backend, obj, open, expect, blockFiles } = await setup(t);
  const first = await open();
  t.true((await first.read(obj, AT, 4096)).equals(expect(AT, 4096)));
  const fetched = await rangeArrived(first);
  t.true(fetched > 0 && fetched <= REACH + 2 * ALIGN, `one small range fetched: ${fetched} bytes`);
  await first.close(); // waits for the range's write
  t.is((await blockFiles()).length, 1, 'one file: the range, no block');

  const sentBefore = await backend.server.objectBytesSent();
  const second = await open();
  t.true((await second.read(obj, AT, 4096)).equals(expect(AT, 4096)), 'the first read after reopening');
  t.true((await second.read(obj, AT + 4096, 64 * 1024)).equals(expect(AT + 4096, 64 * 1024)), 'the readahead after it');
  const stats = second.stats();
  t.is(stats.networkBytes, 0, 'nothing fetched');
  t.is(await backend.server.objectBytesSent(), sentBefore, 'nothing sent by the server');
  t.is(stats.bytesFromDisk, 4096, 'the first read came from disk');
  t.is(stats.diskBytes, fetched, "the range counts in the cache's size");
  const [listed] = await second.objects();
  t.like(listed, { cachedBytes: fetched, blocks: 0, complete: false });
});

test('a range goes to disk once reads pause, without waiting for the cache to close (a killed daemon keeps it)', async (t) => {
  const { obj, open, expect, blockFiles } = await setup(t);
  const cache = await open();
  t.true((await cache.read(obj, AT, 4096)).equals(expect(AT, 4096)));
  const fetched = await rangeArrived(cache);
  await waitFor('the range to be written', async () => cache.stats().diskBytes === fetched);
  t.is((await blockFiles()).length, 1);
});

test('a range that fails its checksum is fetched again; verify checks ranges and clear removes them', async (t) => {
  const { obj, open, expect, blockFiles, storeDamagedRange } = await setup(t);
  await storeDamagedRange();

  const second = await open();
  t.true((await second.read(obj, AT, 4096)).equals(expect(AT, 4096)), 'the right bytes, not the damaged ones');
  t.is(second.stats().checksumFailures, 1);
  t.true((await rangeArrived(second)) > 0, 'fetched again');
  await second.close();

  const third = await open();
  const report = await third.verify();
  t.like(report, { checkedBlocks: 0, checkedRanges: 1, badBlocks: 0 }, 'the range stored again checks');
  await third.clear();
  t.deepEqual(await blockFiles(), []);
  t.is(third.stats().diskBytes, 0);
});

test('reads that come together for a damaged range share its disk read: one failure counted, one range fetched again', async (t) => {
  const { obj, open, expect, storeDamagedRange } = await setup(t);
  const size = await storeDamagedRange();

  const second = await open();
  // A read and the kernel's readahead after it, as they reach the daemon: together.
  const [a, b] = await Promise.all([second.read(obj, AT, 4096), second.read(obj, AT + 4096, 64 * 1024)]);
  t.true(a.equals(expect(AT, 4096)) && b.equals(expect(AT + 4096, 64 * 1024)), 'the right bytes, not the damaged ones');
  t.is(second.stats().checksumFailures, 1, 'the range was read from disk once');
  t.is(await rangeArrived(second), size, 'and fetched again once, as a range');
});
