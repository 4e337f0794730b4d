// Contigs whose names read as regions (`chr1:100`, `chr1:100-200`, HLA alleles such as
// `HLA-A*01:01:01:01`, `chr2:5` without a `chr2`), on a real mount of a BAM and a CRAM made by samtools
// from SAM text: the slice directory lists a name that opens for every contig, and every region string
// resolves as samtools resolves it on the original (hts_parse_region, with `{}` quoting): where samtools
// rejects the string the slice does not exist, where it accepts it the slice holds the same reads.
import test, { type ExecutionContext } from 'ava';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { exec, output } from './helpers/exec.js';
import { mountScorefs } from './helpers/mount.js';
import { seededRandom } from './helpers/random.js';
import { startServer } from './helpers/server.js';
import { tempDir } from './helpers/tmp.js';

const CONTIGS: [name: string, length: number][] = [
  ['chr1', 5000],
  ['chr1:100', 3000],
  ['chr1:100-200', 3000],
  ['HLA-A*01:01:01:01', 3000],
  ['chr2:5', 3000],
];

const REGIONS = [
  'chr1', 'chr1:', 'chr1:100', '{chr1:100}', '{chr1}:100', '{chr1}:100-', 'chr1:100-200', '{chr1:100-200}',
  '{chr1:100}:100-200', '{chr1:100}:', '{chr1:100-200}:1-50', 'chr1:100:5', 'chr1:1,000-2,000',
  'HLA-A*01:01:01:01', 'HLA-A*01:01:01:01:1-100', '{HLA-A*01:01:01:01}:5-500', 'HLA-A*01:01:01:01:', 'HLA-A*01',
  'HLA-A*01:01', 'chr2:5', 'chr2:5:1-100', '{chr2:5}', '{chr2}:5', 'chr2:5:', 'chr2:5:-100', '{chr1:100-200',
  '{chr1}x', 'chr1:100-200-300',
];

const FORMATS = [
  { analysis: 'AN-NAMES-BAM', file: 'names.bam', ext: 'bam', index: 'bam.bai' },
  { analysis: 'AN-NAMES-CRAM', file: 'names.cram', ext: 'cram', index: 'cram.crai' },
] as const;

/** A reference and, from SAM text, a sorted BAM and CRAM with their indexes; reads every 37 bp of every contig. */
async function makeData(t: ExecutionContext): Promise<{ data: string; ref: string; original: (f: (typeof FORMATS)[number]) => string }> {
  const root = await tempDir(t);
  const ref = path.join(root, 'ref.fa');
  const rnd = seededRandom(7);
  const base = (): string => 'ACGT'[rnd.int(4)]!;
  const seqs = CONTIGS.map(([, length]) => Array.from({ length }, base).join(''));
  await writeFile(ref, CONTIGS.map(([name], i) => `>${name}\n${seqs[i]!.replace(/(.{60})/g, '$1\n')}\n`).join(''));
  await output('samtools', ['faidx', ref]);
  const sam = ['@HD\tVN:1.6', ...CONTIGS.map(([name, length]) => `@SQ\tSN:${name}\tLN:${length}`)];
  CONTIGS.forEach(([name, length], i) => {
    for (let pos = 1; pos + 30 <= length; pos += 37) sam.push([`r${i}_${pos}`, 0, name, pos, 60, '30M', '*', 0, 0, seqs[i]!.slice(pos - 1, pos + 29), 'I'.repeat(30)].join('\t'));
  });
  await writeFile(path.join(root, 'names.sam'), sam.join('\n') + '\n');
  const data = path.join(root, 'data');
  const original = (f: (typeof FORMATS)[number]): string => path.join(data, 'ST', f.analysis, f.file);
  for (const f of FORMATS) await mkdir(path.join(data, 'ST', f.analysis), { recursive: true });
  await output('samtools', ['sort', '--no-PG', '-o', original(FORMATS[0]), path.join(root, 'names.sam')]);
  await output('samtools', ['view', '--no-PG', '-C', '-T', ref, '-o', original(FORMATS[1]), original(FORMATS[0])]);
  for (const f of FORMATS) await output('samtools', ['index', original(f)]);
  return { data, ref, original };
}

/** `samtools view [-T ref] FILE [REGION]`; undefined where samtools rejects the region (it says so and exits 0). */
async function view(ref: string, file: string, region?: string): Promise<string | undefined> {
  const r = await exec('samtools', ['view', '-T', ref, file, ...(region === undefined ? [] : [region])]);
  if (r.stderr.includes('specifies an invalid region or unknown reference')) return undefined;
  if (r.code !== 0) throw new Error(`samtools view ${file} ${region ?? ''}: exit ${r.code}: ${r.stderr}`);
  return r.stdout;
}

test('slices of contigs named like regions: listed names open, and region names resolve as samtools resolves them', async (t) => {
  const { data, ref, original } = await makeData(t);
  const server = await startServer(t, { data });
  const { mnt } = await mountScorefs(t, { serverUrl: server.url });
  for (const f of FORMATS) {
    const dir = path.join(mnt, f.analysis, `${f.file}.slices`);
    const listed = await readdir(dir);
    const slices = listed.filter((n) => n.endsWith(`.${f.ext}`));
    t.is(slices.length, CONTIGS.length, `${f.analysis}: one slice per contig: ${listed.join(' ')}`);
    const covered = new Set<string>();
    for (const name of slices) {
      const region = name.slice(0, -`.${f.ext}`.length);
      t.true(listed.includes(`${region}.${f.index}`), `${f.analysis}: ${name} has its index listed`);
      const slice = path.join(dir, name);
      t.is((await exec('samtools', ['quickcheck', slice])).code, 0, `${f.analysis}: ${name} opens`);
      const want = await view(ref, original(f), region);
      t.not(want, undefined, `${f.analysis}: samtools takes the listed name ${region} as a region`);
      t.is(await view(ref, slice, region), want, `${f.analysis}: ${name} through its index = the original's ${region}`);
      const contig = (await output('samtools', ['view', '-T', ref, slice, region])).split('\t')[2]!;
      covered.add(contig);
    }
    t.deepEqual([...covered].sort(), CONTIGS.map(([n]) => n).sort(), `${f.analysis}: the listed slices cover every contig`);

    for (const region of REGIONS) {
      const want = await view(ref, original(f), region);
      const slice = path.join(dir, `${region}.${f.ext}`);
      const stat = await exec('stat', [slice]);
      if (want === undefined) {
        t.regex(stat.stderr, /No such file/, `${f.analysis}: samtools rejects "${region}", so no slice`);
        continue;
      }
      t.is(stat.code, 0, `${f.analysis}: samtools takes "${region}": ${stat.stderr}`);
      t.is(await view(ref, slice, region), want, `${f.analysis}: slice "${region}" through its index = the original`);
      // a BAM slice holds exactly the region's reads (a CRAM slice whole containers: a superset)
      if (f.ext === 'bam') t.is(await view(ref, slice), want, `${f.analysis}: slice "${region}" = the original's reads`);
    }
  }
});
