// `scorefs serve` with bad input: a missing --data or --tokens, a --tokens file that is not token →
// scopes, and a broken `.analysis.json`, which hides its analysis from every caller (it may have been
// meant to restrict access) and is logged once per change of the file, in one line without a stack.
import test from 'ava';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { objectIdFor } from '../src/server/object-id.js';
import { runScorefs } from './helpers/mount.js';
import { getJson, rawRequest } from './helpers/raw-http.js';
import { startServer, type RunningServer } from './helpers/server.js';
import { tempDir } from './helpers/tmp.js';
import { waitFor } from './helpers/wait.js';

const STUDY = 'ST1';
const BROKEN = objectIdFor('A-BROKEN', 'secret.bam');
const OPEN = objectIdFor('A-OK', 'open.txt');
const TOKENS = { 'tok-read': ['score.READ'], 'tok-study': [`PROGRAMDATA-${STUDY}.READ`], 'tok-none': ['song.READ'] };
const CALLERS: [string, Record<string, string>][] = [
  ['no token', {}],
  ...Object.keys(TOKENS).map((tok): [string, Record<string, string>] => [tok, { authorization: `Bearer ${tok}` }]),
];

async function serveFails(t: import('ava').ExecutionContext, args: string[]): Promise<string> {
  const r = await runScorefs(['serve', '--port', '0', ...args]);
  t.is(r.code, 2, r.stderr);
  t.is(r.stdout, '');
  t.is(r.stderr.trim().split('\n').length, 1, 'one line');
  t.notRegex(r.stderr, /ENOENT|\n\s+at /, 'no raw errno, no stack');
  return r.stderr;
}

test('a missing --data directory or --tokens file is named, with what to pass', async (t) => {
  const dir = await tempDir(t);
  const missing = path.join(dir, 'nonexistent');
  t.regex(await serveFails(t, ['--data', missing]), new RegExp(`^scorefs: data directory ${missing} does not exist: pass --data DIR, a directory laid out as DIR/<studyId>/<analysisId>/<fileName>`));
  await writeFile(path.join(dir, 'file'), 'x');
  t.regex(await serveFails(t, ['--data', path.join(dir, 'file')]), /is not a directory: pass --data DIR/);
  t.regex(await serveFails(t, ['--data', dir, '--tokens', missing]), new RegExp(`^scorefs: --tokens ${missing} does not exist: pass a file holding a JSON object of token → array of scopes`));
});

test('a --tokens file that is not a JSON object of token → scopes is refused, without quoting its tokens', async (t) => {
  const dir = await tempDir(t);
  const cases: [string, RegExp][] = [
    ['{"tok-secret-1": ["score.READ"],\n "tok-secret-2": }', /is not valid JSON: it must hold a JSON object of token → array of scopes, e.g. \{"my-token": \["score.READ"\]\}/],
    ['tok-secret-1', /is not valid JSON/],
    ['["tok-secret-1"]', /must hold a JSON object of token → array of scopes/],
    ['{"tok-secret-1": "score.READ"}', /the scopes of every token must be an array of strings/],
  ];
  for (const [i, [text, want]] of cases.entries()) {
    const file = path.join(dir, `tokens-${i}.json`);
    await writeFile(file, text);
    const stderr = await serveFails(t, ['--data', dir, '--tokens', file]);
    t.regex(stderr, want, text);
    t.false(stderr.includes('tok-secret'), `no token in: ${stderr}`);
  }
});

/** The broken analysis seen by every caller: not in SONG's listings, Score's listing, nor downloadable. */
async function assertHidden(t: import('ava').ExecutionContext, server: RunningServer): Promise<void> {
  for (const [who, headers] of CALLERS) {
    const ids = (await getJson(`${server.url}/entities?size=100`, headers)).json.content.map((e: { id: string }) => e.id);
    t.true(ids.includes(OPEN), `/entities for ${who}`);
    t.false(ids.includes(BROKEN), `/entities for ${who}`);
    const analyses = await getJson(`${server.url}/studies/${STUDY}/analysis?analysisStates=PUBLISHED,UNPUBLISHED,SUPPRESSED`, headers);
    t.false(JSON.stringify(analyses.json).includes('A-BROKEN'), `SONG analyses for ${who}`);
    t.not((await rawRequest(`${server.url}/studies/${STUDY}/analysis/A-BROKEN`, { headers })).status, 200, who);
    t.is((await rawRequest(`${server.url}/download/${BROKEN}?offset=0&length=-1`, { headers })).status, 404, `download for ${who}`);
    t.is((await rawRequest(`${server.url}/entities/${BROKEN}`, { headers })).status, 404, `entity for ${who}`);
    if (who !== 'no token') t.false((await getJson(`${server.url}/listing`, headers)).json.some((e: { id: string }) => e.id === BROKEN), `/listing for ${who}`);
  }
}

