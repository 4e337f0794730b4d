// What the mount shows in each layout (ls -lR style: names, sizes, modes), and that samtools finds
// the index of an object-id path through its hidden /<objectId>.bai|.crai alias.
import test from 'ava';
import { createHash } from 'node:crypto';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { output } from './helpers/exec.js';
import { mountScorefs } from './helpers/mount.js';
import { SAMPLE, sampleData, sourceFiles } from './helpers/sample-data.js';
import { startServer } from './helpers/server.js';

/** SONG's object id: UUID v5 of `<analysisId>:<fileName>` in the namespace 6ba7b812-… (RFC 4122). */
function objectId(analysisId: string, fileName: string): string {
  const ns = Buffer.from('6ba7b8129dad11d180b400c04fd430c8', 'hex');
  const h = createHash('sha1').update(ns).update(`${analysisId}:${fileName}`).digest().subarray(0, 16);
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

interface SizedFile {
  analysis: string;
  name: string;
  size: number;
}

async function sizedFiles(data: string): Promise<SizedFile[]> {
  return Promise.all((await sourceFiles(data)).map(async (f) => ({ analysis: f.analysisId, name: f.fileName, size: (await stat(f.path)).size })));
}

/** The names of the source's BAM/CRAM files that have an index beside them: each gets `<name>.slices/`. */
function sliced(files: SizedFile[]): SizedFile[] {
  const names = new Set(files.map((f) => `${f.analysis}/${f.name}`));
  const indexes: Record<string, string[]> = { bam: ['bai', 'csi'], cram: ['crai'] };
  return files.filter((f) => (indexes[f.name.split('.').pop()!] ?? []).some((ext) => names.has(`${f.analysis}/${f.name}.${ext}`)));
}

/**
 * `ls -lR`: every path under `root` (without /.scorefs) → its size and mode; directories as "dir".
 * Slice directories are listed but not entered (their contents are the slice tests' business).
 */
async function listTree(root: string, rel = ''): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const name of await readdir(path.join(root, rel))) {
    if (rel === '' && name === '.scorefs') continue;
    const p = path.join(rel, name);
    const st = await stat(path.join(root, p));
    if (st.isDirectory()) {
      out.set(p, `dir ${(st.mode & 0o777).toString(8)}`);
      if (name.endsWith('.slices')) continue;
      for (const [k, v] of await listTree(root, p)) out.set(k, v);
    } else out.set(p, `${st.size} ${(st.mode & 0o777).toString(8)}`);
  }
  return out;
}

test('bundle layout: /<analysisId>/<fileName>, files 0444, directories 0555', async (t) => {
  const data = sampleData();
  const server = await startServer(t, { data });
  const m = await mountScorefs(t, { serverUrl: server.url, layout: 'bundle' });
  const want = new Map<string, string>();
  for (const f of await sizedFiles(data)) {
    want.set(f.analysis, 'dir 555');
    want.set(`${f.analysis}/${f.name}`, `${f.size} 444`);
  }
  for (const f of sliced(await sizedFiles(data))) want.set(`${f.analysis}/${f.name}.slices`, 'dir 555');
  t.deepEqual([...(await listTree(m.mnt)).entries()].sort(), [...want.entries()].sort());
  t.deepEqual(await readdir(path.join(m.mnt, '.scorefs')), ['stats.json']);
});

test('study layout: /<studyId>/<analysisId>/<fileName>', async (t) => {
  const data = sampleData();
  const server = await startServer(t, { data });
  const m = await mountScorefs(t, { serverUrl: server.url, layout: 'study' });
  const want = new Map<string, string>([[SAMPLE.study, 'dir 555']]);
  for (const f of await sizedFiles(data)) {
    want.set(`${SAMPLE.study}/${f.analysis}`, 'dir 555');
    want.set(`${SAMPLE.study}/${f.analysis}/${f.name}`, `${f.size} 444`);
  }
  for (const f of sliced(await sizedFiles(data))) want.set(`${SAMPLE.study}/${f.analysis}/${f.name}.slices`, 'dir 555');
  t.deepEqual([...(await listTree(m.mnt)).entries()].sort(), [...want.entries()].sort());
});

test('object-id layout: /<objectId>, with unlisted index aliases that samtools uses', async (t) => {
  const data = sampleData();
  const server = await startServer(t, { data });
  const m = await mountScorefs(t, { serverUrl: server.url, layout: 'object-id' });
  const files = await sizedFiles(data);
  const want = new Map(files.map((f) => [objectId(f.analysis, f.name), `${f.size} 444`]));
  for (const f of sliced(files)) want.set(`${objectId(f.analysis, f.name)}.slices`, 'dir 555');
  t.deepEqual([...(await listTree(m.mnt)).entries()].sort(), [...want.entries()].sort());

  const bam = path.join(m.mnt, objectId(SAMPLE.bamAnalysis, 'ex1.bam'));
  const bai = files.find((f) => f.analysis === SAMPLE.bamAnalysis && f.name === 'ex1.bam.bai')!;
  t.is((await stat(`${bam}.bai`)).size, bai.size);
  const localBam = path.join(data, SAMPLE.study, SAMPLE.bamAnalysis, 'ex1.bam');
  // a region query needs the index: samtools finds it as <path>.bai
  t.is(await output('samtools', ['view', bam, 'seq2:100-200']), await output('samtools', ['view', localBam, 'seq2:100-200']));
  t.is(await output('samtools', ['idxstats', bam]), await output('samtools', ['idxstats', localBam]));

  const csiBam = path.join(m.mnt, objectId(SAMPLE.csiAnalysis, 'ex1.bam'));
  t.is(await output('samtools', ['view', '-c', csiBam, 'seq1:1-400']), await output('samtools', ['view', '-c', localBam, 'seq1:1-400']));

  const cram = path.join(m.mnt, objectId(SAMPLE.cramAnalysis, 'ex1.cram'));
  const ref = path.join(m.mnt, objectId(SAMPLE.refAnalysis, 'ex1.fa'));
  const localCram = path.join(data, SAMPLE.study, SAMPLE.cramAnalysis, 'ex1.cram');
  const localRef = path.join(data, SAMPLE.study, SAMPLE.refAnalysis, 'ex1.fa');
  t.is(await output('samtools', ['view', '-T', ref, cram, 'seq1:1-500']), await output('samtools', ['view', '-T', localRef, localCram, 'seq1:1-500']));
});
