// `scorefs download` against `scorefs serve`: the files of every layout equal their sources byte for
// byte (with their index files), a SIGKILLed download resumes without fetching its finished chunks
// again, a wrong MD5 is caught, and bad ids, missing scopes and existing files are handled.
import test, { type ExecutionContext } from 'ava';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { copyFile, mkdir, open, readdir, readFile, stat, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { objectIdFor } from '../src/server/object-id.js';
import { md5sum } from './helpers/md5.js';
import { runScorefs } from './helpers/mount.js';
import { scorefsBin } from './helpers/paths.js';
import { SAMPLE, sampleData } from './helpers/sample-data.js';
import { randomObject } from './helpers/random-object.js';
import { startServer } from './helpers/server.js';
import { tempDir } from './helpers/tmp.js';
import { waitFor } from './helpers/wait.js';

const source = (analysis: string, file: string): string => path.join(sampleData(), SAMPLE.study, analysis, file);
const BAM = objectIdFor(SAMPLE.bamAnalysis, 'ex1.bam');
const CRAM = objectIdFor(SAMPLE.cramAnalysis, 'ex1.cram');
const CSI_BAM = objectIdFor(SAMPLE.csiAnalysis, 'ex1.bam');

/** Asserts each output file has exactly the bytes of its source. */
async function assertSameFiles(t: ExecutionContext, pairs: Array<[output: string, source: string]>): Promise<void> {
  for (const [out, src] of pairs) {
    const [a, b] = await Promise.all([readFile(out), readFile(src)]);
    t.true(a.equals(b), `${out} equals ${src}`);
  }
}

async function download(url: string, args: string[], env: Record<string, string> = {}) {
  return runScorefs(['download', '--storage-url', url, ...args], env);
}

test('downloads in each layout equal the sources byte for byte, with their index files', async (t) => {
  const server = await startServer(t, { data: sampleData() });
  const tmp = await tempDir(t);

  const byName = path.join(tmp, 'filename');
  let r = await download(server.url, ['--object-id', BAM, CRAM, '--output-dir', byName]);
  t.is(r.code, 0, r.stderr);
  t.deepEqual((await readdir(byName)).sort(), ['ex1.bam', 'ex1.bam.bai', 'ex1.cram', 'ex1.cram.crai']);
  await assertSameFiles(t, [
    [path.join(byName, 'ex1.bam'), source(SAMPLE.bamAnalysis, 'ex1.bam')],
    [path.join(byName, 'ex1.bam.bai'), source(SAMPLE.bamAnalysis, 'ex1.bam.bai')],
    [path.join(byName, 'ex1.cram'), source(SAMPLE.cramAnalysis, 'ex1.cram')],
    [path.join(byName, 'ex1.cram.crai'), source(SAMPLE.cramAnalysis, 'ex1.cram.crai')],
  ]);
  t.regex(r.stdout, /4 downloaded, 0 skipped, 0 failed/);
  t.is((r.stdout.match(/MD5 ok/g) ?? []).length, 4);

  const bundle = path.join(tmp, 'bundle');
  r = await download(server.url, ['--object-id', BAM, CSI_BAM, '--output-dir', bundle, '--output-layout', 'bundle']);
  t.is(r.code, 0, r.stderr);
  await assertSameFiles(t, [
    [path.join(bundle, SAMPLE.bamAnalysis, 'ex1.bam'), source(SAMPLE.bamAnalysis, 'ex1.bam')],
    [path.join(bundle, SAMPLE.bamAnalysis, 'ex1.bam.bai'), source(SAMPLE.bamAnalysis, 'ex1.bam.bai')],
    [path.join(bundle, SAMPLE.csiAnalysis, 'ex1.bam'), source(SAMPLE.csiAnalysis, 'ex1.bam')],
    [path.join(bundle, SAMPLE.csiAnalysis, 'ex1.bam.csi'), source(SAMPLE.csiAnalysis, 'ex1.bam.csi')],
  ]);

  const byId = path.join(tmp, 'id');
  r = await download(server.url, ['--object-id', CRAM, '--output-dir', byId, '--output-layout', 'id', '--index', 'false']);
  t.is(r.code, 0, r.stderr);
  t.deepEqual(await readdir(byId), [CRAM]);
  t.is(await md5sum(path.join(byId, CRAM)), await md5sum(source(SAMPLE.cramAnalysis, 'ex1.cram')));
});

test('--analysis-id with --study-id and --manifest select as score-client does', async (t) => {
  const server = await startServer(t, { data: sampleData() });
  const tmp = await tempDir(t);

  const analysis = path.join(tmp, 'analysis');
  let r = await download(server.url, ['--analysis-id', SAMPLE.cram31Analysis, '--study-id', SAMPLE.study, '--output-dir', analysis, '--output-layout', 'bundle']);
  t.is(r.code, 0, r.stderr);
  await assertSameFiles(t, [
    [path.join(analysis, SAMPLE.cram31Analysis, 'ex1.cram'), source(SAMPLE.cram31Analysis, 'ex1.cram')],
    [path.join(analysis, SAMPLE.cram31Analysis, 'ex1.cram.crai'), source(SAMPLE.cram31Analysis, 'ex1.cram.crai')],
  ]);

  // An 11-column score-client manifest naming the FASTA only; --index false keeps its .fai out.
  const manifest = path.join(tmp, 'manifest.tsv');
  const header = 'repo_code\tfile_id\tobject_id\tfile_format\tfile_name\tfile_size\tmd5_sum\tindex_object_id\tdonor_id\tproject_id\tstudy';
  const ref = objectIdFor(SAMPLE.refAnalysis, 'ex1.fa');
  await writeFile(manifest, `${header}\nlocal\tFI1\t${ref}\tFASTA\tex1.fa\t0\t\t\tDO1\tTEST-CA\tTEST-CA\n`);
  const fromManifest = path.join(tmp, 'manifest');
  r = await download(server.url, ['--manifest', manifest, '--output-dir', fromManifest, '--index', 'false']);
  t.is(r.code, 0, r.stderr);
  t.deepEqual(await readdir(fromManifest), ['ex1.fa']);
  await assertSameFiles(t, [[path.join(fromManifest, 'ex1.fa'), source(SAMPLE.refAnalysis, 'ex1.fa')]]);
});

test('an existing file is skipped unless --force; --offset/--length fetch just those bytes', async (t) => {
  const server = await startServer(t, { data: sampleData() });
  const out = await tempDir(t);
  const dest = path.join(out, 'ex1.bam');
  let r = await download(server.url, ['--object-id', BAM, '--output-dir', out, '--index', 'false']);
  t.is(r.code, 0, r.stderr);
  await writeFile(dest, 'not the bam');

  r = await download(server.url, ['--object-id', BAM, '--output-dir', out, '--index', 'false']);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stderr, /skipped .*ex1\.bam: exists \(use --force/);
  t.is(await readFile(dest, 'utf8'), 'not the bam');

  r = await download(server.url, ['--object-id', BAM, '--output-dir', out, '--index', 'false', '--force']);
  t.is(r.code, 0, r.stderr);
  await assertSameFiles(t, [[dest, source(SAMPLE.bamAnalysis, 'ex1.bam')]]);

  const ranged = path.join(out, 'ranged');
  r = await download(server.url, ['--object-id', BAM, '--output-dir', ranged, '--offset', '1000', '--length', '5000']);
  t.is(r.code, 0, r.stderr);
  const whole = await readFile(source(SAMPLE.bamAnalysis, 'ex1.bam'));
  t.true((await readFile(path.join(ranged, 'ex1.bam'))).equals(whole.subarray(1000, 6000)));
  t.regex(r.stdout, /not validated: a byte range/);
});

test('a download killed with SIGKILL resumes and does not fetch its finished chunks again', async (t) => {
  const { data, file: big } = await randomObject(t, 'ST-BIG', 'AN-BIG', 'big.bin', 64 * 1024 * 1024);
  const root = path.dirname(data);
  const size = (await stat(big)).size;
  const id = objectIdFor('AN-BIG', 'big.bin');
  const server = await startServer(t, { data });
  await server.setFaults({ route: 'object', bytesPerSecond: 3 * 1024 * 1024 }); // slow enough to kill mid-way

  const out = path.join(root, 'out');
  const state = path.join(out, `.${id}.part.json`);
  // Two chunks at a time: with all eight at once (the default allows 16) they can end together, and on a loaded
  // machine the kill could come only after the last of them was saved.
  const child = spawn(process.execPath, [scorefsBin, 'download', '--storage-url', server.url, '--object-id', id, '--output-dir', out, '--parallel', '2'], { stdio: 'ignore' });
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const doneChunks = async (): Promise<number[]> => {
    try {
      return (JSON.parse(await readFile(state, 'utf8')) as { done: number[] }).done;
    } catch {
      return [];
    }
  };
  await waitFor('the first chunks to be saved', async () => (await doneChunks()).length > 0, 60_000);
  child.kill('SIGKILL');
  await once(child, 'exit');
  const savedChunks = (await doneChunks()).length;
  const chunkBytes = (JSON.parse(await readFile(state, 'utf8')) as { chunkSize: number }).chunkSize;
  t.true(savedChunks * chunkBytes < size, 'the kill came before the end');
  await t.throwsAsync(stat(path.join(out, 'big.bin')), undefined, 'nothing is in place yet');

  await server.clearFaults();
  const sentBefore = await server.objectBytesSent();
  const r = await download(server.url, ['--object-id', id, '--output-dir', out]);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /resumed from an earlier run/);
  const sentByRerun = (await server.objectBytesSent()) - sentBefore;
  t.log(`${savedChunks} chunks of ${chunkBytes} B saved before the kill; the rerun fetched ${sentByRerun} of ${size} B`);
  t.true(sentByRerun <= size - savedChunks * chunkBytes, `the rerun fetched ${sentByRerun} bytes; ${savedChunks} chunks of ${chunkBytes} were saved`);
  t.is(await md5sum(path.join(out, 'big.bin')), await md5sum(big));
  t.deepEqual((await readdir(out)).sort(), ['big.bin'], 'part file and resume state are gone');
});

