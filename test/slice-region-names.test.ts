// Slice names: the extension split, and region strings resolved as samtools resolves them. For every
// string, samtools on the sample BAM is the judge: where it rejects the region we throw NotFound; where
// it accepts, the reads of our resolved 0-based range (asked of samtools as plain beg-end) are its reads.
import test from 'ava';
import path from 'node:path';
import { NotFound } from '../src/errors.js';
import { parseRegionName, resolveRegion } from '../src/genomics/region.js';
import { sampleData, SAMPLE } from './helpers/sample-data.js';
import { samtools } from './helpers/slice-check.js';
import { exec } from './helpers/exec.js';

test('parseRegionName splits the region from the slice or index extension', (t) => {
  const table: [string, ReturnType<typeof parseRegionName>][] = [
    ['chr20:1,000,000-2,000,000.bam', { region: 'chr20:1,000,000-2,000,000', ext: 'bam' }],
    ['chr20:1000000-.bam', { region: 'chr20:1000000-', ext: 'bam' }],
    ['chr20.bam', { region: 'chr20', ext: 'bam' }],
    ['chr20.bam.bai', { region: 'chr20', ext: 'bai' }],
    ['chr20.bam.csi', { region: 'chr20', ext: 'csi' }],
    ['chr20:1-2.cram', { region: 'chr20:1-2', ext: 'cram' }],
    ['chr20:1-2.cram.crai', { region: 'chr20:1-2', ext: 'crai' }],
    ['HLA-A*01:01:01:01.bam', { region: 'HLA-A*01:01:01:01', ext: 'bam' }],
    ['{chr1}:5-6.bam', { region: '{chr1}:5-6', ext: 'bam' }],
    ['x.bam.bam', { region: 'x.bam', ext: 'bam' }],
    ['.bam', undefined],
    ['chr20', undefined],
    ['chr20.sam', undefined],
    ['chr20.bai', undefined],
  ];
  for (const [name, want] of table) t.deepEqual(parseRegionName(name), want, name);
});

test('region strings resolve as samtools reads them', async (t) => {
  const bam = path.join(sampleData(), SAMPLE.study, SAMPLE.bamAnalysis, 'ex1.bam');
  const contigs = [
    { name: 'seq1', length: 1575 },
    { name: 'seq2', length: 1584 },
  ];
  const strings = [
    'seq1', 'seq2', 'seq1:', 'seq1:100', 'seq1:100-', 'seq1:100-200', 'seq1:1,00-2,00', 'seq1:-200',
    'seq1:0-100', 'seq1:0', 'seq1:1k-1.2k', 'seq1:1e2-2e2', 'seq1: 100-200', 'seq1:+100-+300', 'seq1:1.5k',
    'seq1:1575-1575', 'seq1:1576', 'seq1:5000-6000', '{seq1}', '{seq1}:100-200', 'seq2:1500-1584',
    // rejected by samtools
    'seq1:200-100', 'seq1:100-99', 'seq1:100-200x', 'seq1:abc', 'seq9', 'seq9:1-100', 'seq1:100-200-300',
    '{seq1', '{seq1}x', '{seq9}:1-2', 'seq1:-5-10', 'SEQ1', '',
  ];
  for (const s of strings) {
    // samtools prints this and carries on (exit 0) when it cannot parse the region
    const view = await exec('samtools', ['view', bam, s]);
    t.is(view.code, 0, `samtools view "${s}": ${view.stderr}`);
    const rejected = view.stderr.includes('specifies an invalid region or unknown reference');
    if (rejected) {
      t.throws(() => resolveRegion(s, contigs), { instanceOf: NotFound }, `samtools rejects "${s}"`);
      continue;
    }
    const r = resolveRegion(s, contigs);
    const plain = r.beg >= r.end ? '' : await samtools('view', bam, `${r.contig}:${r.beg + 1}-${r.end}`);
    t.is(plain, view.stdout, `"${s}" resolved to ${r.contig} [${r.beg}, ${r.end})`);
  }
});

test('a contig name containing ":" is whole unless quoted, and ambiguity is an error', (t) => {
  const contigs = [
    { name: 'HLA-A*01:01', length: 3000 },
    { name: 'chr1', length: 5000 },
    { name: 'chr1:1-10', length: 100 },
  ];
  t.like(resolveRegion('HLA-A*01:01', contigs), { tid: 0, beg: 0, end: 3000 });
  t.like(resolveRegion('HLA-A*01:01:5-10', contigs), { tid: 0, beg: 4, end: 10 });
  t.like(resolveRegion('{HLA-A*01:01}:5-10', contigs), { tid: 0, beg: 4, end: 10 });
  t.throws(() => resolveRegion('chr1:1-10', contigs), { instanceOf: NotFound }); // samtools: "range is ambiguous"
  t.like(resolveRegion('{chr1:1-10}', contigs), { tid: 2, beg: 0, end: 100 });
  t.like(resolveRegion('{chr1}:1-10', contigs), { tid: 1, beg: 0, end: 10 });
});
