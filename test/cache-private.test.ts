// The cache holds bytes of controlled-access objects and the log names them: both are private to
// their user whatever the umask (directories 0700, files 0600), and a cache or log an older scorefs
// left readable by others is made private at the next mount. Modes are read with find(1).
import test, { type ExecutionContext } from 'ava';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { output } from './helpers/exec.js';
import { mountScorefs, mountWorkDir } from './helpers/mount.js';
import { SAMPLE, sampleData } from './helpers/sample-data.js';
import { startServer } from './helpers/server.js';

/** "mode type path" of `dir` and everything under it, as find(1) sees them. */
async function modes(dir: string): Promise<Array<{ mode: string; type: string; path: string }>> {
  const text = await output('find', [dir, '-printf', '%m %y %p\\n']);
  return text
    .trim()
    .split('\n')
    .map((line) => {
      const [mode, type, ...rest] = line.split(' ');
      return { mode: mode!, type: type!, path: rest.join(' ') };
    });
}

function assertPrivate(t: ExecutionContext, entries: Awaited<ReturnType<typeof modes>>): void {
  const open = entries.filter((e) => (e.type === 'd' ? e.mode !== '700' : e.mode !== '600'));
  t.deepEqual(open, [], 'every directory 0700, every file 0600');
}

async function readSome(mnt: string): Promise<void> {
  await output('cat', [path.join(mnt, SAMPLE.bamAnalysis, 'ex1.bam'), path.join(mnt, SAMPLE.bamAnalysis, 'ex1.bam.bai')]);
  await output('samtools', ['view', '-c', path.join(mnt, SAMPLE.bamAnalysis, 'ex1.bam'), 'seq2']);
}

test('under umask 022 the cache is 0700 and every file a mount writes in it (blocks, index, log) is 0600', async (t) => {
  const server = await startServer(t, { data: sampleData() });
  const m = await mountScorefs(t, { serverUrl: server.url, umask: '022' });
  await readSome(m.mnt);
  await m.stop(); // flushes the index and the log
  const entries = await modes(m.cacheDir);
  t.true(entries.some((e) => e.path.includes(`${path.sep}blocks${path.sep}`) && e.type === 'f'), 'block files were written');
  t.true(entries.some((e) => e.path.includes(`${path.sep}index${path.sep}`) && e.type === 'f'), 'index files were written');
  t.true(entries.some((e) => e.path === m.logFile), 'the log is in the cache directory');
  assertPrivate(t, entries);
});

test('a cache and a log left readable by others are made private at the next mount, and the log says so', async (t) => {
  const server = await startServer(t, { data: sampleData() });
  const work = await mountWorkDir(t);
  const cacheDir = path.join(work, 'cache');
  const logDir = path.join(work, 'logs');
  const logFile = path.join(logDir, 'mount.log');
  const first = await mountScorefs(t, { serverUrl: server.url, cacheDir, umask: '022', extraArgs: ['--log-file', logFile] });
  await readSome(first.mnt);
  await first.stop();
  // as an older scorefs left them
  await output('chmod', ['-R', 'go+rX', cacheDir]);
  await output('chmod', ['644', logFile]);
  await mkdir(path.join(cacheDir, 'v2', 'blocks', 'stray'), { recursive: true, mode: 0o755 });
  await writeFile(path.join(cacheDir, 'v2', 'blocks', 'stray', 'x'), 'x', { mode: 0o644 });
  t.true((await modes(cacheDir)).some((e) => e.mode === '644'), 'the setup left files open');

  const second = await mountScorefs(t, { serverUrl: server.url, cacheDir, umask: '022', extraArgs: ['--log-file', logFile] });
  await readSome(second.mnt);
  await second.stop();
  assertPrivate(t, await modes(cacheDir));
  assertPrivate(t, (await modes(logDir)).filter((e) => e.path !== logDir)); // the log dir existed: left as it was
  t.regex(await readFile(logFile, 'utf8'), /the cache directory was readable by other users: made it private/);
});

test('a cache dir in a folder that holds other things keeps that folder as it was; the cache in it is private', async (t) => {
  const server = await startServer(t, { data: sampleData() });
  const work = await mountWorkDir(t);
  const shared = path.join(work, 'shared');
  await mkdir(shared, { mode: 0o755 });
  await output('chmod', ['755', shared]);
  await writeFile(path.join(shared, 'notes.txt'), 'mine', { mode: 0o644 });
  const m = await mountScorefs(t, { serverUrl: server.url, cacheDir: shared, umask: '022' });
  await readSome(m.mnt);
  await m.stop();
  const entries = await modes(shared);
  t.deepEqual(
    entries.filter((e) => e.path === shared || e.path.endsWith('notes.txt')).map((e) => e.mode),
    ['755', '644'],
    'the folder and its other files are left alone',
  );
  assertPrivate(t, entries.filter((e) => e.path !== shared && !e.path.endsWith('notes.txt')));
});
