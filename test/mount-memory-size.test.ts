// --memory-size sets the daemon's memory tier: with 0, every re-read past the page cache comes off
// the disk tier; with a size, the mount reports it and serves re-reads from memory.
import test from 'ava';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { exec } from './helpers/exec.js';
import { mountScorefs } from './helpers/mount.js';
import { SAMPLE, sampleData } from './helpers/sample-data.js';
import { startServer, type RunningServer } from './helpers/server.js';
import { waitFor } from './helpers/wait.js';

let server: RunningServer;

test.before(async () => {
  server = await startServer(undefined, { data: sampleData() });
});

test.after.always(async () => {
  await server?.stop();
});

interface CacheCounters {
  memoryCapacityBytes: number;
  bytesFromMemory: number;
  bytesFromDisk: number;
}

/** Reads the BAM twice past the page cache (O_DIRECT) and returns the cache's counters. */
async function readTwice(extraArgs: string[]): Promise<CacheCounters> {
  const mount = await mountScorefs(undefined, { serverUrl: server.url, extraArgs });
  const stats = async () => JSON.parse(await readFile(path.join(mount.mnt, '.scorefs', 'stats.json'), 'utf8')) as { cacheBytes: number; cache: CacheCounters };
  const read = async () => {
    const dd = await exec('dd', [`if=${path.join(mount.mnt, SAMPLE.bamAnalysis, 'ex1.bam')}`, 'of=/dev/null', 'bs=65536', 'iflag=direct']);
    if (dd.code !== 0) throw new Error(dd.stderr);
  };
  try {
    await read();
    await waitFor('the blocks to be written to the disk tier', async () => (await stats()).cacheBytes > 0);
    await read();
    return (await stats()).cache;
  } finally {
    await mount.stop();
  }
}

test('--memory-size 0: no memory tier, re-reads come from disk', async (t) => {
  const c = await readTwice(['--memory-size', '0']);
  t.is(c.memoryCapacityBytes, 0);
  t.is(c.bytesFromMemory, 0);
  t.true(c.bytesFromDisk > 0, 'the second read came off the disk tier');
});

test('--memory-size 16M: the tier has that size and serves re-reads', async (t) => {
  const c = await readTwice(['--memory-size', '16M']);
  t.is(c.memoryCapacityBytes, 16 * 1024 * 1024);
  t.true(c.bytesFromMemory > 0, 'the second read came from memory');
});
