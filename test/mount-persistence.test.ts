// The cache survives remounts: a re-read after a remount sends no object byte over the network, and
// with the server gone the mount comes up offline from the cached listing and serves cached bytes.
import test from 'ava';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { exec, output } from './helpers/exec.js';
import { md5sum } from './helpers/md5.js';
import { isMounted, mountScorefs, mountWorkDir, runScorefs } from './helpers/mount.js';
import { SAMPLE, sampleData, sourceFiles } from './helpers/sample-data.js';
import { startServer } from './helpers/server.js';
import { waitFor } from './helpers/wait.js';

async function md5s(root: string, data: string, analyses?: string[]): Promise<Map<string, [string, string]>> {
  const out = new Map<string, [string, string]>();
  for (const f of await sourceFiles(data)) {
    if (analyses && !analyses.includes(f.analysisId)) continue;
    out.set(`${f.analysisId}/${f.fileName}`, [await md5sum(path.join(root, f.analysisId, f.fileName)), await md5sum(f.path)]);
  }
  return out;
}

test('a remount re-reads from the cache, and mounts offline from the cached listing when the server is gone', async (t) => {
  const data = sampleData();
  const server = await startServer(t, { data });
  const cacheDir = path.join(await mountWorkDir(t), 'cache');

  const first = await mountScorefs(t, { serverUrl: server.url, cacheDir });
  for (const [file, [got, want]] of await md5s(first.mnt, data)) t.is(got, want, file);
  const sentByFirstMount = await server.objectBytesSent();
  t.true(sentByFirstMount > 0);
  await first.stop();

  const second = await mountScorefs(t, { serverUrl: server.url, cacheDir });
  t.notRegex(second.stderr, /offline/);
  for (const [file, [got, want]] of await md5s(second.mnt, data)) t.is(got, want, file);
  t.is(await server.objectBytesSent(), sentByFirstMount, 'no object byte sent after the first mount');
  await second.stop();

  await server.stop();
  const offline = await mountScorefs(t, { serverUrl: server.url, cacheDir, extraArgs: ['--read-deadline', '3'] });
  t.regex(offline.stderr, /unreachable.*offline/);
  for (const [file, [got, want]] of await md5s(offline.mnt, data)) t.is(got, want, file);
  const bam = path.join(offline.mnt, SAMPLE.bamAnalysis, 'ex1.bam');
  const localBam = path.join(data, SAMPLE.study, SAMPLE.bamAnalysis, 'ex1.bam');
  t.is(await output('samtools', ['view', bam, 'seq2:100-200']), await output('samtools', ['view', localBam, 'seq2:100-200']));
  const mode = async (): Promise<string> => (JSON.parse(await readFile(path.join(offline.mnt, '.scorefs', 'stats.json'), 'utf8')) as { mode: string }).mode;
  t.is(await mode(), 'offline');

  // The server is back: the mount goes online within seconds, not a --refresh-interval (300 s) later.
  await startServer(t, { data, port: server.port });
  await waitFor('stats.json to say online', async () => (await mode()) === 'online', 45_000);
  t.is(await mode(), 'online');
});

test('offline, what was never cached fails with EIO within the read deadline', async (t) => {
  const data = sampleData();
  const server = await startServer(t, { data });
  const cacheDir = path.join(await mountWorkDir(t), 'cache');
  const first = await mountScorefs(t, { serverUrl: server.url, cacheDir });
  for (const [file, [got, want]] of await md5s(first.mnt, data, [SAMPLE.bamAnalysis])) t.is(got, want, file);
  await first.stop();
  await server.stop();

  const offline = await mountScorefs(t, { serverUrl: server.url, cacheDir, extraArgs: ['--read-deadline', '3'] });
  for (const [file, [got, want]] of await md5s(offline.mnt, data, [SAMPLE.bamAnalysis])) t.is(got, want, file);
  const started = Date.now();
  const r = await exec('cat', [path.join(offline.mnt, SAMPLE.refAnalysis, 'ex1.fa')], { timeoutMs: 60_000 });
  const waited = Date.now() - started;
  t.not(r.code, null, 'cat was not left hanging');
  t.regex(r.stderr, /Input\/output error/);
  // One deadline, not one per attempt: the kernel asks again for a page its readahead could not get.
  t.true(waited < 2 * 3000, `EIO after ${waited} ms with a 3 s read deadline`);
});

test("the cached listing of one server is no offline fallback for another", async (t) => {
  const data = sampleData();
  const server = await startServer(t, { data });
  const cacheDir = path.join(await mountWorkDir(t), 'cache');
  const first = await mountScorefs(t, { serverUrl: server.url, cacheDir });
  await first.stop();
  const other = await startServer(t, { data });
  const otherUrl = other.url;
  await other.stop();

  const mnt = path.join(await mountWorkDir(t), 'other-mnt');
  await mkdir(mnt);
  const r = await runScorefs(['mount', mnt, '--storage-url', otherUrl, '--cache-dir', cacheDir, '--read-deadline', '2']);
  t.not(r.code, 0);
  t.regex(r.stderr, /no listing of this server is cached/);
  t.true(r.stderr.includes(server.url), `names the server the cached listing is of: ${r.stderr}`);
  t.false(await isMounted(mnt));
});
