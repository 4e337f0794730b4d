// samtools and md5sum on a real mount served by `scorefs serve` give what they give on the local
// files; the mount is read-only and unknown paths do not exist.
import test from 'ava';
import { mkdtemp, open, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { exec, output } from './helpers/exec.js';
import { md5sum } from './helpers/md5.js';
import { mountScorefs, type MountedScorefs } from './helpers/mount.js';
import { SAMPLE, sampleData, sourceFiles } from './helpers/sample-data.js';
import { startServer, type RunningServer } from './helpers/server.js';

let server: RunningServer;
let mount: MountedScorefs;
let data: string;

test.before(async () => {
  data = sampleData();
  server = await startServer(undefined, { data });
  mount = await mountScorefs(undefined, { serverUrl: server.url });
});

test.after.always(async () => {
  await mount?.stop();
  await server?.stop();
});

const local = (analysis: string, file: string): string => path.join(data, SAMPLE.study, analysis, file);
const mounted = (analysis: string, file: string): string => path.join(mount.mnt, analysis, file);

const BAMS = [SAMPLE.bamAnalysis, SAMPLE.csiAnalysis];
const CRAMS = [SAMPLE.cramAnalysis, SAMPLE.cram31Analysis];

for (const analysis of BAMS) {
  test(`samtools on the mounted BAM of ${analysis} equals samtools on the local file`, async (t) => {
    const runs: string[][] = [['view', '-c'], ['view'], ['view', '-c', '-', 'seq2:100-200'], ['view', '-', 'seq1:1000-1010'], ['idxstats'], ['flagstat']];
    for (const run of runs) {
      const argsFor = (file: string): string[] => {
        const a = [...run];
        const dash = a.indexOf('-');
        if (dash >= 0) a[dash] = file;
        else a.push(file);
        return a;
      };
      const want = await output('samtools', argsFor(local(analysis, 'ex1.bam')));
      const got = await output('samtools', argsFor(mounted(analysis, 'ex1.bam')));
      t.true(want.length > 0, run.join(' '));
      t.is(got, want, `samtools ${run.join(' ')}`);
    }
    t.is((await exec('samtools', ['quickcheck', mounted(analysis, 'ex1.bam')])).code, 0);
  });
}

for (const analysis of CRAMS) {
  test(`samtools on the mounted CRAM of ${analysis} equals samtools on the local file`, async (t) => {
    const localRef = local(SAMPLE.refAnalysis, 'ex1.fa');
    const mountedRef = mounted(SAMPLE.refAnalysis, 'ex1.fa');
    const cram = mounted(analysis, 'ex1.cram');
    for (const region of [[], ['seq1:1-500'], ['seq2:1000-1100']]) {
      const want = await output('samtools', ['view', '-T', localRef, local(analysis, 'ex1.cram'), ...region]);
      t.true(want.length > 0);
      t.is(await output('samtools', ['view', '-T', mountedRef, cram, ...region]), want, `region ${region.join(' ')} with the mounted reference`);
      t.is(await output('samtools', ['view', '-T', localRef, cram, ...region]), want, `region ${region.join(' ')} with the local reference`);
    }
    t.is(await output('samtools', ['idxstats', cram]), await output('samtools', ['idxstats', local(analysis, 'ex1.cram')]));
    t.is(
      await output('samtools', ['flagstat', '--input-fmt-option', `reference=${mountedRef}`, cram]),
      await output('samtools', ['flagstat', '--input-fmt-option', `reference=${localRef}`, local(analysis, 'ex1.cram')]),
    );
    t.is((await exec('samtools', ['quickcheck', cram])).code, 0);
  });
}

// The quick start's `samtools view -c ~/score/AN-EX1-CRAM/ex1.cram seq1:100-200`: a user who just mounted
// has no REF_PATH, and htslib must not go looking for the reference on the internet (no network here).
const noNetwork = process.getuid?.() === 0 ? test : test.skip;
for (const analysis of CRAMS) {
  noNetwork(`the mounted sample CRAM of ${analysis} reads with no reference set up and no network${process.getuid?.() === 0 ? '' : ' (skipped: unshare -n needs root)'}`, async (t) => {
    const home = await mkdtemp(path.join(os.tmpdir(), 'scorefs-home-'));
    t.teardown(() => rm(home, { recursive: true, force: true }));
    const bare = ['--net', 'env', '-u', 'REF_PATH', '-u', 'REF_CACHE', '-u', 'XDG_CACHE_HOME', `HOME=${home}`, 'samtools'];
    for (const region of [['seq1:100-200'], []]) {
      const want = await output('samtools', ['view', '-T', local(SAMPLE.refAnalysis, 'ex1.fa'), local(analysis, 'ex1.cram'), ...region]);
      t.true(want.length > 0);
      const got = await exec('unshare', [...bare, 'view', mounted(analysis, 'ex1.cram'), ...region]);
      t.is(got.code, 0, got.stderr);
      t.is(got.stderr, '');
      t.is(got.stdout, want, `samtools view ${region.join(' ')}`);
    }
  });
}

test('md5sum of every mounted file equals md5sum of its source', async (t) => {
  const files = await sourceFiles(data);
  for (const f of files) t.is(await md5sum(mounted(f.analysisId, f.fileName)), await md5sum(f.path), `${f.analysisId}/${f.fileName}`);
  t.is(files.length, 10);
});

test('every write-like operation is refused with EROFS', async (t) => {
  const bam = mounted(SAMPLE.bamAnalysis, 'ex1.bam');
  const tries: [string, string[]][] = [
    ['touch', [path.join(mount.mnt, 'new-file')]],
    ['mkdir', [path.join(mount.mnt, 'new-dir')]],
    ['rm', ['-f', bam]],
    ['mv', [bam, bam + '.moved']],
    ['truncate', ['-s', '0', bam]],
    ['chmod', ['600', bam]],
    ['ln', ['-s', bam, path.join(mount.mnt, SAMPLE.bamAnalysis, 'link')]],
    ['touch', [bam]],
  ];
  for (const [cmd, args] of tries) {
    const r = await exec(cmd, args);
    t.not(r.code, 0, cmd);
    t.regex(r.stderr, /Read-only file system/, `${cmd} ${args.join(' ')}`);
  }
  const err = await open(bam, 'r+').then(
    () => undefined,
    (e: NodeJS.ErrnoException) => e,
  );
  t.is(err?.code, 'EROFS');
  t.is(await md5sum(bam), await md5sum(local(SAMPLE.bamAnalysis, 'ex1.bam')));
});

test('unknown paths do not exist', async (t) => {
  for (const p of ['nope', `${SAMPLE.bamAnalysis}/nope.bam`, `${SAMPLE.bamAnalysis}/ex1.bam/inside`, 'AN-MISSING/ex1.bam']) {
    const err = await readFile(path.join(mount.mnt, p)).then(
      () => undefined,
      (e: NodeJS.ErrnoException) => e.code,
    );
    t.true(err === 'ENOENT' || err === 'ENOTDIR', `${p}: ${err}`);
  }
  const missing = await readFile(path.join(mount.mnt, 'nope')).catch((e: NodeJS.ErrnoException) => e.code);
  t.is(missing, 'ENOENT');
});

test('/.scorefs/stats.json is JSON with live counters', async (t) => {
  const before = JSON.parse(await readFile(path.join(mount.mnt, '.scorefs', 'stats.json'), 'utf8')) as Record<string, number>;
  for (const key of ['bytesRead', 'bytesFromMemory', 'bytesFromDisk', 'bytesFromNetwork', 'requests', 'retries', 'errors', 'cacheBytes']) {
    t.is(typeof before[key], 'number', key);
  }
  // O_DIRECT: past the page cache, which may hold the file already (tests run concurrently)
  const dd = await exec('dd', [`if=${mounted(SAMPLE.bamAnalysis, 'ex1.bam')}`, 'of=/dev/null', 'bs=65536', 'count=1', 'iflag=direct']);
  t.is(dd.code, 0, dd.stderr);
  const after = JSON.parse(await readFile(path.join(mount.mnt, '.scorefs', 'stats.json'), 'utf8')) as Record<string, number>;
  t.true(after.bytesRead! > before.bytesRead!);
  t.is(after.mode as unknown, 'online');
});