/** The messages of the server's log lines (JSON) about an `.analysis.json`. */
const problemLines = (server: RunningServer): string[] =>
  server
    .stderr()
    .split('\n')
    .filter((l) => l.includes('.analysis.json'))
    .map((l) => (JSON.parse(l) as { msg: string }).msg);

test('a broken .analysis.json hides its analysis from every token and is logged once per change, in one line', async (t) => {
  const root = await tempDir(t);
  const data = path.join(root, 'data');
  const broken = path.join(data, STUDY, 'A-BROKEN');
  const meta = path.join(broken, '.analysis.json');
  await mkdir(broken, { recursive: true });
  await mkdir(path.join(data, STUDY, 'A-OK'));
  await writeFile(path.join(data, STUDY, 'A-OK', 'open.txt'), 'open\n');
  await writeFile(path.join(broken, 'secret.bam'), 'secret\n');
  // meant to make secret.bam controlled; a trailing comma makes it unparseable
  await writeFile(meta, '{"files": {"secret.bam": {"fileAccess": "controlled"}},}');
  const tokens = path.join(root, 'tokens.json');
  await writeFile(tokens, JSON.stringify(TOKENS));
  const server = await startServer(t, { data, tokens });

  await assertHidden(t, server);
  t.is(problemLines(server).length, 1, server.stderr());
  const [line] = problemLines(server);
  t.regex(line!, new RegExp(`${meta} is not valid JSON \\(.*\\): its analysis is hidden`));
  t.notRegex(server.stderr(), /"stack"|\n\s+at /, 'no stack trace');

  // Rescans (each new analysis appearing proves one) do not repeat the line.
  for (const fresh of ['A-NEW1', 'A-NEW2']) {
    await mkdir(path.join(data, STUDY, fresh));
    await writeFile(path.join(data, STUDY, fresh, 'f.txt'), 'x\n');
    const id = objectIdFor(fresh, 'f.txt');
    await waitFor(`${fresh} listed`, async () => (await rawRequest(`${server.url}/entities/${id}`)).status === 200);
  }
  await assertHidden(t, server);
  t.is(problemLines(server).length, 1, 'still one line after rescans');

  // A changed file is reported again; a misspelt access value must not leave the file open.
  await writeFile(meta, JSON.stringify({ files: { 'secret.bam': { fileAccess: 'controled' } } }));
  await waitFor('the changed file reported', async () => (await rawRequest(`${server.url}/entities`)).status === 200 && problemLines(server).length === 2);
  t.regex(problemLines(server)[1]!, /has files\["secret.bam"\] = \{"fileAccess":"controled"\}, not \{"fileAccess": "open"\} or \{"fileAccess": "controlled"\}/);
  await assertHidden(t, server);

  // Fixed: the analysis is back, with its restriction.
  await writeFile(meta, JSON.stringify({ files: { 'secret.bam': { fileAccess: 'controlled' } } }));
  await waitFor('the fixed analysis listed', async () => (await rawRequest(`${server.url}/entities/${BROKEN}`)).status === 200);
  t.is((await rawRequest(`${server.url}/download/${BROKEN}?offset=0&length=-1`)).status, 403);
  t.is((await rawRequest(`${server.url}/download/${BROKEN}?offset=0&length=-1`, { headers: { authorization: 'Bearer tok-read' } })).status, 200);
  t.is(problemLines(server).length, 2);
});

test('an .analysis.json of the wrong shape says what is wrong and what is expected', async (t) => {
  const root = await tempDir(t);
  const cases: [unknown, RegExp][] = [
    [['PUBLISHED'], /is not a JSON object: its analysis is hidden \(not listed, not downloadable\) until the file is fixed; expected \{"analysisState": "PUBLISHED", "files": \{"x.bam": \{"fileAccess": "controlled"\}\}\}$/],
    [{ analysisState: 'published' }, /has analysisState "published", not one of PUBLISHED, UNPUBLISHED, SUPPRESSED/],
    [{ analysisstate: 'UNPUBLISHED' }, /has an unknown key "analysisstate" \(the keys are analysisState, files\)/],
    [{ files: ['secret.bam'] }, /has "files" that is not an object/],
  ];
  for (const [i] of cases.entries()) {
    const dir = path.join(root, STUDY, `A-${i}`);
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'secret.bam'), 'secret\n');
    await writeFile(path.join(dir, '.analysis.json'), JSON.stringify(cases[i]![0]));
  }
  const server = await startServer(t, { data: root });
  t.deepEqual((await getJson(`${server.url}/entities`)).json.content, []);
  const lines = problemLines(server);
  for (const [i, [, want]] of cases.entries()) {
    const mine = lines.filter((l) => l.includes(`/A-${i}/.analysis.json`));
    t.is(mine.length, 1, `A-${i}`);
    t.regex(mine[0] ?? '', want);
  }
});
