#!/usr/bin/env node
// Slice sizes and planning cost for regions of a data file, checked against samtools counts.
// Usage (after `npx tsc -p .`): node scripts/measure-slices.mjs DATA INDEX REGION... [--ref REF.fa]
//   DATA is a .bam (INDEX .bai or .csi) or a .cram (INDEX .crai).
// For each region prints: slice bytes, bytes of the original the region's records occupy (the chunk
// ranges the index names, what samtools view reads), `samtools view -b` bytes of just the region,
// bytes the plan read, planning ms, and record counts (region / slice / slice+own index).
import { execFileSync } from 'node:child_process';
import { open, stat, writeFile, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { openSlicer } from '../build/src/genomics/slicer.js';
import { readSlice } from '../build/src/genomics/slice-plan.js';

const args = process.argv.slice(2);
const refAt = args.indexOf('--ref');
const ref = refAt >= 0 ? args.splice(refAt, 2)[1] : undefined;
const [data, index, ...regions] = args;
if (!data || !index || regions.length === 0) {
  console.error('usage: measure-slices.mjs DATA INDEX REGION... [--ref REF.fa]');
  process.exit(2);
}

async function fileAccess(file) {
  const { size } = await stat(file);
  const fh = await open(file, 'r');
  const src = {
    size,
    bytes: 0,
    async read(offset, length) {
      const buf = Buffer.alloc(Math.max(0, Math.min(size, offset + length) - offset));
      const { bytesRead } = await fh.read(buf, 0, buf.length, offset);
      src.bytes += bytesRead;
      return buf.subarray(0, bytesRead);
    },
  };
  return src;
}

const format = data.endsWith('.cram') ? 'cram' : 'bam';
const kind = index.split('.').pop();
const d = await fileAccess(data);
const i = await fileAccess(index);
const slicer = await openSlicer(format === 'bam' ? { format, bam: d, index: i, indexKind: kind } : { format, cram: d, crai: i });
const tmp = await mkdtemp(path.join(os.tmpdir(), 'measure-slices-'));
const sam = (...a) => execFileSync('samtools', a, { maxBuffer: 1 << 30 }).toString().trim();
const refArgs = ref ? ['-T', ref] : [];
try {
  for (const region of regions) {
    const before = d.bytes;
    const t0 = performance.now();
    const plan = await slicer.plan(slicer.resolve(region));
    const ms = performance.now() - t0;
    const planRead = d.bytes - before;
    const out = path.join(tmp, `slice.${format}`);
    await writeFile(out, await readSlice(plan, d, 0, plan.size));
    await writeFile(`${out}.${plan.indexKind}`, plan.index);
    const copied = plan.segments.reduce((n, s) => n + (s.kind === 'range' ? s.length : 0), 0);
    const exact = path.join(tmp, `exact.${format}`);
    sam('view', ...refArgs, format === 'cram' ? '-C' : '-b', '-o', exact, data, region);
    const counts = [sam('view', '-c', ...refArgs, data, region), sam('view', '-c', ...refArgs, out), sam('view', '-c', ...refArgs, out, region)];
    console.log(
      `${region}\tslice ${plan.size} B (${copied} B copied ranges, ${plan.size - copied} B new)` +
        `\tsamtools view ${format === 'cram' ? '-C' : '-b'} of the region ${(await stat(exact)).size} B` +
        `\tplan read ${planRead} B in ${ms.toFixed(0)} ms\trecords region/slice/slice+index ${counts.join('/')}`,
    );
  }
} finally {
  await rm(tmp, { recursive: true, force: true });
}
