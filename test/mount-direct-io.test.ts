// Whole blocks go to the disk cache and come back past the kernel's page cache (direct I/O): reading
// a file through the mount leaves its bytes in the page cache once (the mounted file's pages), not
// twice (the cache's segment files too). util-linux's fincore says which pages of a file are resident.
import test from 'ava';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { exec, output } from './helpers/exec.js';
import { md5sum } from './helpers/md5.js';
import { mountScorefs, mountWorkDir, runScorefs } from './helpers/mount.js';
import { randomObject } from './helpers/random-object.js';
import { startServer } from './helpers/server.js';
import { settled, waitFor } from './helpers/wait.js';

const MiB = 1024 * 1024;
/** Eight whole blocks and a short last one (which is not a multiple of a disk block: written buffered). */
const SIZE = 8 * MiB + 1234;
/** The page that short block takes in the page cache. */
const PAGE = 4096;

/** Every file under `dir` of at least `minBytes`. */
async function filesUnder(dir: string, minBytes: number): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    const file = path.join(entry.parentPath, entry.name);
    if (entry.isFile() && (await stat(file)).size >= minBytes) out.push(file);
  }
  return out;
}

/** Bytes of these files resident in the page cache, by fincore. */
async function residentBytes(files: string[]): Promise<number> {
  const text = await output('fincore', ['--bytes', '--noheadings', '--raw', '--output', 'RES', ...files]);
  return text.split('\n').filter(Boolean).reduce((sum, line) => sum + Number(line), 0);
}

test('blocks are written and read past the page cache, and serve a remount exactly', async (t) => {
  const { data, file: local } = await randomObject(t, 'ST-DIO', 'AN-DIO', 'object.bin', SIZE);
  const server = await startServer(t, { data });
  const cacheDir = path.join(await mountWorkDir(t), 'cache');
  const file = (mnt: string) => path.join(mnt, 'AN-DIO', 'object.bin');
  const cacheBytes = async (mnt: string) => (JSON.parse(await readFile(path.join(mnt, '.scorefs', 'stats.json'), 'utf8')) as { cacheBytes: number }).cacheBytes;

  const first = await mountScorefs(t, { serverUrl: server.url, cacheDir });
  t.is(await md5sum(file(first.mnt)), await md5sum(local));
  await waitFor('the object to be written to the disk cache', async () => (await cacheBytes(first.mnt)) >= SIZE);
  const segments = await filesUnder(cacheDir, MiB);
  t.is(segments.length, 1, 'the 9 blocks share a segment file');
  t.true((await residentBytes(segments)) <= PAGE, 'of the segment, at most the short last block is in the page cache after it was written');
  const sent = await settled('object bytes to settle', () => server.objectBytesSent());
  await first.stop();

  // Page cache dropped: the remount's reads go to the disk, and leave the block files uncached too.
  await exec('sh', ['-c', 'sync && echo 3 > /proc/sys/vm/drop_caches']);
  const second = await mountScorefs(t, { serverUrl: server.url, cacheDir });
  t.is(await md5sum(file(second.mnt)), await md5sum(local));
  t.is(await server.objectBytesSent(), sent, 'the remount sent no object byte');
  t.true((await residentBytes(segments)) <= PAGE, 'and after it was read');
  await second.stop();

  const verify = await runScorefs(['cache', 'verify', '--cache-dir', cacheDir]);
  t.is(verify.code, 0, verify.stderr);
  t.regex(verify.stdout, /checked 9 block/);
});
