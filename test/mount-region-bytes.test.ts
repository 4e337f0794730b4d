// Region queries of a BAM through a cold mount cost small ranges, not whole 1 MiB blocks: the index,
// then for each place samtools reads (the header, the EOF marker, the region) one range that reaches
// at most REACH past the read, or a run of them that stops at a block's worth when the kernel's
// readahead goes further; and samtools says what it says on the local file. A read is answered once its
// own bytes of a range have arrived, before the rest of the range.
import test from 'ava';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { ALIGN, REACH } from '../src/cache/small-ranges.js';
import { exec, output } from './helpers/exec.js';
import { mountScorefs, mountWorkDir, runScorefs } from './helpers/mount.js';
import { repoRoot } from './helpers/paths.js';
import { sampleData } from './helpers/sample-data.js';
import { startServer, type RunningServer } from './helpers/server.js';
import { sliceData } from './helpers/slice-data.js';
import { tempDir } from './helpers/tmp.js';
import { settled } from './helpers/wait.js';

const BENCH = path.join(repoRoot, '.tmp', 'slice-data-5M-long', 'BENCH');
/** The most one small range holds: REACH past the read, plus the 64 KiB grid at either end. */
const RANGE_MAX = REACH + 2 * ALIGN;
/** The most a run of small ranges holds: a block (1 MiB, the default block size). */
const BLOCK = 1024 * 1024;

/** Object bytes the server has sent once the mount's background fetches (read-ahead, index) are over. */
function settledBytes(server: RunningServer): Promise<number> {
  return settled('object bytes to settle', () => server.objectBytesSent());
}

test('a cold region query of a BAM fetches its index and one small range per place samtools reads', async (t) => {
  await sliceData(); // builds .tmp/slice-data-5M-long
  const server = await startServer(t, { data: path.join(BENCH, '..') });
  const m = await mountScorefs(t, { serverUrl: server.url });
  const local = path.join(BENCH, 'AN-BENCH-BAM', 'sample.bam');
  const bam = path.join(m.mnt, 'AN-BENCH-BAM', 'sample.bam');
  const index = (await stat(`${local}.bai`)).size;
  t.true((await stat(local)).size > 4 * BLOCK, 'the BAM is several blocks long');

  let before = await settledBytes(server);
  // samtools reads 28 KB of this region's records: well within one range, and the kernel's readahead too.
  const first = 'chr2:1-1000';
  t.is(await output('samtools', ['view', bam, first]), await output('samtools', ['view', local, first]), first);
  const cold = (await settledBytes(server)) - before;
  t.log(`first query: ${cold} bytes (index ${index})`);
  t.true(cold <= index + 3 * RANGE_MAX, `index, header, EOF marker and region: ${cold} ≤ ${index} + 3 × ${RANGE_MAX}`);

  // Index, header and EOF marker are cached now: another region costs its own run only. samtools reads
  // 85 KB of this one's records, past the point where the kernel's readahead asks for 256 KiB more.
  before = cold + before;
  const second = 'chr3:36000-36999';
  t.is(await output('samtools', ['view', bam, second]), await output('samtools', ['view', local, second]), second);
  const next = (await settledBytes(server)) - before;
  t.true(next <= BLOCK, `the second region: ${next} ≤ ${BLOCK}`);
  t.true(next > 0, 'the second region was not cached yet');
});

