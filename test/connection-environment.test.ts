// `scorefs download` and `scorefs cache warm` take SCOREFS_TOKEN_FILE and SCOREFS_READ_DEADLINE from the
// environment as `scorefs mount` does, with flags > environment > config file, against `scorefs serve
// --tokens` over real HTTP: a token given only in SCOREFS_TOKEN_FILE is used, a --token-file flag wins
// over it, and it wins over ACCESSTOKEN and the config file.
import test, { type ExecutionContext } from 'ava';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { objectIdFor } from '../src/server/object-id.js';
import type { ExecResult } from './helpers/exec.js';
import { runScorefs } from './helpers/mount.js';
import { SAMPLE, sampleData } from './helpers/sample-data.js';
import { startServer, type RunningServer } from './helpers/server.js';
import { tempDir } from './helpers/tmp.js';

const GOOD = 'tok-env-good-5b1f';
const BAD = 'tok-flag-bad-9c2e';
const BAM = objectIdFor(SAMPLE.bamAnalysis, 'ex1.bam');
const BAM_SOURCE = (): string => path.join(sampleData(), SAMPLE.study, SAMPLE.bamAnalysis, 'ex1.bam');
/** Whatever the test runner's environment holds, these start unset (an empty value counts as unset). */
const CLEAN_ENV = { ACCESSTOKEN: '', CLIENT_ACCESSTOKEN: '', SCOREFS_TOKEN_FILE: '', SCOREFS_CONFIG: '', SCOREFS_READ_DEADLINE: '' };

interface Setup {
  server: RunningServer;
  dir: string;
  goodFile: string;
  badFile: string;
}

async function secret(dir: string, name: string, text: string): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, text);
  await chmod(file, 0o600);
  return file;
}

/** A server that knows only GOOD, and token files holding GOOD and BAD. */
async function setup(t: ExecutionContext): Promise<Setup> {
  const dir = await tempDir(t);
  const tokens = path.join(dir, 'tokens.json');
  await writeFile(tokens, JSON.stringify({ [GOOD]: ['score.READ'] }));
  const server = await startServer(t, { data: sampleData(), tokens });
  return { server, dir, goodFile: await secret(dir, 'good-token', `${GOOD}\n`), badFile: await secret(dir, 'bad-token', `${BAD}\n`) };
}

let runs = 0;
/** `scorefs download` of ex1.bam (no index) into a fresh directory; also returns the file it writes. */
async function download(s: Setup, args: string[], env: Record<string, string>): Promise<ExecResult & { output: string }> {
  const out = path.join(s.dir, `out${runs++}`);
  const r = await runScorefs(['download', '--storage-url', s.server.url, '--object-id', BAM, '--index', 'false', '--output-dir', out, ...args], { ...CLEAN_ENV, ...env });
  return { ...r, output: path.join(out, 'ex1.bam') };
}

/** `scorefs cache warm` of ex1.bam into a fresh cache. */
async function warm(s: Setup, args: string[], env: Record<string, string>): Promise<ExecResult> {
  const cacheDir = path.join(s.dir, `cache${runs++}`);
  return runScorefs(['cache', 'warm', '--storage-url', s.server.url, '--cache-dir', cacheDir, ...args, BAM], { ...CLEAN_ENV, ...env });
}

function assertRejected(t: ExecutionContext, r: ExecResult, what: string): void {
  t.not(r.code, 0, `${what} should fail; stdout: ${r.stdout}`);
  t.regex(r.stderr, /token/i, what);
  t.false(r.stderr.includes(BAD) || r.stdout.includes(BAD), `${what}: the token shows in the output`);
}

test('download: a token only in SCOREFS_TOKEN_FILE is used; --token-file wins over it; it wins over ACCESSTOKEN and the config file', async (t) => {
  const s = await setup(t);

  assertRejected(t, await download(s, [], {}), 'without a token');

  const byEnv = await download(s, [], { SCOREFS_TOKEN_FILE: s.goodFile });
  t.is(byEnv.code, 0, byEnv.stderr);
  t.regex(byEnv.stdout, /1 downloaded, 0 skipped, 0 failed/);
  t.true((await readFile(byEnv.output)).equals(await readFile(BAM_SOURCE())), 'the download equals the source');

  assertRejected(t, await download(s, ['--token-file', s.badFile], { SCOREFS_TOKEN_FILE: s.goodFile }), '--token-file BAD with SCOREFS_TOKEN_FILE=GOOD');

  const overAccessToken = await download(s, [], { SCOREFS_TOKEN_FILE: s.goodFile, ACCESSTOKEN: BAD });
  t.is(overAccessToken.code, 0, overAccessToken.stderr);

  const config = await secret(s.dir, 'scorefs.conf', `token-file = ${s.badFile}\n`);
  const overFile = await download(s, ['--config', config], { SCOREFS_TOKEN_FILE: s.goodFile });
  t.is(overFile.code, 0, overFile.stderr);
  assertRejected(t, await download(s, ['--config', config], {}), 'token-file BAD in the config file alone');
});

test('cache warm: a token only in SCOREFS_TOKEN_FILE is used; --token-file wins over it', async (t) => {
  const s = await setup(t);

  assertRejected(t, await warm(s, [], {}), 'without a token');

  const byEnv = await warm(s, [], { SCOREFS_TOKEN_FILE: s.goodFile });
  t.is(byEnv.code, 0, byEnv.stderr);
  t.regex(byEnv.stdout, /1 of 1 file\(s\) complete/);

  assertRejected(t, await warm(s, ['--token-file', s.badFile], { SCOREFS_TOKEN_FILE: s.goodFile }), '--token-file BAD with SCOREFS_TOKEN_FILE=GOOD');
});

test('download and cache warm read SCOREFS_READ_DEADLINE, and --read-deadline wins over it', async (t) => {
  const s = await setup(t);
  const env = { SCOREFS_TOKEN_FILE: s.goodFile, SCOREFS_READ_DEADLINE: 'soon' };

  for (const [name, run] of [['download', download], ['cache warm', warm]] as const) {
    const byEnv = await run(s, [], env);
    t.is(byEnv.code, 2, `${name}: ${byEnv.stderr}`);
    t.regex(byEnv.stderr, /read-deadline must be a positive number, got "soon"/, name);

    const byFlag = await run(s, ['--read-deadline', '30'], env);
    t.is(byFlag.code, 0, `${name}: ${byFlag.stderr}`);
  }
});
