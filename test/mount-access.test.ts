// What the first open of an object in a mount does, through the real CLI against `scorefs serve --tokens`:
// a controlled file's cached bytes reach only a token Score allows (online: asked on first open; offline:
// within a lease granted earlier to the same token), and mounting asks Score for no per-object
// specification (MD5s are learned on first open and still verify the bytes).
import test, { type ExecutionContext } from 'ava';
import { randomBytes } from 'node:crypto';
import { chmod, copyFile, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { objectIdFor } from '../src/server/object-id.js';
import { exec } from './helpers/exec.js';
import { mountScorefs, mountWorkDir, runScorefs, type MountedScorefs } from './helpers/mount.js';
import { getJson } from './helpers/raw-http.js';
import { sampleData, SAMPLE } from './helpers/sample-data.js';
import { apiRequestCounter, startServer, type RunningServer } from './helpers/server.js';
import { tempDir } from './helpers/tmp.js';
import { settled, waitFor } from './helpers/wait.js';

const TOKEN_A = 'tok-study-st1';
const TOKEN_B = 'tok-study-st2';
const CLEAN_ENV = { ACCESSTOKEN: '', CLIENT_ACCESSTOKEN: '', SCOREFS_TOKEN_FILE: '', SCOREFS_CONFIG: '', SCOREFS_ACCESS_LEASE: '', SCOREFS_READ_DEADLINE: '' };
const SECRET_ID = objectIdFor('AN-C', 'secret.bin');

interface Setup {
  dir: string;
  data: string;
  tokens: string;
  /** Token files (0600) of A (may read study ST1) and B (ST2 only). */
  tokenA: string;
  tokenB: string;
  /** The controlled file's source. */
  secret: string;
}

async function setup(t: ExecutionContext): Promise<Setup> {
  const dir = await tempDir(t);
  const data = path.join(dir, 'data');
  await mkdir(path.join(data, 'ST1', 'AN-C'), { recursive: true });
  await mkdir(path.join(data, 'ST2', 'AN-O'), { recursive: true });
  const secret = path.join(data, 'ST1', 'AN-C', 'secret.bin');
  await writeFile(secret, randomBytes(3 * 1024 * 1024 + 123)); // several cache blocks
  await writeFile(path.join(data, 'ST1', 'AN-C', 'open.txt'), 'open data\n');
  await writeFile(path.join(data, 'ST1', 'AN-C', '.analysis.json'), JSON.stringify({ files: { 'secret.bin': { fileAccess: 'controlled' } } }));
  await writeFile(path.join(data, 'ST2', 'AN-O', 'other.txt'), 'other study\n');
  const tokens = path.join(dir, 'tokens.json');
  await writeFile(tokens, JSON.stringify({ [TOKEN_A]: ['PROGRAMDATA-ST1.READ'], [TOKEN_B]: ['PROGRAMDATA-ST2.READ'] }));
  const tokenFile = async (name: string, token: string): Promise<string> => {
    const file = path.join(dir, name);
    await writeFile(file, `${token}\n`);
    await chmod(file, 0o600);
    return file;
  };
  return { dir, data, tokens, secret, tokenA: await tokenFile('token-a', TOKEN_A), tokenB: await tokenFile('token-b', TOKEN_B) };
}

function mountWith(t: ExecutionContext, server: { url: string }, tokenFile: string, cacheDir: string, extraArgs: string[] = []): Promise<MountedScorefs> {
  return mountScorefs(t, { serverUrl: server.url, cacheDir, extraArgs: ['--token-file', tokenFile, ...extraArgs], env: CLEAN_ENV });
}

async function stats(m: MountedScorefs): Promise<{ bytesRead: number; bytesFromDisk: number; bytesFromNetwork: number; cache: Record<string, number> }> {
  return JSON.parse(await readFile(path.join(m.mnt, '.scorefs', 'stats.json'), 'utf8'));
}

/** `cmp` of the mounted controlled file against its source: 0 when identical. */
async function compare(m: MountedScorefs, s: Setup): Promise<{ code: number | null; stderr: string }> {
  return exec('cmp', [s.secret, path.join(m.mnt, 'AN-C', 'secret.bin')]);
}

test('a controlled file cached for a token that may read it is not served to one that may not; the first token reads it from the cache', async (t) => {
  const s = await setup(t);
  const server = await startServer(t, { data: s.data, tokens: s.tokens });
  const cacheDir = path.join(await mountWorkDir(t), 'cache');

  const a = await mountWith(t, server, s.tokenA, cacheDir);
  t.is((await compare(a, s)).code, 0, 'token A reads the file byte-exact');
  await a.stop();
  const sent = await server.objectBytesSent();
  t.true(sent >= (await stat(s.secret)).size);

  const b = await mountWith(t, server, s.tokenB, cacheDir);
  const denied = await exec('cat', [path.join(b.mnt, 'AN-C', 'secret.bin')]);
  t.not(denied.code, 0);
  t.regex(denied.stderr, /Permission denied/);
  const err = await t.throwsAsync(readFile(path.join(b.mnt, 'AN-C', 'secret.bin')));
  t.is((err as NodeJS.ErrnoException).code, 'EACCES');
  t.is((await exec('cat', [path.join(b.mnt, 'AN-C', 'open.txt')])).stdout, 'open data\n', 'an open file of the same study is readable');
  const bStats = await stats(b);
  t.is(bStats.bytesFromDisk, 0, 'no cached byte of the controlled file served');
  t.is(bStats.bytesRead, 'open data\n'.length);
  await b.stop();
  t.is(await server.objectBytesSent(), sent + 'open data\n'.length, 'only the open file was fetched for token B');
  const log = await readFile(b.logFile, 'utf8');
  t.regex(log, new RegExp(`refused object ${SECRET_ID} of study ST1`), 'the log names the object and study');
  t.false(log.includes(TOKEN_B) || log.includes(TOKEN_A), 'no token in the log');

  const again = await mountWith(t, server, s.tokenA, cacheDir);
  t.is((await compare(again, s)).code, 0);
  t.is(await server.objectBytesSent(), sent + 'open data\n'.length, 'token A reads it from the cache: no object byte over the network');
  t.like(await stats(again), { bytesFromNetwork: 0 });
  await again.stop();

  // The cache dir holds neither token nor a plain hash of one; its lease key is private.
  const files = await exec('grep', ['-rlaF', '-e', TOKEN_A, '-e', TOKEN_B, cacheDir]);
  t.is(files.stdout, '', 'a token in the cache dir');
  const key = (await exec('find', [cacheDir, '-name', 'lease-key', '-perm', '600'])).stdout.trim();
  t.not(key, '', 'the lease key is mode 0600');
});

test('offline, a controlled file is served from the cache only within a lease granted to the same token (by a mount or cache warm)', async (t) => {
  const s = await setup(t);
  let server: RunningServer = await startServer(t, { data: s.data, tokens: s.tokens });
  const port = server.port;
  const work = await mountWorkDir(t);
  const leased = path.join(work, 'leased');
  const short = path.join(work, 'short');

  const a = await mountWith(t, server, s.tokenA, leased);
  t.is((await compare(a, s)).code, 0);
  await a.stop();
  const brief = await mountWith(t, server, s.tokenA, short, ['--access-lease', '1s']);
  t.is((await compare(brief, s)).code, 0);
  await brief.stop();
  const warmed = path.join(work, 'warmed');
  const warm = await runScorefs(['cache', 'warm', '--storage-url', server.url, '--cache-dir', warmed, '--token-file', s.tokenA, SECRET_ID], CLEAN_ENV);
  t.is(warm.code, 0, warm.stderr);
  await server.stop();
  await sleep(1500); // the 1 s lease is over

  const offlineA = await mountWith(t, server, s.tokenA, leased);
  t.regex(offlineA.stderr, /unreachable/, 'mounted offline');
  t.is((await compare(offlineA, s)).code, 0, 'served within the lease of token A');
  await offlineA.stop();

  const offlineWarmed = await mountWith(t, server, s.tokenA, warmed);
  t.is((await compare(offlineWarmed, s)).code, 0, 'served within the lease cache warm was granted for token A');
  await offlineWarmed.stop();

  const offlineB = await mountWith(t, server, s.tokenB, leased);
  const refused = await exec('cat', [path.join(offlineB.mnt, 'AN-C', 'secret.bin')]);
  t.regex(refused.stderr, /Input\/output error/, 'token B has no lease: nothing served');
  t.is((await stats(offlineB)).bytesRead, 0);
  await offlineB.stop();

  const expired = await mountWith(t, server, s.tokenA, short);
  const late = await exec('cat', [path.join(expired.mnt, 'AN-C', 'secret.bin')]);
  t.regex(late.stderr, /Input\/output error/, 'the lease of token A is over: nothing served');
  t.is((await stats(expired)).bytesRead, 0);
  await expired.stop();

  // Online again, Score's yes brings it back.
  server = await startServer(t, { data: s.data, tokens: s.tokens, port });
  const online = await mountWith(t, server, s.tokenA, short);
  t.is((await compare(online, s)).code, 0);
});

test('within a mount, Score is asked again once the lease is over; cache warm with a token that may not read a file fetches none of it', async (t) => {
  const s = await setup(t);
  const server = await startServer(t, { data: s.data, tokens: s.tokens });
  const requests = apiRequestCounter(server);
  const cacheDir = path.join(await mountWorkDir(t), 'cache');
  const m = await mountWith(t, server, s.tokenA, cacheDir, ['--access-lease', '1s']);
  t.is((await compare(m, s)).code, 0);
  const afterFirst = await requests();
  t.is((await compare(m, s)).code, 0);
  t.is(await requests(), afterFirst, 'within the lease: no request');
  await sleep(1500);
  t.is((await compare(m, s)).code, 0);
  t.true((await requests()) > afterFirst, 'the lease is over: asked again on open');
  await m.stop();

  const sent = await server.objectBytesSent();
  const warm = await runScorefs(['cache', 'warm', '--storage-url', server.url, '--cache-dir', cacheDir, '--token-file', s.tokenB, SECRET_ID], CLEAN_ENV);
  t.is(warm.code, 1);
  t.regex(warm.stderr, /AN-C\/secret\.bin: .*scope/);
  t.regex(warm.stdout, /0 of 1 file\(s\) complete/);
  t.is(await server.objectBytesSent(), sent, 'no byte of it fetched or read');
});

test('the index, slices and slice indexes of a controlled BAM are refused to a token that may not read it, cached or not', async (t) => {
  const s = await setup(t);
  for (const name of ['ex1.bam', 'ex1.bam.bai']) await copyFile(path.join(sampleData(), SAMPLE.study, SAMPLE.bamAnalysis, name), path.join(s.data, 'ST1', 'AN-C', name));
  await writeFile(
    path.join(s.data, 'ST1', 'AN-C', '.analysis.json'),
    JSON.stringify({ files: { 'secret.bin': { fileAccess: 'controlled' }, 'ex1.bam': { fileAccess: 'controlled' }, 'ex1.bam.bai': { fileAccess: 'controlled' } } }),
  );
  const server = await startServer(t, { data: s.data, tokens: s.tokens });
  const cacheDir = path.join(await mountWorkDir(t), 'cache');
  const bam = (m: MountedScorefs): string => path.join(m.mnt, 'AN-C', 'ex1.bam');
  const a = await mountWith(t, server, s.tokenA, cacheDir);
  const expected = await exec('samtools', ['view', '-c', path.join(s.data, 'ST1', 'AN-C', 'ex1.bam'), 'seq1:100-2000']);
  t.is((await exec('samtools', ['view', '-c', bam(a), 'seq1:100-2000'])).stdout, expected.stdout);
  t.is((await exec('samtools', ['view', '-c', `${bam(a)}.slices/seq1:100-2000.bam`])).stdout, expected.stdout);
  await a.stop();

  const b = await mountWith(t, server, s.tokenB, cacheDir);
  for (const file of [bam(b), `${bam(b)}.bai`, `${bam(b)}.slices/seq1:100-2000.bam`, `${bam(b)}.slices/seq1:100-2000.bam.bai`]) {
    const r = await exec('cat', [file]);
    t.regex(r.stderr, /Permission denied/, file);
  }
  t.not((await exec('samtools', ['view', '-c', bam(b), 'seq1:100-2000'])).code, 0);
  t.regex((await exec('ls', [`${bam(b)}.slices`])).stderr, /Permission denied/);
  t.is((await stats(b)).bytesRead, 0, 'no byte of the BAM, its index or a slice served');
});


test('the first open of an indexed BAM asks Score three things (its index needs no part MD5s), and the index\'s MD5 still catches wrong bytes', async (t) => {
  const dir = await tempDir(t);
  const data = path.join(dir, 'data');
  const analysis = path.join(data, 'ST1', 'AN-B');
  await mkdir(analysis, { recursive: true });
  const source = path.join(sampleData(), SAMPLE.study, SAMPLE.bamAnalysis);
  for (const name of ['ex1.bam', 'ex1.bam.bai']) await copyFile(path.join(source, name), path.join(analysis, name));
  const index = path.join(analysis, 'ex1.bam.bai');
  const server = await startServer(t, { data });
  // Score hashes the index now; then one of its bytes changes, size and mtime kept (a silent corruption).
  t.is((await getJson(`${server.url}/download/${objectIdFor('AN-B', 'ex1.bam.bai')}?offset=0&length=-1&exclude-urls=true`)).status, 200);
  const original = path.join(dir, 'original.bai');
  await copyFile(index, original);
  await exec('touch', ['-r', index, original]);
  const bytes = await readFile(index);
  bytes[bytes.length - 1] ^= 0xff;
  await writeFile(index, bytes);
  await exec('touch', ['-r', original, index]);

  const requests = apiRequestCounter(server);
  const m = await mountScorefs(t, { serverUrl: server.url, env: CLEAN_ENV });
  const before = await requests();
  const header = await exec('samtools', ['view', '-H', path.join(m.mnt, 'AN-B', 'ex1.bam')]);
  t.is(header.code, 0, header.stderr);
  // The open pins the index whole: the URL's specification gives its MD5, which the cached copy fails.
  await waitFor('the index\'s MD5 check', async () => (await stats(m)).cache.md5Failures === 1);
  t.is((await requests()) - before, 3, "the BAM's specification and URL, and the index's URL");
});

async function generated(t: ExecutionContext, files: number): Promise<string> {
  const data = path.join(await tempDir(t), 'data');
  await mkdir(path.join(data, 'ST1', 'AN-G'), { recursive: true });
  for (let i = 0; i < files; i++) await writeFile(path.join(data, 'ST1', 'AN-G', `f${i}.txt`), `file ${i}\n`);
  return data;
}

test('mounting asks Score for no per-object specification: as many requests for 300 objects as for 1; the first open asks', async (t) => {
  const counts: number[] = [];
  for (const n of [1, 300]) {
    const server = await startServer(t, { data: await generated(t, n) });
    const requests = apiRequestCounter(server);
    const before = await requests();
    const m = await mountScorefs(t, { serverUrl: server.url, env: CLEAN_ENV });
    t.is((await readdir(path.join(m.mnt, 'AN-G'))).length, n);
    const mounted = await requests();
    counts.push(mounted - before);
    t.is((await exec('cat', [path.join(m.mnt, 'AN-G', 'f0.txt')])).stdout, 'file 0\n');
    t.true((await requests()) > mounted, 'the first open asks Score about the object');
    await waitFor('the MD5 check of the file read', async () => (await stats(m)).cache.objectsVerified === 1);
    await m.stop();
  }
  t.log(`API requests at mount: ${counts.join(' for 1 object, ')} for 300`);
  t.is(counts[1], counts[0]);
});

test('MD5s learned on first open still catch bytes that are not the object Score describes', async (t) => {
  const data = await generated(t, 1);
  const file = path.join(data, 'ST1', 'AN-G', 'f0.txt');
  const server = await startServer(t, { data });
  // Score hashes the object now; then its bytes change under it, size and mtime kept (a silent corruption).
  const described = await getJson(`${server.url}/download/${objectIdFor('AN-G', 'f0.txt')}?offset=0&length=-1&exclude-urls=true`);
  t.is(described.status, 200);
  const original = path.join(path.dirname(data), 'original');
  await copyFile(file, original);
  await exec('touch', ['-r', file, original]);
  await writeFile(file, 'file X\n');
  await exec('touch', ['-r', original, file]);

  const m = await mountScorefs(t, { serverUrl: server.url, env: CLEAN_ENV });
  t.is((await exec('cat', [path.join(m.mnt, 'AN-G', 'f0.txt')])).stdout, 'file X\n');
  await waitFor('the MD5 mismatch', async () => (await stats(m)).cache.md5Failures === 1);
  t.is((await stats(m)).cache.objectsVerified, 0);
});

test('a controlled file described ahead of its open (a cohort) logs no refusal; its own open still does, and is refused', async (t) => {
  const dir = await tempDir(t);
  const data = path.join(dir, 'data');
  const source = path.join(sampleData(), SAMPLE.study, SAMPLE.bamAnalysis);
  // AN-01..AN-05 in listing order, of which AN-04 is controlled in a study token A may not read.
  for (const [study, analysis] of [['ST1', 'AN-01'], ['ST1', 'AN-02'], ['ST1', 'AN-03'], ['ST2', 'AN-04'], ['ST1', 'AN-05']] as const) {
    await mkdir(path.join(data, study, analysis), { recursive: true });
    for (const f of ['ex1.bam', 'ex1.bam.bai']) await copyFile(path.join(source, f), path.join(data, study, analysis, f));
  }
  await writeFile(path.join(data, 'ST2', 'AN-04', '.analysis.json'), JSON.stringify({ files: { 'ex1.bam': { fileAccess: 'controlled' }, 'ex1.bam.bai': { fileAccess: 'controlled' } } }));
  const tokens = path.join(dir, 'tokens.json');
  await writeFile(tokens, JSON.stringify({ [TOKEN_A]: ['PROGRAMDATA-ST1.READ'] }));
  const tokenFile = path.join(dir, 'token-a');
  await writeFile(tokenFile, `${TOKEN_A}\n`, { mode: 0o600 });
  const server = await startServer(t, { data, tokens });
  const m = await mountWith(t, server, tokenFile, path.join(await mountWorkDir(t), 'cache'));
  const refusals = async (): Promise<string[]> => (await readFile(m.logFile, 'utf8')).split('\n').filter((l) => /"level":"warn".*refused/.test(l));
  const count = (analysis: string): Promise<{ code: number | null; stderr: string }> => exec('samtools', ['view', '-c', path.join(m.mnt, analysis, 'ex1.bam')]);

  const requests = apiRequestCounter(server);
  const before = await requests();
  for (const analysis of ['AN-01', 'AN-02']) t.is((await count(analysis)).code, 0, analysis);
  t.true((await settled('the requests ahead to settle', requests)) - before > 2 * 3, 'the files after them were described ahead');
  t.deepEqual(await refusals(), [], 'no refusal logged for a file nobody opened');

  const refused = await count('AN-04');
  t.not(refused.code, 0, 'its open is refused');
  t.regex(refused.stderr, /Permission denied/);
  await waitFor('the refusal of the open to be logged', async () => (await refusals()).length > 0);
  t.true((await refusals()).some((l) => l.includes(objectIdFor('AN-04', 'ex1.bam'))), 'the open of AN-04 logs its refusal');
});