test('a region query after a remount sends no object byte: its small ranges were kept on disk', async (t) => {
  await sliceData();
  const server = await startServer(t, { data: path.join(BENCH, '..') });
  const cacheDir = path.join(await mountWorkDir(t), 'cache');
  const local = path.join(BENCH, 'AN-BENCH-BAM', 'sample.bam');
  const regions = ['chr2:1-1000', 'chr3:36000-36999'];
  const query = (bam: string, region: string): Promise<string> => output('samtools', ['view', bam, region]);

  const first = await mountScorefs(t, { serverUrl: server.url, cacheDir });
  for (const r of regions) t.is(await query(path.join(first.mnt, 'AN-BENCH-BAM', 'sample.bam'), r), await query(local, r), r);
  const sent = await settledBytes(server);
  await first.stop();

  const second = await mountScorefs(t, { serverUrl: server.url, cacheDir });
  const bam = path.join(second.mnt, 'AN-BENCH-BAM', 'sample.bam');
  for (const r of regions) t.is(await query(bam, r), await query(local, r), `${r} after the remount`);
  t.is(await settledBytes(server), sent, 'no object byte sent after the remount');
  const stats = JSON.parse(await readFile(path.join(second.mnt, '.scorefs', 'stats.json'), 'utf8')) as { bytesFromDisk: number };
  t.true(stats.bytesFromDisk > 0, 'read from the disk cache');
  await second.stop();

  const listed = await runScorefs(['cache', 'stats', '--json', '--cache-dir', cacheDir]);
  const bamEntry = (JSON.parse(listed.stdout) as { objects: Array<{ file: string; blocks: number; ranges: number; complete: boolean }> }).objects.find((o) => o.file === 'AN-BENCH-BAM/sample.bam');
  t.like(bamEntry, { complete: false }, '`cache stats` lists the BAM, in part');
  t.true(bamEntry!.ranges >= regions.length, `one range or more per region: ${bamEntry!.ranges}`);
  const verified = await runScorefs(['cache', 'verify', '--cache-dir', cacheDir]);
  t.is(verified.code, 0, verified.stderr);
  t.regex(verified.stdout, new RegExp(`checked \\d+ block\\(s\\) and ${bamEntry!.ranges} small range\\(s\\)`), '`cache verify` checks the ranges');
});

/** The kernel's readahead of the mount at mnt, KiB, as its backing device says. */
async function readAheadKb(mnt: string): Promise<number> {
  const entry = (await readFile('/proc/self/mountinfo', 'utf8')).split('\n').find((l) => l.split(' ')[4] === mnt);
  if (!entry) throw new Error(`${mnt} is not mounted`);
  return Number((await readFile(`/sys/class/bdi/${entry.split(' ')[2]}/read_ahead_kb`, 'utf8')).trim());
}

test('the mount keeps the kernel readahead small by default, and --read-ahead sets it', async (t) => {
  const server = await startServer(t, { data: sampleData() });
  const small = await mountScorefs(t, { serverUrl: server.url });
  t.is(await readAheadKb(small.mnt), 128);
  const big = await mountScorefs(t, { serverUrl: server.url, extraArgs: ['--read-ahead', '1M'] });
  t.is(await readAheadKb(big.mnt), 1024);
});

test('a random read is answered once its own bytes have arrived, not after its whole small range', async (t) => {
  const data = path.join(await tempDir(t), 'data');
  await mkdir(path.join(data, 'ST1', 'AN-R'), { recursive: true });
  const source = path.join(data, 'ST1', 'AN-R', 'random.bin');
  await writeFile(source, randomBytes(8 * BLOCK));
  const server = await startServer(t, { data });
  // At 128 KiB/s the read's range (REACH past it, over 576 KiB) takes more than 4 s to arrive.
  await server.setFaults({ route: 'object', bytesPerSecond: 128 * 1024 });
  const m = await mountScorefs(t, { serverUrl: server.url });
  const at = 5 * BLOCK + 12 * 4096;
  const piece = path.join(await tempDir(t), 'piece');
  const r = await exec('dd', [`if=${path.join(m.mnt, 'AN-R', 'random.bin')}`, `of=${piece}`, 'bs=4096', `skip=${at / 4096}`, 'count=1', 'status=none']);
  t.is(r.code, 0, r.stderr);
  const sent = await server.objectBytesSent();
  t.true((await readFile(piece)).equals((await readFile(source)).subarray(at, at + 4096)), 'the bytes of the file');
  t.true(sent < REACH, `answered after ${sent} bytes of the range had been sent, not all of its ${REACH} and more`);
});