test('--validate deletes a download whose bytes differ from the MD5 Score recorded', async (t) => {
  const root = await tempDir(t);
  const dir = path.join(root, 'data', 'ST1', 'AN-1');
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, 'reads.bam');
  await copyFile(source(SAMPLE.bamAnalysis, 'ex1.bam'), file);
  const mtime = 1_700_000_000; // whole seconds, so that restoring it below is exact
  await utimes(file, mtime, mtime);
  const id = objectIdFor('AN-1', 'reads.bam');
  const server = await startServer(t, { data: path.join(root, 'data') });
  // Score records the MD5 (the server hashes once per path, size and mtime) …
  const spec = (await (await fetch(`${server.url}/download/${id}?offset=0&length=-1&exclude-urls=true`)).json()) as { objectMd5: string };
  t.is(spec.objectMd5, await md5sum(file));
  // … then the stored bytes rot: same size, same mtime, one byte different.
  const fh = await open(file, 'r+');
  const byte = Buffer.alloc(1);
  await fh.read(byte, 0, 1, 5000);
  await fh.write(Buffer.from([byte[0]! ^ 0xff]), 0, 1, 5000);
  await fh.close();
  await utimes(file, mtime, mtime);

  const out = path.join(root, 'out');
  let r = await download(server.url, ['--object-id', id, '--output-dir', out]);
  t.is(r.code, 1);
  t.regex(r.stderr, new RegExp(`reads\\.bam \\(object ${id}\\): MD5 [0-9a-f]{32} of the downloaded bytes differs from Score's ${spec.objectMd5}; the file was deleted`));
  t.deepEqual(await readdir(out), [], 'neither the file nor its part file is left');

  r = await download(server.url, ['--object-id', id, '--output-dir', out, '--validate', 'false']);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /not validated \(--validate false\)/);
  t.is(await md5sum(path.join(out, 'reads.bam')), await md5sum(file));
});

