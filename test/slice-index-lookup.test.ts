// The index lookup of slicing (region → chunks of a BAM, region → containers of a CRAM) on the real
// sample, against independent readers: the records in the BAI/CSI chunks we pick that overlap the
// region are exactly those samtools and @gmod/bam return for it; the CRAM containers we keep are
// exactly those whose .crai slices overlap the region, as the CRAM spec defines the .crai columns.
import test from 'ava';
import { BamFile } from '@gmod/bam';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { BamIndex } from '../src/genomics/bam-index.js';
import { readBamHeader } from '../src/genomics/bam-header.js';
import { BlockReader, walkRecords } from '../src/genomics/bam-record-walk.js';
import { CramSlicer } from '../src/genomics/cram-slice.js';
import { resolveRegion, type ResolvedRegion } from '../src/genomics/region.js';
import { localRandomAccess } from './helpers/local-random-access.js';
import { sampleData, SAMPLE } from './helpers/sample-data.js';
import { samtools } from './helpers/slice-check.js';

/** Whole contigs, both ends, tiny and wide windows, and a seeded spread of windows over seq1 and seq2. */
function regions(): string[] {
  const out = ['seq1', 'seq2', 'seq1:1-1', 'seq1:1-100', 'seq2:1500-', 'seq2:1584-1584', 'seq1:1576-2000', 'seq1:700-701', 'seq1:100-200'];
  let seed = 7;
  const rnd = (): number => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  for (let i = 0; i < 30; i++) {
    const start = 1 + Math.floor(rnd() * 1600);
    out.push(`seq${1 + (i % 2)}:${start}-${start + Math.floor(rnd() * 300)}`);
  }
  return out;
}

const root = (): string => path.join(sampleData(), SAMPLE.study);
const byNumber = (a: number, b: number): number => a - b;

for (const [kind, analysis] of [
  ['bai', SAMPLE.bamAnalysis],
  ['csi', SAMPLE.csiAnalysis],
] as const) {
  test(`${kind.toUpperCase()}: the chunks for a region hold exactly the records samtools and @gmod/bam return`, async (t) => {
    const bamPath = path.join(root(), analysis, 'ex1.bam');
    const indexPath = `${bamPath}.${kind}`;
    const bam = await localRandomAccess(bamPath);
    const index = await BamIndex.parse(await readFile(indexPath), kind);
    const { contigs } = await readBamHeader(bam);
    const gmod = new BamFile(kind === 'csi' ? { bamPath, csiPath: indexPath } : { bamPath, baiPath: indexPath });
    await gmod.getHeader();
    for (const name of regions()) {
      const region = resolveRegion(name, contigs);
      const found = await overlapping(bam, index, region);
      const bySamtools = (await samtools('view', bamPath, name)).split('\n').filter(Boolean).map((l) => Number(l.split('\t')[3]));
      const byGmod =
        region.beg < region.end
          ? (await gmod.getRecordsForRange(region.contig, region.beg, region.end))
              // @gmod also returns records ending exactly at beg; an unmapped read placed at a position ends there.
              .filter((r) => Math.max(r.end, r.start + 1) > region.beg)
              .map((r) => r.start + 1)
          : [];
      t.deepEqual(found, bySamtools.sort(byNumber), `${kind} ${name}: samtools`);
      t.deepEqual(found, byGmod.sort(byNumber), `${kind} ${name}: @gmod/bam`);
    }
  });
}

/** 1-based positions of the records in the index's chunks for the region that overlap it. */
async function overlapping(bam: Awaited<ReturnType<typeof localRandomAccess>>, index: BamIndex, r: ResolvedRegion): Promise<number[]> {
  const blocks = new BlockReader(bam);
  const found: number[] = [];
  for (const chunk of index.chunksFor(r.tid, r.beg, r.end)) {
    for await (const rec of walkRecords(blocks, chunk.beg, chunk.end, Infinity)) {
      if (rec.refId === r.tid && rec.pos < r.end && rec.endPos > r.beg) found.push(rec.pos + 1);
    }
  }
  return found.sort(byNumber);
}

for (const analysis of [SAMPLE.cramAnalysis, SAMPLE.cram31Analysis]) {
  test(`${analysis}: the containers kept for a region are those whose .crai slices overlap it`, async (t) => {
    const cramPath = path.join(root(), analysis, 'ex1.cram');
    const craiPath = `${cramPath}.crai`;
    const slicer = await CramSlicer.open({ cram: await localRandomAccess(cramPath), crai: await localRandomAccess(craiPath) });
    const crai = craiLines(gunzipSync(await readFile(craiPath)));
    for (const name of regions()) {
      const region = slicer.resolve(name);
      const plan = await slicer.plan(region);
      // The slice's .crai lists the kept containers' slices, offsets moved: compare all but the offset.
      const kept = craiLines(gunzipSync(plan.index)).map(([seqId, start, span, , slice, size]) => [seqId, start, span, slice, size]);
      const containers = new Set(
        crai
          .filter(([seqId, start, span]) => seqId === region.tid && start <= region.end && start + span - 1 >= region.beg + 1)
          .map(([, , , container]) => container),
      );
      const want = crai.filter(([, , , container]) => containers.has(container)).map(([seqId, start, span, , slice, size]) => [seqId, start, span, slice, size]);
      t.deepEqual(kept, want, `${analysis} ${name}`);
    }
  });
}

/** seqId, 1-based start, span, container offset, slice offset, slice size: one line per slice. */
const craiLines = (text: Buffer): number[][] =>
  text
    .toString('latin1')
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split('\t').map(Number));
