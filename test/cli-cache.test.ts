// `scorefs cache warm|stats|verify|clear` on a real cache filled from `scorefs serve`: warm makes
// whole objects (and a rerun fetches nothing), verify finds and drops a corrupted block file, clear
// empties, and a cache held by a mount is named as such.
import test from 'ava';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { objectIdFor } from '../src/server/object-id.js';
import { mountScorefs, runScorefs } from './helpers/mount.js';
import { SAMPLE, sampleData } from './helpers/sample-data.js';
import { startServer } from './helpers/server.js';
import { tempDir } from './helpers/tmp.js';

const BAM = objectIdFor(SAMPLE.bamAnalysis, 'ex1.bam');
const BAI = objectIdFor(SAMPLE.bamAnalysis, 'ex1.bam.bai');
const CRAM = objectIdFor(SAMPLE.cramAnalysis, 'ex1.cram');
const FASTA = objectIdFor(SAMPLE.refAnalysis, 'ex1.fa');

interface StatsJson {
  objects: Array<{ id: string; file: string | null; size: number; cachedBytes: number; blocks: number; complete: boolean }>;
  total: { objects: number; complete: number; cachedBytes: number };
}

async function stats(cacheDir: string): Promise<StatsJson> {
  const r = await runScorefs(['cache', 'stats', '--cache-dir', cacheDir, '--json']);
  if (r.code !== 0) throw new Error(`cache stats failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as StatsJson;
}

/** Block files of the cache: every regular file below its blocks directory. */
async function blockFiles(cacheDir: string): Promise<string[]> {
  const entries = await readdir(cacheDir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile() && e.parentPath.includes(`${path.sep}blocks${path.sep}`)).map((e) => path.join(e.parentPath, e.name));
}

test('warm fills whole objects (by id, analysisId/fileName, mount path); stats shows them; a rerun fetches nothing', async (t) => {
  const server = await startServer(t, { data: sampleData() });
  const cacheDir = path.join(await tempDir(t), 'cache');
  const warm = (paths: string[]) => runScorefs(['cache', 'warm', '--storage-url', server.url, '--cache-dir', cacheDir, ...paths]);

  const r = await warm([BAM, `${SAMPLE.cramAnalysis}/ex1.cram`, `/mnt/scorefs/${SAMPLE.refAnalysis}/ex1.fa`, `/mnt/scorefs/${SAMPLE.bamAnalysis}/ex1.bam.slices/seq1.bam`]);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stderr, /slice files are not warmed/);
  t.regex(r.stdout, /3 of 3 file\(s\) complete/);

  const s = await stats(cacheDir);
  const sizes = async (analysis: string, file: string) => (await readFile(path.join(sampleData(), SAMPLE.study, analysis, file))).length;
  t.deepEqual(
    s.objects.map((o) => [o.id, o.file, o.cachedBytes, o.complete]).sort(),
    [
      [BAM, `${SAMPLE.bamAnalysis}/ex1.bam`, await sizes(SAMPLE.bamAnalysis, 'ex1.bam'), true],
      [CRAM, `${SAMPLE.cramAnalysis}/ex1.cram`, await sizes(SAMPLE.cramAnalysis, 'ex1.cram'), true],
      [FASTA, `${SAMPLE.refAnalysis}/ex1.fa`, await sizes(SAMPLE.refAnalysis, 'ex1.fa'), true],
    ].sort(),
  );
  t.is(s.total.complete, 3);

  const human = await runScorefs(['cache', 'stats', '--cache-dir', cacheDir]);
  t.regex(human.stdout, new RegExp(`${BAM}\\s+${SAMPLE.bamAnalysis}/ex1.bam\\s.*\\syes`));

  const sent = await server.objectBytesSent();
  const again = await warm([BAM, `${SAMPLE.cramAnalysis}/ex1.cram`, `${SAMPLE.refAnalysis}/ex1.fa`]);
  t.is(again.code, 0, again.stderr);
  t.is(await server.objectBytesSent(), sent, 'the rerun found everything cached');
  t.regex(again.stdout, /0 B fetched/);

  const unknown = await warm(['NO-SUCH-ANALYSIS/x.bam']);
  t.is(unknown.code, 1);
  t.regex(unknown.stderr, /not in the Score catalog: NO-SUCH-ANALYSIS\/x\.bam/);
});

test('verify finds a corrupted block file, drops it and exits 1; then all is good', async (t) => {
  const server = await startServer(t, { data: sampleData() });
  const cacheDir = path.join(await tempDir(t), 'cache');
  const r = await runScorefs(['cache', 'warm', '--storage-url', server.url, '--cache-dir', cacheDir, BAM, BAI]);
  t.is(r.code, 0, r.stderr);
  const good = await runScorefs(['cache', 'verify', '--cache-dir', cacheDir]);
  t.is(good.code, 0, good.stdout + good.stderr);
  t.regex(good.stdout, /verify: all good/);

  // The largest block file belongs to ex1.bam (the .bai is 176 bytes): flip bytes in its middle.
  const files = await blockFiles(cacheDir);
  t.is(files.length, 2);
  const sized = await Promise.all(files.map(async (f) => ({ f, bytes: await readFile(f) })));
  const victim = sized.sort((a, b) => b.bytes.length - a.bytes.length)[0]!;
  victim.bytes.fill(0x55, 1000, 1010);
  await writeFile(victim.f, victim.bytes);

  const bad = await runScorefs(['cache', 'verify', '--cache-dir', cacheDir]);
  t.is(bad.code, 1, bad.stdout + bad.stderr);
  t.regex(bad.stdout, new RegExp(`BAD: object ${BAM} \\(${SAMPLE.bamAnalysis}/ex1.bam\\): 1 block\\(s\\) failed`));
  const after = await stats(cacheDir);
  t.deepEqual(after.objects.map((o) => o.id), [BAI], 'the bad block is gone, so the object is no longer cached');

  const clean = await runScorefs(['cache', 'verify', '--cache-dir', cacheDir]);
  t.is(clean.code, 0, clean.stdout);
});

test('clear drops the named objects, then everything', async (t) => {
  const server = await startServer(t, { data: sampleData() });
  const cacheDir = path.join(await tempDir(t), 'cache');
  const r = await runScorefs(['cache', 'warm', '--storage-url', server.url, '--cache-dir', cacheDir, BAM, CRAM, FASTA]);
  t.is(r.code, 0, r.stderr);

  const one = await runScorefs(['cache', 'clear', '--cache-dir', cacheDir, CRAM]);
  t.is(one.code, 0, one.stderr);
  t.regex(one.stdout, /cleared 1 object/);
  t.deepEqual((await stats(cacheDir)).objects.map((o) => o.id).sort(), [BAM, FASTA].sort());

  const all = await runScorefs(['cache', 'clear', '--cache-dir', cacheDir]);
  t.is(all.code, 0, all.stderr);
  t.regex(all.stdout, /cleared 2 object/);
  t.is((await stats(cacheDir)).total.objects, 0);
  t.deepEqual(await blockFiles(cacheDir), []);
});

test('a cache held by a mount is named, to the cache commands and to a second mount: which mountpoint, which pid', async (t) => {
  const server = await startServer(t, { data: sampleData() });
  const m = await mountScorefs(t, { serverUrl: server.url });
  for (const args of [['stats'], ['verify'], ['clear'], ['warm', '--storage-url', server.url, BAM]]) {
    const [sub, ...rest] = args;
    const r = await runScorefs(['cache', sub!, '--cache-dir', m.cacheDir, ...rest]);
    t.is(r.code, 1, `${sub}: ${r.stderr}`);
    t.true(
      r.stderr.includes(`the cache ${m.cacheDir} is in use by the mount at ${m.mnt} (pid ${m.pid}); unmount first`),
      `${sub}: ${r.stderr}`,
    );
  }
  const secondMnt = path.join(path.dirname(m.cacheDir), 'second-mnt');
  await mkdir(secondMnt);
  const second = await runScorefs(['mount', secondMnt, '--storage-url', server.url, '--cache-dir', m.cacheDir]);
  t.is(second.code, 1, second.stderr);
  t.true(second.stderr.includes(`the cache ${m.cacheDir} is in use by the mount at ${m.mnt} (pid ${m.pid}); unmount first`), second.stderr);
});

test('stats, verify and clear of a directory that holds no cache say so, exit 1, and create nothing there', async (t) => {
  const dir = await tempDir(t);
  const typo = path.join(dir, 'typo');
  const docs = path.join(dir, 'mydocs');
  await mkdir(docs);
  await writeFile(path.join(docs, 'notes.txt'), 'mine');
  for (const sub of ['stats', 'verify', 'clear']) {
    for (const cacheDir of [typo, docs]) {
      const r = await runScorefs(['cache', sub, '--cache-dir', cacheDir]);
      t.is(r.code, 1, `${sub} ${cacheDir}: ${r.stderr}`);
      t.regex(r.stderr, new RegExp(`no scorefs cache at ${cacheDir}: check --cache-dir`));
    }
  }
  t.deepEqual(await readdir(dir), ['mydocs'], 'no cache directory was made');
  t.deepEqual(await readdir(docs), ['notes.txt'], 'nothing was written into the folder');
});