test('an unknown object id or a missing scope fails with a clear message and a non-zero exit', async (t) => {
  const root = await tempDir(t);
  const dir = path.join(root, 'data', 'ST1', 'AN-C');
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'secret.bam'), 'controlled bytes\n');
  await writeFile(path.join(dir, '.analysis.json'), JSON.stringify({ files: { 'secret.bam': { fileAccess: 'controlled' } } }));
  const tokens = path.join(root, 'tokens.json');
  await writeFile(tokens, JSON.stringify({ 'tok-other': ['PROGRAMDATA-ST2.READ'] }));
  const server = await startServer(t, { data: path.join(root, 'data'), tokens });
  const out = path.join(root, 'out');

  const unknown = '00000000-0000-4000-8000-000000000000';
  let r = await download(server.url, ['--object-id', unknown, '--output-dir', out], { ACCESSTOKEN: 'tok-other' });
  t.is(r.code, 1);
  t.regex(r.stderr, new RegExp(`object ${unknown} does not exist`));

  r = await download(server.url, ['--object-id', objectIdFor('AN-C', 'secret.bam'), '--output-dir', out], { ACCESSTOKEN: 'tok-other' });
  t.is(r.code, 1);
  t.regex(r.stderr, /AN-C\/secret\.bam: no access to object .* of study ST1 \(needs scope score\.READ or PROGRAMDATA-ST1\.READ\)/);
  t.deepEqual(await readdir(out).catch(() => []), []);

  r = await download(server.url, ['--output-dir', out]);
  t.is(r.code, 2);
  t.regex(r.stderr, /exactly one of --object-id, --manifest, or --analysis-id/);
});
