// The catalog refreshes in the background: a file uploaded to Score after the mount shows up in it,
// readable and byte-exact, without a remount.
import test from 'ava';
import { cp, mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import { md5sum } from './helpers/md5.js';
import { mountScorefs, mountWorkDir } from './helpers/mount.js';
import { SAMPLE, sampleData } from './helpers/sample-data.js';
import { startServer } from './helpers/server.js';
import { waitFor } from './helpers/wait.js';

test('a file added on the server appears in the mount after a refresh, with its bytes', async (t) => {
  const data = path.join(await mountWorkDir(t), 'data');
  await cp(sampleData(), data, { recursive: true });
  const server = await startServer(t, { data });
  const m = await mountScorefs(t, { serverUrl: server.url, extraArgs: ['--refresh-interval', '1'] });
  t.false((await readdir(m.mnt)).includes('AN-NEW'));

  const source = path.join(data, SAMPLE.study, SAMPLE.refAnalysis, 'ex1.fa');
  await mkdir(path.join(data, SAMPLE.study, 'AN-NEW'));
  await cp(source, path.join(data, SAMPLE.study, 'AN-NEW', 'late.fa'));
  await waitFor('the new analysis in the mount', async () => (await readdir(m.mnt)).includes('AN-NEW'), 30_000);

  const mounted = path.join(m.mnt, 'AN-NEW', 'late.fa');
  t.is(await md5sum(mounted), await md5sum(source));
  t.true((await readdir(path.join(m.mnt, SAMPLE.bamAnalysis))).includes('ex1.bam'), 'the files already there stay');
});
