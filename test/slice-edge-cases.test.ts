// Slices where the easy assumptions fail: BGZF blocks that start mid-record with a header that does
// not end on a block boundary (as non-htslib writers make them), edge walks cut short by their budget
// (slices become supersets), the tiny real sample, empty and unknown regions, files that are not what
// they claim; and what planning reads.
import test from 'ava';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { NotFound, ProtocolError } from '../src/errors.js';
import { BamSlicer } from '../src/genomics/bam-slice.js';
import { BGZF_EOF } from '../src/genomics/bgzf.js';
import { output } from './helpers/exec.js';
import { localRandomAccess } from './helpers/local-random-access.js';
import { sampleData, SAMPLE } from './helpers/sample-data.js';
import { sliceData, type SliceDataFile } from './helpers/slice-data.js';
import { checkSlice, samtools, slicerFor, writeSlice } from './helpers/slice-check.js';
import { tempDir } from './helpers/tmp.js';

const REGIONS = ['chr1', 'chr1:20000-30000', 'chr2:16000-16500', 'chr3:1-5', 'chr4:10000-30000', 'chr6:9000-'];

test('a BAM re-blocked by plain bgzip (blocks start mid-record, header mid-block) slices exactly', async (t) => {
  const data = await sliceData();
  const dir = await tempDir(t);
  const foreign = path.join(dir, 'foreign.bam');
  await output('bash', ['-c', `bgzip -dc "$1" | bgzip -c > "$2" && samtools index "$2"`, '_', data.files[0]!.data, foreign]);
  const file: SliceDataFile = { name: 'bgzip BAM', format: 'bam', data: foreign, index: `${foreign}.bai`, indexKind: 'bai' };
  const slicer = await slicerFor(file);
  const plan = await slicer.plan(slicer.resolve('chr1:100-200'));
  t.is(plan.segments[0]!.kind, 'bytes', 'the header is re-encoded, not copied with the records after it');
  for (const [i, r] of REGIONS.entries()) {
    const sub = path.join(dir, String(i));
    await mkdir(sub);
    const v = await checkSlice(t, file, slicer, r, sub, data.ref);
    t.is(v.sliceRecords, v.regionRecords, r);
  }
});

test('with no budget for edge walks, slices are trimmed supersets and still index exactly', async (t) => {
  const data = await sliceData();
  const dir = await tempDir(t);
  let extra = 0;
  for (const file of data.files.filter((f) => f.format === 'bam')) {
    const slicer = await slicerFor(file, { walkBudget: 0 });
    for (const [i, r] of REGIONS.entries()) {
      const sub = path.join(dir, `${file.indexKind}-${i}`);
      await mkdir(sub);
      const v = await checkSlice(t, file, slicer, r, sub, data.ref);
      extra += v.sliceRecords - v.regionRecords;
    }
  }
  t.true(extra > 0, 'trimming alone keeps records outside the region');
});

test('the real sample (ex1) slices in every format', async (t) => {
  const root = path.join(sampleData(), SAMPLE.study);
  const ref = path.join(root, SAMPLE.refAnalysis, 'ex1.fa');
  const files = [
    { name: 'ex1 BAI', format: 'bam', data: path.join(root, SAMPLE.bamAnalysis, 'ex1.bam'), index: '', indexKind: 'bai' },
    { name: 'ex1 CSI', format: 'bam', data: path.join(root, SAMPLE.csiAnalysis, 'ex1.bam'), index: '', indexKind: 'csi' },
    { name: 'ex1 CRAM', format: 'cram', data: path.join(root, SAMPLE.cramAnalysis, 'ex1.cram'), index: '', indexKind: 'crai' },
    { name: 'ex1 CRAM31', format: 'cram', data: path.join(root, SAMPLE.cram31Analysis, 'ex1.cram'), index: '', indexKind: 'crai' },
  ].map((f) => ({ ...f, index: `${f.data}.${f.indexKind}` }) as SliceDataFile);
  const dir = await tempDir(t);
  for (const file of files) {
    const slicer = await slicerFor(file);
    t.deepEqual(slicer.contigs, [
      { name: 'seq1', length: 1575 },
      { name: 'seq2', length: 1584 },
    ]);
    for (const [i, r] of ['seq1', 'seq2', 'seq1:100-200', 'seq2:1500-', 'seq1:1,000-1,001'].entries()) {
      const sub = path.join(dir, `${file.name}-${i}`);
      await mkdir(sub, { recursive: true });
      await checkSlice(t, file, slicer, r, sub, ref);
    }
  }
});

test('an empty region is the header and EOF; unknown contigs and malformed regions are NotFound', async (t) => {
  const data = await sliceData();
  const dir = await tempDir(t);
  for (const file of data.files) {
    const slicer = await slicerFor(file);
    t.throws(() => slicer.resolve('chrUn'), { instanceOf: NotFound });
    t.throws(() => slicer.resolve('chr1:300-200'), { instanceOf: NotFound });
    t.throws(() => slicer.resolve('chr1:1-2x'), { instanceOf: NotFound });
    const plan = await slicer.plan(slicer.resolve('chr2:900000-1000000'));
    t.true(plan.segments.every((s) => s.kind === 'bytes' || s.offset === 0), `${file.name}: nothing but the header from the original`);
    const sub = path.join(dir, file.name.replace(/\W/g, '_'));
    await mkdir(sub);
    const slice = await writeSlice(file, plan, sub);
    const refArgs = file.format === 'cram' ? ['-T', data.ref] : [];
    await samtools('quickcheck', slice);
    t.is(await samtools('view', ...refArgs, slice), '');
    t.is(await samtools('view', '--no-PG', '-H', ...refArgs, slice), await samtools('view', '--no-PG', '-H', ...refArgs, file.data));
    if (file.format === 'bam') t.true(plan.segments.at(-1)!.kind === 'bytes' && BGZF_EOF.equals((plan.segments.at(-1) as { data: Buffer }).data));
  }
});

test('planning a BAM slice reads the index, the header and the edges, not the body', async (t) => {
  const data = await sliceData();
  const file = data.files[0]!;
  const bam = await localRandomAccess(file.data);
  const slicer = await BamSlicer.open({ bam, index: await localRandomAccess(file.index), indexKind: 'bai' });
  for (const r of ['chr1', 'chr1:3000-57000']) {
    const before = bam.bytes;
    const plan = await slicer.plan(slicer.resolve(r));
    const copied = plan.segments.reduce((n, s) => n + (s.kind === 'range' ? s.length : 0), 0);
    const read = bam.bytes - before;
    t.log(`${r}: plan read ${read} bytes; the slice is ${plan.size} bytes, ${copied} of them copied ranges`);
    t.true(copied > plan.size / 2, `${r}: most of the slice is ranges of the original`);
    t.true(read < copied / 2, `${r}: planning read ${read} bytes for ${copied} bytes of ranges`);
  }
});

test('a data file or index that is not what it claims is a ProtocolError saying so, for BAM and CRAM', async (t) => {
  const data = await sliceData();
  const [bam, , cram] = data.files as [SliceDataFile, SliceDataFile, SliceDataFile];
  const open = async (file: SliceDataFile, data: string, index: string) => slicerFor({ ...file, data, index });
  await t.throwsAsync(open(bam, cram.data, bam.index), { instanceOf: ProtocolError, message: /BGZF/ });
  await t.throwsAsync(open(cram, bam.data, cram.index), { instanceOf: ProtocolError, message: /CRAM.*not a CRAM/i });
  await t.throwsAsync(open(cram, cram.data, bam.index), { instanceOf: ProtocolError, message: /CRAM.*crai/i });
});
