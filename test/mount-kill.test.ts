// A killed daemon never leaves a mount that hangs readers, and the next mount on the same place
// (with the same cache) works and serves correct bytes. Without fusermount's auto_unmount the
// killed mount is stale (ENOTCONN) until `scorefs unmount` or the next `scorefs mount` clears it.
import test from 'ava';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { exec } from './helpers/exec.js';
import { md5sum } from './helpers/md5.js';
import { isMounted, mountScorefs, mountWorkDir, runScorefs } from './helpers/mount.js';
import { SAMPLE, sampleData, sourceFiles } from './helpers/sample-data.js';
import { startServer } from './helpers/server.js';

async function checkAllBytes(t: import('ava').ExecutionContext, mnt: string, data: string): Promise<void> {
  for (const f of await sourceFiles(data)) t.is(await md5sum(path.join(mnt, f.analysisId, f.fileName)), await md5sum(f.path), `${f.analysisId}/${f.fileName}`);
}

/** The mountpoint answers a stat (with success or an error) instead of hanging. */
async function statAnswers(mnt: string): Promise<boolean> {
  const r = await exec('stat', [mnt], { timeoutMs: 20_000 });
  return r.code !== null;
}

test('kill -9 during reads: readers get an answer, and mounting again works with every byte right', async (t) => {
  const data = sampleData();
  const server = await startServer(t, { data });
  const cacheDir = path.join(await mountWorkDir(t), 'cache');
  const m = await mountScorefs(t, { serverUrl: server.url, cacheDir });
  await server.setFaults({ route: 'object', bytesPerSecond: 20_000 }); // reads take seconds: kill during them

  const readers = [SAMPLE.bamAnalysis, SAMPLE.cramAnalysis, SAMPLE.cram31Analysis].map((a) => {
    const file = path.join(m.mnt, a, a === SAMPLE.bamAnalysis ? 'ex1.bam' : 'ex1.cram');
    const child = spawn('md5sum', [file], { stdio: 'ignore' });
    return once(child, 'exit');
  });
  await new Promise((r) => setTimeout(r, 1000));
  process.kill(m.pid, 'SIGKILL');
  const timer = setTimeout(() => t.fail('a reader hung after the daemon was killed'), 30_000);
  await Promise.all(readers);
  clearTimeout(timer);
  t.true(await statAnswers(m.mnt));

  await server.clearFaults();
  const again = await mountScorefs(t, { serverUrl: server.url, cacheDir, mountpoint: m.mnt });
  t.true(await isMounted(again.mnt));
  await checkAllBytes(t, again.mnt, data);
});

test('a stale mount (no auto_unmount) is cleared by scorefs unmount and by the next scorefs mount', async (t) => {
  const data = sampleData();
  const server = await startServer(t, { data });
  const work = await mountWorkDir(t);
  const noFusermount = path.join(work, 'empty-bin');
  await mkdir(noFusermount);
  const mnt = path.join(work, 'mnt');

  const killAndExpectStale = async (): Promise<void> => {
    const m = await mountScorefs(t, { serverUrl: server.url, mountpoint: mnt, env: { PATH: noFusermount } });
    process.kill(m.pid, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 300));
    const err = await stat(mnt).then(
      () => undefined,
      (e: NodeJS.ErrnoException) => e.code,
    );
    t.is(err, 'ENOTCONN', 'the killed mount is stale');
  };

  await killAndExpectStale();
  const r = await runScorefs(['unmount', mnt]);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /cleared the stale mount/);
  t.false(await isMounted(mnt));
  t.is((await runScorefs(['unmount', mnt])).stdout.trim(), `scorefs: ${mnt} is not mounted`);

  await killAndExpectStale();
  const again = await mountScorefs(t, { serverUrl: server.url, mountpoint: mnt });
  await checkAllBytes(t, again.mnt, data);
});
