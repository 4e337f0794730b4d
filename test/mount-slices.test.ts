// Slice files on a real mount: `<file>.slices/` lists one slice per contig, any region resolves,
// samtools accepts each slice and finds its index beside it, a region query through that index equals
// the same query on the local original, and a slice of an already cached original costs no object byte.
import test, { type ExecutionContext } from 'ava';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { exec, output } from './helpers/exec.js';
import { mountScorefs } from './helpers/mount.js';
import { startServer } from './helpers/server.js';
import { sliceData } from './helpers/slice-data.js';
import { repoRoot } from './helpers/paths.js';

const BENCH = path.join(repoRoot, '.tmp', 'slice-data-5M-long', 'BENCH');
const REGIONS = ['chr1:150000-150100', 'chr2:1-5000', 'chr3:36000-', 'chr6'];

async function mountBench(t: ExecutionContext) {
  await sliceData(); // builds .tmp/slice-data-5M-long
  const server = await startServer(t, { data: path.join(BENCH, '..') });
  const mounted = await mountScorefs(t, { serverUrl: server.url });
  return { server, mnt: mounted.mnt };
}

const cases = [
  { analysis: 'AN-BENCH-BAM', file: 'sample.bam', ext: 'bam', index: 'bai' },
  { analysis: 'AN-BENCH-CSI', file: 'sample.bam', ext: 'bam', index: 'csi' },
  { analysis: 'AN-BENCH-CRAM', file: 'sample.cram', ext: 'cram', index: 'crai' },
  { analysis: 'AN-BENCH-CRAM31', file: 'sample.cram', ext: 'cram', index: 'crai' },
] as const;

test('slice directories list one slice per contig and samtools reads slices through their own index', async (t) => {
  const { mnt } = await mountBench(t);
  const ref = path.join(BENCH, 'AN-BENCH-REF', 'ref.fa');
  const contigs = (await readFile(`${ref}.fai`, 'utf8')).trim().split('\n').map((l) => l.split('\t')[0]!);
  for (const c of cases) {
    const dir = path.join(mnt, c.analysis, `${c.file}.slices`);
    const listed = await readdir(dir);
    for (const contig of contigs) t.true(listed.includes(`${contig}.${c.ext}`), `${c.analysis}: ${contig}.${c.ext} listed`);
    const refArgs = c.ext === 'cram' ? ['-T', ref] : [];
    const original = path.join(BENCH, c.analysis, c.file);
    for (const region of REGIONS) {
      const slice = path.join(dir, `${region}.${c.ext}`);
      t.is((await exec('samtools', ['quickcheck', slice])).code, 0, `${c.analysis} ${region}: quickcheck`);
      const want = await output('samtools', ['view', ...refArgs, original, region]);
      const got = await output('samtools', ['view', ...refArgs, slice, region]);
      t.is(got, want, `${c.analysis} ${region}: view SLICE REGION = view ORIGINAL REGION`);
      const whole = new Set((await output('samtools', ['view', ...refArgs, slice])).split('\n'));
      t.true(want.split('\n').every((line) => whole.has(line)), `${c.analysis} ${region}: slice ⊇ region`);
    }
  }
});

test('bad region names are ENOENT, never a crash', async (t) => {
  const { mnt } = await mountBench(t);
  const dir = path.join(mnt, 'AN-BENCH-BAM', 'sample.bam.slices');
  for (const bad of ['nochr:1-100.bam', 'chr1:200-100.bam', 'chr1:x-y.bam', 'chr1.cram', 'chr1.txt']) {
    const r = await exec('stat', [path.join(dir, bad)]);
    t.not(r.code, 0, bad);
    t.regex(r.stderr, /No such file/, bad);
  }
  t.is((await exec('samtools', ['quickcheck', path.join(dir, 'chr1.bam')])).code, 0, 'the mount still answers');
});

test('a slice of a cached original is read without sending object bytes', async (t) => {
  const { server, mnt } = await mountBench(t);
  const original = path.join(mnt, 'AN-BENCH-BAM', 'sample.bam');
  await output('md5sum', [original, `${original}.bai`]);
  const before = await server.objectBytesSent();
  const slice = path.join(mnt, 'AN-BENCH-BAM', 'sample.bam.slices', 'chr2:10000-20000.bam');
  await output('md5sum', [slice, `${slice}.bai`]);
  t.is(await server.objectBytesSent(), before);
});
