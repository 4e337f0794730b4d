// Slicing a local file with the library and judging the slice with samtools, the independent tool:
// quickcheck; `view SLICE` ⊇ `view ORIGINAL REGION`; `view SLICE REGION` with the slice's own index
// equals `view ORIGINAL REGION`; and so does the region query after `samtools index` of a copy.
// A second, independent reader (@gmod/bam or @gmod/cram) reading the region from the slice with the
// slice's own index finds the same records (names and positions) as samtools on the original.
import { copyFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ExecutionContext } from 'ava';
import { readSlice, type SlicePlan } from '../../src/genomics/slice-plan.js';
import { openSlicer, type Slicer } from '../../src/genomics/slicer.js';
import type { BamSliceOptions } from '../../src/genomics/bam-slice.js';
import { BamSlicer } from '../../src/genomics/bam-slice.js';
import { gmodRegionRecords, namesAndPositions } from './gmod-oracle.js';
import { output } from './exec.js';
import { localRandomAccess } from './local-random-access.js';
import type { SliceDataFile } from './slice-data.js';

export function samtools(...args: string[]): Promise<string> {
  return output('samtools', args);
}

export async function slicerFor(file: SliceDataFile, opts: BamSliceOptions = {}): Promise<Slicer> {
  const data = await localRandomAccess(file.data);
  const index = await localRandomAccess(file.index);
  if (file.format === 'bam') return BamSlicer.open({ bam: data, index, indexKind: file.indexKind as 'bai' | 'csi' }, opts);
  return openSlicer({ format: 'cram', cram: data, crai: index });
}

/** Writes DIR/slice.<fmt> (assembled through readSlice in uneven pieces) and its index beside it. */
export async function writeSlice(file: SliceDataFile, plan: SlicePlan, dir: string): Promise<string> {
  const src = await localRandomAccess(file.data);
  const parts: Buffer[] = [];
  // Uneven reads cross segment boundaries, as FUSE reads of any size would.
  for (let at = 0, step = 7777; at < plan.size; at += step, step = step * 3 > 300_000 ? 7777 : step * 3) {
    parts.push(await readSlice(plan, src, at, step));
  }
  const slice = path.join(dir, `slice.${file.format}`);
  await writeFile(slice, Buffer.concat(parts));
  await writeFile(`${slice}.${plan.indexKind}`, plan.index);
  return slice;
}

const lines = (text: string): string[] => (text === '' ? [] : text.split('\n').filter((l) => l !== ''));

/** Multiset difference: the lines of `want` that `have` lacks. */
export function missingLines(have: string[], want: string[]): string[] {
  const counts = new Map<string, number>();
  for (const l of have) counts.set(l, (counts.get(l) ?? 0) + 1);
  const missing: string[] = [];
  for (const l of want) {
    const n = counts.get(l) ?? 0;
    if (n === 0) missing.push(l);
    else counts.set(l, n - 1);
  }
  return missing;
}

export interface SliceVerdict {
  regionRecords: number;
  sliceRecords: number;
}

/** All the samtools checks for one region; returns record counts for further claims. */
export async function checkSlice(
  t: ExecutionContext,
  file: SliceDataFile,
  slicer: Slicer,
  region: string,
  dir: string,
  ref: string,
): Promise<SliceVerdict> {
  const plan = await slicer.plan(slicer.resolve(region));
  const slice = await writeSlice(file, plan, dir);
  const copy = path.join(dir, `copy.${file.format}`);
  await copyFile(slice, copy);
  const refArgs = file.format === 'cram' ? ['-T', ref] : [];
  const [, original, whole, derived, reindexed, gmod] = await Promise.all([
    samtools('quickcheck', slice), // throws (fails the test) unless the slice is valid
    samtools('view', ...refArgs, file.data, region),
    samtools('view', ...refArgs, slice),
    samtools('view', ...refArgs, slice, region),
    samtools('index', copy).then(() => samtools('view', ...refArgs, copy, region)),
    gmodRegionRecords({ ...file, data: slice, index: `${slice}.${plan.indexKind}` }, plan.region),
  ]);
  const want = lines(original);
  const missing = missingLines(lines(whole), want);
  t.deepEqual(missing.slice(0, 3), [], `${file.name} ${region}: slice lacks ${missing.length} of the region's records`);
  t.true(derived === original, `${file.name} ${region}: region query with the slice's index differs from the original's`);
  t.true(reindexed === original, `${file.name} ${region}: region query after samtools index differs from the original's`);
  t.deepEqual(
    [...gmod].sort(),
    namesAndPositions(want).sort(),
    `${file.name} ${region}: @gmod reading the slice with its index differs from samtools on the original`,
  );
  return { regionRecords: want.length, sliceRecords: lines(whole).length };
}
