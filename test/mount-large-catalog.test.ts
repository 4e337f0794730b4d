// A catalog larger than one SONG page (2000 entities): the mount shows every object exactly once, asks
// for each page once (a few at a time, never more), so its requests grow by one per page and by nothing
// per object; and the cached listing of it brings an offline remount up with the same tree.
import test from 'ava';
import { Level } from 'level';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { layoutRoot } from '../src/cache/cache-dir.js';
import { PAGE_CONCURRENCY } from '../src/score/catalog.js';
import { output } from './helpers/exec.js';
import { mountScorefs, mountWorkDir } from './helpers/mount.js';
import { startServer, type RunningServer } from './helpers/server.js';
import { tempDir } from './helpers/tmp.js';

/** DIR/STUDY/AN-<i>/R1.txt and R2.txt for `analyses` analyses; the paths as the bundle layout shows them. */
async function catalogData(dir: string, analyses: number): Promise<string[]> {
  const paths: string[] = [];
  for (let i = 0; i < analyses; i++) {
    const analysis = `AN-${String(i).padStart(5, '0')}`;
    await mkdir(path.join(dir, 'STUDY', analysis), { recursive: true });
    for (const name of ['R1.txt', 'R2.txt']) {
      await writeFile(path.join(dir, 'STUDY', analysis, name), `${analysis} ${name}\n`);
      paths.push(`${analysis}/${name}`);
    }
  }
  return paths.sort();
}

/** Every file under the mount but the control directory, as `find` lists them. */
async function filesUnder(mnt: string): Promise<string[]> {
  const found = await output('find', [mnt, '-type', 'f', '-not', '-path', `${mnt}/.scorefs/*`]);
  return found.split('\n').filter(Boolean).map((p) => path.relative(mnt, p)).sort();
}

async function metric(server: RunningServer, name: string): Promise<number> {
  let n = 0;
  for (const line of (await server.metricsText()).split('\n')) {
    if (line.startsWith(name) && line.includes('route="api"')) n += Number(line.split(/\s+/).pop());
  }
  return n;
}

/** API requests a mount sends, counted by the server around `scorefs mount`. */
async function mountCounted(t: Parameters<typeof mountScorefs>[0], server: RunningServer, cacheDir?: string) {
  const before = await metric(server, 'scorefs_server_requests_total');
  const mount = await mountScorefs(t, { serverUrl: server.url, ...(cacheDir ? { cacheDir } : {}) });
  // the scrape before is counted once answered, so it is in `after` but was not the mount's
  const requests = (await metric(server, 'scorefs_server_requests_total')) - before - 1;
  return { mount, requests };
}

test('a catalog of several SONG pages: every object once, one request per page, a few pages at a time; the cached listing remounts it offline', async (t) => {
  const bigData = await tempDir(t);
  const wanted = await catalogData(bigData, 2250); // 4500 objects
  const smallData = await tempDir(t);
  await catalogData(smallData, 1);
  const big = await startServer(t, { data: bigData });
  const small = await startServer(t, { data: smallData });
  // A distant server, so that pages asked for together are open together at the server.
  await big.setFaults({ route: 'all', latencyMs: 100 });

  const pages = ((await (await fetch(`${big.url}/entities?size=2000`)).json()) as { totalPages: number }).totalPages;
  t.true(pages >= 3, `${pages} pages`);

  const one = await mountCounted(t, small);
  t.deepEqual(await filesUnder(one.mount.mnt), ['AN-00000/R1.txt', 'AN-00000/R2.txt']);

  const cacheDir = path.join(await mountWorkDir(t), 'cache');
  const many = await mountCounted(t, big, cacheDir);
  t.deepEqual(await filesUnder(many.mount.mnt), wanted, 'every object, each once');
  t.is(many.requests, one.requests + pages - 1, 'one request more per page, none per object');
  const peak = await metric(big, 'scorefs_server_requests_open_peak');
  t.log(`${pages} pages; at most ${peak} API requests open at once`);
  t.true(peak <= PAGE_CONCURRENCY + 1, 'the pages, and Score /listing beside them');
  await many.mount.stop();

  await big.stop();
  const offline = await mountScorefs(t, { serverUrl: big.url, cacheDir, extraArgs: ['--read-deadline', '3'] });
  t.regex(offline.stderr, /unreachable.*offline/);
  t.deepEqual(await filesUnder(offline.mnt), wanted, 'the cached listing holds the whole catalog');
});

test('a listing cached whole, as an earlier scorefs wrote it, still mounts offline', async (t) => {
  const data = await tempDir(t);
  const wanted = await catalogData(data, 3);
  const server = await startServer(t, { data });
  const cacheDir = path.join(await mountWorkDir(t), 'cache');
  await (await mountScorefs(t, { serverUrl: server.url, cacheDir })).stop();
  await server.stop();

  // Rewrite the snapshot as one value (head and entries together), the shape earlier versions wrote.
  const db = new Level<string, unknown>(path.join(layoutRoot(cacheDir), 'index'), { valueEncoding: 'json' });
  const head = (await db.get('m!catalog')) as { fetchedAt: number; server?: string };
  const files: unknown[] = [];
  for await (const [key, chunk] of db.iterator({ gt: 'm!catalog!', lt: 'm!catalog!~' })) {
    files.push(...(chunk as unknown[]));
    await db.del(key);
  }
  t.is(files.length, wanted.length);
  await db.put('m!catalog', { files, fetchedAt: head.fetchedAt, server: head.server });
  await db.close();

  const offline = await mountScorefs(t, { serverUrl: server.url, cacheDir, extraArgs: ['--read-deadline', '3'] });
  t.regex(offline.stderr, /unreachable.*offline/);
  t.deepEqual(await filesUnder(offline.mnt), wanted);
});
