// The slice directory in the vfs, over the real block cache: its listing, region lookups, stat sizes,
// the slice and index files samtools reads, ENOENT for bad names, and slice reads served from the same
// cache as the original.
import test from 'ava';
import { stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { BlockCache } from '../src/cache/block-cache.js';
import { AsyncLru, planBytes } from '../src/genomics/slice-cache.js';
import type { SlicePlan } from '../src/genomics/slice-plan.js';
import type { Slicer } from '../src/genomics/slicer.js';
import type { ObjectIdentity } from '../src/model.js';
import type { FileNode } from '../src/vfs/node.js';
import { SliceDir } from '../src/vfs/slice-dir.js';
import { FileRangeSource } from './helpers/file-range-source.js';
import { samtools } from './helpers/slice-check.js';
import { sliceData, type SliceDataFile } from './helpers/slice-data.js';
import { tempDir } from './helpers/tmp.js';

async function identity(id: string, file: string, lastModified: number): Promise<ObjectIdentity> {
  return { id, size: (await stat(file)).size, md5: null, lastModified };
}

async function setup(t: import('ava').ExecutionContext, file: SliceDataFile) {
  const dir = await tempDir(t);
  const source = new FileRangeSource(new Map([['data', file.data], ['index', file.index]]));
  const cache = await BlockCache.open({ dir: path.join(dir, 'cache'), source, minFreeBytes: 0 });
  t.teardown(() => cache.close());
  const data = await identity('data', file.data, 1_700_000_000_000);
  const index = await identity('index', file.index, 1_700_000_500_000);
  const caches = {
    slicers: new AsyncLru<Slicer>(1 << 28, (s) => s.memoryBytes),
    plans: new AsyncLru<SlicePlan>(1 << 26, planBytes),
  };
  return { dir, source, cache, data, index, slices: new SliceDir(data, index, file.indexKind, cache, { caches }) };
}

async function readWhole(node: FileNode): Promise<Buffer> {
  const { size } = await node.stat();
  const h = await node.open();
  try {
    const parts: Buffer[] = [];
    for (let at = 0; at < size; at += 65536) parts.push(await h.read(at, 65536));
    return Buffer.concat(parts);
  } finally {
    h.release();
  }
}

async function lookupFile(dir: SliceDir, name: string): Promise<FileNode> {
  const node = await dir.lookup(name);
  if (node?.kind !== 'file') throw new Error(`${name} is not a file`);
  return node;
}

for (const which of ['BAM+BAI', 'BAM+CSI', 'CRAM 3.0']) {
  test(`${which}: listing, lookup and the slice files samtools reads`, async (t) => {
    const sd = await sliceData();
    const file = sd.files.find((f) => f.name === which)!;
    const { dir, slices } = await setup(t, file);
    const ext = file.format;
    const indexExt = file.indexKind;
    const contigs = (await samtools('view', '-H', file.data)).match(/^@SQ\tSN:[^\t]+/gm)!.map((l) => l.slice(7));
    t.deepEqual(await slices.list(), contigs.flatMap((c) => [`${c}.${ext}`, `${c}.${ext}.${indexExt}`]));

    const region = 'chr2:20,000-30,000';
    const slice = await lookupFile(slices, `${region}.${ext}`);
    const index = await lookupFile(slices, `${region}.${ext}.${indexExt}`);
    const [sliceStat, indexStat] = await Promise.all([slice.stat(), index.stat()]);
    t.is(sliceStat.mtimeMs, indexStat.mtimeMs, 'htslib must not see an index older than its data');
    const out = path.join(dir, `slice.${ext}`);
    const bytes = await readWhole(slice);
    t.is(bytes.length, sliceStat.size);
    await writeFile(out, bytes);
    await writeFile(`${out}.${indexExt}`, await readWhole(index));
    await samtools('quickcheck', out);
    const ref = file.format === 'cram' ? ['-T', sd.ref] : [];
    t.is(await samtools('view', ...ref, out, region), await samtools('view', ...ref, file.data, region));

    for (const bad of ['chrUn.' + ext, `chr1:5-1.${ext}`, `chr1:1-2x.${ext}`, 'chr1', 'chr1.sam', ext === 'bam' ? 'chr1.cram' : 'chr1.bam']) {
      t.is(await slices.lookup(bad), undefined, bad);
    }
  });
}

test('a CSI original answers .bam.bai lookups too (htslib reads an index by its magic)', async (t) => {
  const file = (await sliceData()).files.find((f) => f.name === 'BAM+CSI')!;
  const { slices } = await setup(t, file);
  const bai = await readWhole(await lookupFile(slices, 'chr3:1-5000.bam.bai'));
  const csi = await readWhole(await lookupFile(slices, 'chr3:1-5000.bam.csi'));
  t.true(bai.equals(csi));
});

test('reading a slice sends nothing to the source once the original is cached', async (t) => {
  const file = (await sliceData()).files[0]!;
  const { source, cache, data, index, slices } = await setup(t, file);
  await cache.read(data, 0, data.size);
  await cache.read(index, 0, index.size);
  const before = source.stats().requests;
  for (const name of ['chr1.bam', 'chr4:100-20000.bam', 'chr4:100-20000.bam.bai']) {
    const node = await lookupFile(slices, name);
    t.true((await readWhole(node)).length > 0);
  }
  t.is(source.stats().requests, before);
});
