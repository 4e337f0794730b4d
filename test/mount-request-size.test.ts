// FUSE requests of 1 MiB: a mount started by `scorefs mount` runs with fuse-max-pages.so preloaded, so
// that with a readahead of 1 MiB the kernel hands a sequential read to the daemon in requests of up to
// 1 MiB rather than libfuse 2.9's 128 KiB. The mount's own histogram of request sizes shows it, and the
// bytes read, cold and from the disk cache, are the object's (requests then span blocks). A user's own
// LD_PRELOAD and MALLOC_ARENA_MAX reach the daemon beside it.
import test from 'ava';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { MAX_PAGES_LIBRARY } from '../src/fuse/max-pages.js';
import { mountEnvironment } from '../src/fuse/mount-environment.js';
import { exec } from './helpers/exec.js';
import { md5sum } from './helpers/md5.js';
import { mapsMaxPagesLibrary, mountScorefs, mountWorkDir } from './helpers/mount.js';
import { freePort } from './helpers/ports.js';
import { randomObject } from './helpers/random-object.js';
import { sampleData } from './helpers/sample-data.js';
import { startServer } from './helpers/server.js';
import { tempDir } from './helpers/tmp.js';

const KiB = 1024;
const MiB = 1024 * KiB;
/** Not a whole number of blocks, so the last request is short and most cross a block's edge somewhere. */
const SIZE = 24 * MiB + 4321;

/** The mount's request-size histogram: how many requests in all, and how many asked for more than 128 KiB or 1 MiB. */
interface RequestSizes {
  count: number;
  over128k: number;
  over1m: number;
}

async function requestSizes(port: number): Promise<RequestSizes> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const sample = (name: string): number => Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(text)?.[1] ?? NaN);
  const count = sample('scorefs_fuse_read_size_bytes_count');
  return {
    count,
    over128k: count - sample(`scorefs_fuse_read_size_bytes_bucket\\{le="${128 * KiB}"\\}`),
    over1m: count - sample(`scorefs_fuse_read_size_bytes_bucket\\{le="${MiB}"\\}`),
  };
}

test('with --read-ahead 1M a sequential read reaches the daemon in requests of up to 1 MiB, cold and from the disk cache', async (t) => {
  const { data, file: local } = await randomObject(t, 'ST-REQ', 'AN-REQ', 'object.bin', SIZE);
  const server = await startServer(t, { data });
  const cacheDir = path.join(await mountWorkDir(t), 'cache');
  const expected = await md5sum(local);
  const mountAndRead = async (): Promise<RequestSizes> => {
    const port = await freePort();
    const mount = await mountScorefs(t, { serverUrl: server.url, cacheDir, extraArgs: ['--read-ahead', '1M', '--metrics-port', String(port)] });
    t.true(await mapsMaxPagesLibrary(mount.pid), 'the daemon runs with the library preloaded');
    t.is(await md5sum(path.join(mount.mnt, 'AN-REQ', 'object.bin')), expected);
    const sizes = await requestSizes(port);
    await mount.stop();
    return sizes;
  };

  const cold = await mountAndRead();
  t.true(cold.count > 0 && cold.count < SIZE / (128 * KiB), `${cold.count} requests for ${SIZE} bytes: fewer than 128 KiB ones would take`);
  t.true(cold.over128k > 0, `${cold.over128k} of ${cold.count} requests asked for more than 128 KiB`);
  t.is(cold.over1m, 0, 'none for more than 1 MiB');

  const warm = await mountAndRead(); // a new mount: nothing of the file in the page cache
  t.true(warm.over128k > 0, `after a remount, ${warm.over128k} of ${warm.count} requests asked for more than 128 KiB`);
});

test("the daemon keeps the user's own LD_PRELOAD and MALLOC_ARENA_MAX beside the library", async (t) => {
  const dir = await tempDir(t);
  const own = path.join(dir, 'libmine.so');
  await writeFile(path.join(dir, 'mine.c'), 'int scorefs_test_mine(void) { return 1; }\n');
  const built = await exec('cc', ['-shared', '-fPIC', '-o', own, path.join(dir, 'mine.c')]);
  t.is(built.code, 0, built.stderr);
  const server = await startServer(t, { data: sampleData() });
  const mount = await mountScorefs(t, { serverUrl: server.url, env: { LD_PRELOAD: own, MALLOC_ARENA_MAX: '4' } });
  t.true(await mapsMaxPagesLibrary(mount.pid));
  t.true((await readFile(`/proc/${mount.pid}/maps`, 'utf8')).includes(own), 'the user\'s library is loaded too');
  const environ = (await readFile(`/proc/${mount.pid}/environ`, 'utf8')).split('\0');
  t.true(environ.includes('MALLOC_ARENA_MAX=4'), 'the user\'s arena count is kept');
});

test('an installation under a path with a space or a colon leaves the library out of the mount environment (LD_PRELOAD would split its path)', async (t) => {
  const root = await tempDir(t);
  /** The library as an installation under `dir` has it. */
  const installedIn = async (dir: string): Promise<string> => {
    const library = path.join(root, dir, 'fuse-max-pages.so');
    await mkdir(path.dirname(library), { recursive: true });
    await copyFile(MAX_PAGES_LIBRARY, library);
    return library;
  };
  for (const dir of ['my tools', 'tools:v2']) {
    const env = mountEnvironment({ LD_PRELOAD: '/usr/lib/own.so' }, await installedIn(dir));
    t.false('LD_PRELOAD' in env, `${dir}: the user's LD_PRELOAD is left as it is`);
    t.is(env.MALLOC_ARENA_MAX, '2', `${dir}: the arenas are still set`);
  }
  const plain = await installedIn('tools');
  t.is(mountEnvironment({ LD_PRELOAD: '/usr/lib/own.so' }, plain).LD_PRELOAD, `${plain}:/usr/lib/own.so`, 'a plain path is preloaded first');
});
