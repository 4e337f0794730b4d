// Parallel transfer against an object store that caps each connection (`scorefs serve` throttling
// every object response): a sequential read through the mount, `scorefs download` and `scorefs cache
// warm` keep several range GETs in flight at once (counted by the server), fetch the object about once,
// and a random read pattern on the mount fetches nothing ahead. A prefetch window larger than the
// memory tier costs no second fetch: what the tier drops is read back from the disk tier; with the
// default tier, a lone reader's window fits in it and nothing is read back. Opening a file asks Score
// over connections of its own, not behind the range GETs.
import test, { type ExecutionContext } from 'ava';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { open, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { objectIdFor } from '../src/server/object-id.js';
import { exec } from './helpers/exec.js';
import { md5sum } from './helpers/md5.js';
import { mountScorefs, runScorefs } from './helpers/mount.js';
import { randomObject } from './helpers/random-object.js';
import { startServer, type RunningServer } from './helpers/server.js';
import { tempDir } from './helpers/tmp.js';
import { settled, waitFor } from './helpers/wait.js';

const MiB = 1024 * 1024;
const SIZE = 24 * MiB;
/** Per connection: one stream of the object would take 8 s. */
const CAP = 3 * MiB;

interface Setup {
  server: RunningServer;
  local: string;
  id: string;
  rel: string;
}

async function setup(t: ExecutionContext): Promise<Setup> {
  const { data, file: local } = await randomObject(t, 'ST-BIG', 'AN-BIG', 'big.bin', SIZE);
  await writeFile(path.join(path.dirname(local), 'small.txt'), 'small\n');
  const server = await startServer(t, { data });
  await server.setFaults({ route: 'object', bytesPerSecond: CAP });
  return { server, local, id: objectIdFor('AN-BIG', 'big.bin'), rel: path.join('AN-BIG', 'big.bin') };
}

/** The most object bodies the server has sent at once, since it started. */
async function peakInFlight(server: RunningServer): Promise<number> {
  const m = /^scorefs_server_object_bodies_in_flight_max (\d+)$/m.exec(await server.metricsText());
  if (!m) throw new Error('the server reports no scorefs_server_object_bodies_in_flight_max');
  return Number(m[1]);
}

/** Object bytes the server has sent once the mount's background fetches (read-ahead, index) are over. */
function settledBytes(server: RunningServer): Promise<number> {
  return settled('object bytes to settle', () => server.objectBytesSent());
}

test('a sequential read through the mount keeps several range GETs in flight and fetches the object once', async (t) => {
  const s = await setup(t);
  const m = await mountScorefs(t, { serverUrl: s.server.url });
  t.is(await md5sum(path.join(m.mnt, s.rel)), await md5sum(s.local));
  const peak = await peakInFlight(s.server);
  const sent = await settledBytes(s.server);
  t.log(`peak ${peak} object responses at once; ${sent} bytes sent for a ${SIZE}-byte object`);
  t.true(peak > 1, `more than one range GET at once (peak ${peak})`);
  t.true(sent <= SIZE * 1.05, `bytes fetched ${sent} ≤ 1.05 × ${SIZE}`);
  const stats = JSON.parse(await readFile(path.join(m.mnt, '.scorefs', 'stats.json'), 'utf8')) as { cache: { fetchesInFlightPeak: number } };
  t.true(stats.cache.fetchesInFlightPeak > 1, 'the mount says so too');
});

test('a prefetch window larger than the memory tier: the blocks the tier drops are read back from disk, not fetched again', async (t) => {
  const s = await setup(t);
  const m = await mountScorefs(t, { serverUrl: s.server.url, extraArgs: ['--memory-size', '2M'] });
  t.is(await md5sum(path.join(m.mnt, s.rel)), await md5sum(s.local));
  const sent = await settledBytes(s.server);
  const stats = JSON.parse(await readFile(path.join(m.mnt, '.scorefs', 'stats.json'), 'utf8')) as {
    cache: { prefetchBytes: number; bytesFromDisk: number };
  };
  t.log(`prefetched ${stats.cache.prefetchBytes} bytes; ${stats.cache.bytesFromDisk} read back from disk; ${sent} sent`);
  // All but the first 4 MiB (the evidence of a sequential read) go ahead of the reader: a window of
  // half the tier (1 MiB) would leave the reader's own reads to fetch half of them.
  t.true(stats.cache.prefetchBytes >= 16 * MiB, `the window ran far ahead of a 2 MiB memory tier (${stats.cache.prefetchBytes} bytes prefetched)`);
  t.true(stats.cache.bytesFromDisk > 0, 'prefetched blocks the memory tier dropped came from the disk tier');
  t.true(sent <= SIZE * 1.05, `bytes fetched ${sent} ≤ 1.05 × ${SIZE}`);
});

test('a sequential read leaves its blocks behind in the memory tier: the blocks ahead fit, and are not read back from disk', async (t) => {
  const s = await setup(t);
  const m = await mountScorefs(t, { serverUrl: s.server.url, extraArgs: ['--memory-size', '12M'] });
  t.is(await md5sum(path.join(m.mnt, s.rel)), await md5sum(s.local));
  const stats = JSON.parse(await readFile(path.join(m.mnt, '.scorefs', 'stats.json'), 'utf8')) as {
    cache: { bytesFromDisk: number; bytesFromMemory: number; memoryBytes: number };
  };
  t.log(`${stats.cache.bytesFromMemory} bytes from memory, ${stats.cache.bytesFromDisk} read back from disk; ${stats.cache.memoryBytes} in the tier at the end`);
  // The tier holds 12 MiB of a 24 MiB file: kept behind the reader, the blocks it read would leave half
  // of those it prefetched to be read back from disk.
  t.true(stats.cache.bytesFromDisk <= 2 * MiB, `read back from disk: ${stats.cache.bytesFromDisk} bytes`);
  t.true(stats.cache.memoryBytes <= 8 * MiB, `the blocks behind the reader left the tier (${stats.cache.memoryBytes} bytes in it)`);
});

test('a lone reader slower than the link, with the default memory tier: the prefetch window fits in the tier, nothing is read back from disk', async (t) => {
  const { data, file: local } = await randomObject(t, 'ST-LONE', 'AN-LONE', 'lone.bin', 96 * MiB);
  const server = await startServer(t, { data });
  const m = await mountScorefs(t, { serverUrl: server.url });
  // 1 MiB at a time with a pause: the link outruns the reader, so the window fills with blocks that
  // wait in the memory tier for it.
  const file = await open(path.join(m.mnt, 'AN-LONE', 'lone.bin'));
  const hash = createHash('md5');
  try {
    const buf = Buffer.alloc(MiB);
    for (;;) {
      const { bytesRead } = await file.read(buf, 0, MiB);
      if (bytesRead === 0) break;
      hash.update(buf.subarray(0, bytesRead));
      await sleep(5);
    }
  } finally {
    await file.close();
  }
  t.is(hash.digest('hex'), await md5sum(local));
  const stats = JSON.parse(await readFile(path.join(m.mnt, '.scorefs', 'stats.json'), 'utf8')) as {
    cache: { prefetchBytes: number; bytesFromDisk: number; bytesFromMemory: number };
  };
  t.log(`prefetched ${stats.cache.prefetchBytes} bytes; ${stats.cache.bytesFromMemory} from memory, ${stats.cache.bytesFromDisk} read back from disk`);
  t.true(stats.cache.prefetchBytes >= 64 * MiB, `the window ran ahead of the reader (${stats.cache.prefetchBytes} bytes prefetched)`);
  t.is(stats.cache.bytesFromDisk, 0, 'no prefetched block left the tier before its reader came');
});

test('random reads through the mount fetch nothing ahead', async (t) => {
  const s = await setup(t);
  const m = await mountScorefs(t, { serverUrl: s.server.url });
  const file = path.join(m.mnt, s.rel);
  const piece = path.join(await tempDir(t), 'piece');
  const whole = await readFile(s.local);
  const offsets = [17, 3, 11, 22, 6, 14].map((mib) => mib * MiB);
  for (const at of offsets) {
    const r = await exec('dd', [`if=${file}`, `of=${piece}`, 'bs=4096', `skip=${at / 4096}`, 'count=1', 'status=none']);
    t.is(r.code, 0, r.stderr);
    t.true((await readFile(piece)).equals(whole.subarray(at, at + 4096)), `the 4 KiB at ${at}`);
  }
  const stats = JSON.parse(await readFile(path.join(m.mnt, '.scorefs', 'stats.json'), 'utf8')) as { cache: { prefetchRequests: number; networkBytes: number } };
  t.is(stats.cache.prefetchRequests, 0, 'no speculative range GET');
  // Each read costs its block, and the next one at most if the kernel's readahead crossed into it.
  t.true(stats.cache.networkBytes <= offsets.length * 2 * MiB, `only the blocks read were fetched (${stats.cache.networkBytes} bytes)`);
});

test('scorefs download keeps several range GETs in flight and fetches the object once', async (t) => {
  const s = await setup(t);
  const out = path.join(await tempDir(t), 'out');
  const r = await runScorefs(['download', '--storage-url', s.server.url, '--object-id', s.id, '--output-dir', out]);
  t.is(r.code, 0, r.stderr);
  t.is(await md5sum(path.join(out, 'big.bin')), await md5sum(s.local));
  t.true((await peakInFlight(s.server)) > 1, 'more than one range GET at once');
  t.is(await settledBytes(s.server), SIZE, 'the object once');
});

test('scorefs cache warm keeps several range GETs in flight and fetches the object once', async (t) => {
  const s = await setup(t);
  const cacheDir = path.join(await tempDir(t), 'cache');
  const w = await runScorefs(['cache', 'warm', '--storage-url', s.server.url, '--cache-dir', cacheDir, s.id]);
  t.is(w.code, 0, w.stderr);
  t.regex(w.stdout, /1 of 1 file\(s\) complete/);
  t.true((await peakInFlight(s.server)) > 1, 'more than one range GET at once');
  t.is(await settledBytes(s.server), SIZE, 'the object once');
});

test('opening a file does not wait behind range GETs that hold every object connection', async (t) => {
  const s = await setup(t);
  await s.server.setFaults({ route: 'object', bytesPerSecond: 64 * 1024 }); // a 1 MiB block: 16 s
  const m = await mountScorefs(t, { serverUrl: s.server.url, extraArgs: ['--connections', '1'] });
  const reader = spawn('cat', [path.join(m.mnt, s.rel)], { stdio: 'ignore' });
  t.teardown(() => reader.kill());
  await waitFor('a range GET in flight', async () => (await peakInFlight(s.server)) >= 1);
  // The open waits for Score's word on the file (its specification): that request must not queue
  // behind the one slow range GET the single object connection carries.
  const other = await open(path.join(m.mnt, 'AN-BIG', 'small.txt'));
  await other.close();
  const sent = await s.server.objectBytesSent();
  t.true(sent < MiB, `the open answered while the first block was still arriving (${sent} bytes of it sent)`);
});
