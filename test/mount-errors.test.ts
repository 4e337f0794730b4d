// What readers and `scorefs mount` get when things go wrong: EACCES for a controlled file the token
// may not read, EIO (not a hang) from a stalled server, and a failed mount — non-zero exit, one line
// saying why, nothing mounted — for a bad token, an unreachable server or a non-empty mountpoint.
import test from 'ava';
import { chmod, cp, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { exec, output } from './helpers/exec.js';
import { isMounted, mountScorefs, mountWorkDir, runScorefs } from './helpers/mount.js';
import { SAMPLE, sampleData } from './helpers/sample-data.js';
import { startServer } from './helpers/server.js';

/** Sample data plus a second study whose BAM is controlled. */
async function dataWithControlledStudy(work: string): Promise<string> {
  const data = path.join(work, 'data');
  await cp(path.join(sampleData(), SAMPLE.study), path.join(data, SAMPLE.study), { recursive: true });
  const secret = path.join(data, 'TEST-XX', 'AN-SECRET');
  await mkdir(secret, { recursive: true });
  await cp(path.join(sampleData(), SAMPLE.study, SAMPLE.bamAnalysis, 'ex1.bam'), path.join(secret, 'ex1.bam'));
  await writeFile(path.join(secret, '.analysis.json'), JSON.stringify({ analysisState: 'PUBLISHED', files: { 'ex1.bam': { fileAccess: 'controlled' } } }));
  return data;
}

async function tokenFile(dir: string, token: string): Promise<string> {
  const file = path.join(dir, `token-${token}`);
  await writeFile(file, token + '\n');
  await chmod(file, 0o600);
  return file;
}

async function scorefsDaemonsFor(mnt: string): Promise<number> {
  const r = await exec('pgrep', ['-f', `scorefs mount ${mnt}`]);
  return r.stdout.trim() ? r.stdout.trim().split('\n').length : 0;
}

test('a controlled file is EACCES for a token scoped to another study; open files still read', async (t) => {
  const work = await mountWorkDir(t);
  const data = await dataWithControlledStudy(work);
  const tokens = path.join(work, 'tokens.json');
  await writeFile(tokens, JSON.stringify({ 'tok-ca': [`PROGRAMDATA-${SAMPLE.study}.READ`] }));
  const server = await startServer(t, { data, tokens });
  const m = await mountScorefs(t, { serverUrl: server.url, extraArgs: ['--token-file', await tokenFile(work, 'tok-ca')] });

  const err = await readFile(path.join(m.mnt, 'AN-SECRET', 'ex1.bam')).then(
    () => undefined,
    (e: NodeJS.ErrnoException) => e.code,
  );
  t.is(err, 'EACCES');
  const mounted = await output('md5sum', [path.join(m.mnt, SAMPLE.bamAnalysis, 'ex1.bam')]);
  const local = await output('md5sum', [path.join(data, SAMPLE.study, SAMPLE.bamAnalysis, 'ex1.bam')]);
  t.is(mounted.split(' ')[0], local.split(' ')[0]);
});

test('a stalled server makes reads fail with EIO after --read-deadline, not hang', async (t) => {
  const server = await startServer(t, { data: sampleData() });
  const m = await mountScorefs(t, { serverUrl: server.url, extraArgs: ['--read-deadline', '3'] });
  await server.setFaults({ route: 'object', stallRate: 1, stallMs: 600_000 });
  const r = await exec('cat', [path.join(m.mnt, SAMPLE.cramAnalysis, 'ex1.cram')], { timeoutMs: 60_000 });
  t.not(r.code, null, 'cat was not left hanging');
  t.regex(r.stderr, /Input\/output error/);
  t.true(await isMounted(m.mnt), 'the mount stays up');
  await server.clearFaults();
});

test('a rejected token fails the mount with a one-line reason and leaves nothing mounted', async (t) => {
  const work = await mountWorkDir(t);
  const tokens = path.join(work, 'tokens.json');
  await writeFile(tokens, JSON.stringify({ 'tok-good': ['score.READ'] }));
  const server = await startServer(t, { data: sampleData(), tokens });
  const mnt = path.join(work, 'mnt');
  await mkdir(mnt);
  const ways: { args: string[]; env: Record<string, string> }[] = [
    { args: [], env: { ACCESSTOKEN: 'tok-bad' } },
    { args: ['--token-file', await tokenFile(work, 'tok-bad')], env: {} },
  ];
  for (const how of ways) {
    const r = await runScorefs(['mount', mnt, '--storage-url', server.url, '--cache-dir', path.join(work, 'cache'), ...how.args], how.env);
    t.not(r.code, 0);
    t.is(r.stderr.trim().split('\n').length, 1, r.stderr);
    t.regex(r.stderr, /token/i);
    t.notRegex(r.stderr + r.stdout, /tok-bad/, 'the token is never printed');
    t.false(await isMounted(mnt));
    t.is(await scorefsDaemonsFor(mnt), 0, (await exec('ps', ['-eo', 'pid,stat,args'])).stdout);
  }
});

test('an unreachable server with nothing cached fails the mount and says so', async (t) => {
  const server = await startServer(t, { data: sampleData() });
  const url = server.url;
  await server.stop();
  const work = await mountWorkDir(t);
  const mnt = path.join(work, 'mnt');
  await mkdir(mnt);
  const r = await runScorefs(['mount', mnt, '--storage-url', url, '--cache-dir', path.join(work, 'cache'), '--read-deadline', '2']);
  t.not(r.code, 0);
  t.regex(r.stderr, /cannot reach .*no listing of this server is cached/);
  t.is(r.stderr.trim().split('\n').length, 1, r.stderr);
  t.false(await isMounted(mnt));
});

test('bad options and a non-empty mountpoint are refused before anything is mounted', async (t) => {
  const work = await mountWorkDir(t);
  const mnt = path.join(work, 'mnt');
  await mkdir(mnt);
  const cache = ['--cache-dir', path.join(work, 'cache')];
  const badUrl = await runScorefs(['mount', mnt, '--storage-url', 'ftp://example', ...cache]);
  t.not(badUrl.code, 0);
  t.regex(badUrl.stderr, /storage URL/);
  const badSize = await runScorefs(['mount', mnt, '--storage-url', 'http://127.0.0.1:9', '--cache-size', 'lots', ...cache]);
  t.not(badSize.code, 0);
  t.regex(badSize.stderr, /not a size/);
  const badLease = await runScorefs(['mount', mnt, '--storage-url', 'http://127.0.0.1:9', '--access-lease', 'a while', ...cache]);
  t.not(badLease.code, 0);
  t.regex(badLease.stderr, /access-lease must be a positive duration such as 12h.*"a while"/);

  await writeFile(path.join(mnt, 'keep-me'), 'x');
  const server = await startServer(t, { data: sampleData() });
  const r = await runScorefs(['mount', mnt, '--storage-url', server.url, ...cache]);
  t.not(r.code, 0);
  t.regex(r.stderr, /not empty/);
  t.false(await isMounted(mnt));
  t.is(await readFile(path.join(mnt, 'keep-me'), 'utf8'), 'x');
});
