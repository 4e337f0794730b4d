// Data for slice tests, built once into .tmp/ and shared read-only: the 5M --long-reads bench set
// (BAM+BAI, BAM+CSI, CRAM 3.0, CRAM 3.1, ref.fa) plus two CRAMs made from its BAM here: one with small
// two-slice containers (so a region keeps several containers and multi-slice ones), and CRAM 2.1.
import { access, mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { output } from './exec.js';
import { repoRoot } from './paths.js';

export interface SliceDataFile {
  name: string;
  format: 'bam' | 'cram';
  data: string;
  index: string;
  indexKind: 'bai' | 'csi' | 'crai';
}

export interface SliceData {
  ref: string;
  files: SliceDataFile[];
}

let built: Promise<SliceData> | undefined;

export function sliceData(): Promise<SliceData> {
  built ??= build();
  return built;
}

async function build(): Promise<SliceData> {
  const dir = path.join(repoRoot, '.tmp', 'slice-data-5M-long');
  await output('bash', [path.join(repoRoot, 'scripts', 'make-bench-data.sh'), dir, '5M', '--long-reads'], { timeoutMs: 600_000 });
  const bench = path.join(dir, 'BENCH');
  const ref = path.join(bench, 'AN-BENCH-REF', 'ref.fa');
  const bam = path.join(bench, 'AN-BENCH-BAM', 'sample.bam');
  const extra = path.join(dir, 'extra');
  try {
    await access(path.join(extra, 'complete'));
  } catch {
    const tmp = await mkdtemp(path.join(dir, '.extra-'));
    const cram = (out: string, ...opts: string[]) =>
      output('samtools', ['view', '-C', '--no-PG', '-T', ref, ...opts.flatMap((o) => ['--output-fmt-option', o]), '-o', path.join(tmp, out), bam]);
    await cram('multislice.cram', 'seqs_per_slice=300', 'slices_per_container=2');
    await cram('v21.cram', 'version=2.1', 'seqs_per_slice=1000');
    await output('samtools', ['index', path.join(tmp, 'multislice.cram')]);
    await output('samtools', ['index', path.join(tmp, 'v21.cram')]);
    await mkdir(path.join(tmp, 'complete'));
    await rm(extra, { recursive: true, force: true });
    await rename(tmp, extra);
  }
  const file = (name: string, format: 'bam' | 'cram', data: string, indexKind: SliceDataFile['indexKind']) => ({
    name,
    format,
    data,
    index: `${data}.${indexKind}`,
    indexKind,
  });
  return {
    ref,
    files: [
      file('BAM+BAI', 'bam', bam, 'bai'),
      file('BAM+CSI', 'bam', path.join(bench, 'AN-BENCH-CSI', 'sample.bam'), 'csi'),
      file('CRAM 3.0', 'cram', path.join(bench, 'AN-BENCH-CRAM', 'sample.cram'), 'crai'),
      file('CRAM 3.1', 'cram', path.join(bench, 'AN-BENCH-CRAM31', 'sample.cram'), 'crai'),
      file('CRAM 3.0 two-slice containers', 'cram', path.join(extra, 'multislice.cram'), 'crai'),
      file('CRAM 2.1', 'cram', path.join(extra, 'v21.cram'), 'crai'),
    ],
  };
}
