// Access as Score enforces it with --tokens: 401 + WWW-Authenticate for unknown tokens on every route,
// 403 text for controlled files without score.READ / PROGRAMDATA-<study>.READ, open files for anyone,
// unpublished analyses (400 unless exclude-urls), and no checks at all without --tokens.
import test, { type ExecutionContext } from 'ava';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { tempDir } from './helpers/tmp.js';
import { startServer } from './helpers/server.js';
import { getJson, rawRequest } from './helpers/raw-http.js';
import { objectIdFor } from '../src/server/object-id.js';

const TOKENS = {
  'tok-read': ['score.READ'],
  'tok-st1': ['PROGRAMDATA-ST1.READ'],
  'tok-st2': ['PROGRAMDATA-ST2.READ'],
  'tok-none': ['song.READ'],
};
const OPEN = objectIdFor('A-MIXED', 'open.txt');
const CONTROLLED = objectIdFor('A-MIXED', 'controlled.bam');
const UNPUBLISHED = objectIdFor('A-UNPUB', 'draft.vcf');

async function dataset(t: ExecutionContext): Promise<{ data: string; tokens: string }> {
  const root = await tempDir(t);
  const data = path.join(root, 'data');
  await mkdir(path.join(data, 'ST1', 'A-MIXED'), { recursive: true });
  await mkdir(path.join(data, 'ST2', 'A-UNPUB'), { recursive: true });
  await writeFile(path.join(data, 'ST1', 'A-MIXED', 'open.txt'), 'open data\n');
  await writeFile(path.join(data, 'ST1', 'A-MIXED', 'controlled.bam'), 'controlled data\n');
  await writeFile(path.join(data, 'ST1', 'A-MIXED', '.analysis.json'), JSON.stringify({ files: { 'controlled.bam': { fileAccess: 'controlled' } } }));
  await writeFile(path.join(data, 'ST2', 'A-UNPUB', 'draft.vcf'), '##fileformat=VCFv4.2\n');
  await writeFile(path.join(data, 'ST2', 'A-UNPUB', '.analysis.json'), JSON.stringify({ analysisState: 'UNPUBLISHED' }));
  const tokens = path.join(root, 'tokens.json');
  await writeFile(tokens, JSON.stringify(TOKENS));
  return { data, tokens };
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const spec = (id: string, extra = '') => `/download/${id}?offset=0&length=-1${extra}`;

test('an unknown token gets 401 with an empty body and WWW-Authenticate on every route', async (t) => {
  const server = await startServer(t, await dataset(t));
  for (const route of [spec(OPEN), '/download/ping', '/listing', '/profile', '/actuator/health', '/entities', `/entities/${OPEN}`, '/studies/all']) {
    const r = await rawRequest(server.url + route, { headers: bearer('no-such-token') });
    t.is(r.status, 401, route);
    t.is(r.body.length, 0, route);
    t.regex(String(r.headers['www-authenticate']), /^Bearer error="invalid_token", error_description="[^"]+"/, route);
  }
});

test('controlled files need score.READ or PROGRAMDATA-<study>.READ; open files are open', async (t) => {
  const server = await startServer(t, await dataset(t));
  const cases: [string, Record<string, string>, number][] = [
    [OPEN, {}, 200],
    [OPEN, bearer('tok-none'), 200],
    [CONTROLLED, {}, 403],
    [CONTROLLED, bearer('tok-none'), 403],
    [CONTROLLED, bearer('tok-st2'), 403],
    [CONTROLLED, bearer('tok-st1'), 200],
    [CONTROLLED, bearer('tok-read'), 200],
  ];
  for (const [id, headers, status] of cases) {
    const r = await rawRequest(server.url + spec(id), { headers });
    const what = `${id === OPEN ? 'open' : 'controlled'} with ${headers.authorization ?? 'no token'}`;
    t.is(r.status, status, what);
    if (status === 403) {
      t.regex(String(r.headers['content-type']), /^text\/plain/);
      t.is(r.body.toString(), 'Token missing required scope to download controlled-access file', what);
    }
  }
  // The URL from an authorized spec needs no bearer: its signature authorizes it.
  const ok = await getJson(server.url + spec(CONTROLLED, '&external=true'), bearer('tok-read'));
  const body = await rawRequest(ok.json.parts[0].url);
  t.is(body.status, 200);
  t.is(body.body.toString(), 'controlled data\n');
  // exclude-urls still checks access.
  t.is((await rawRequest(server.url + spec(CONTROLLED, '&exclude-urls=true'))).status, 403);
});

test('/listing and /profile need a valid token with --tokens; SONG and health do not', async (t) => {
  const server = await startServer(t, await dataset(t));
  for (const route of ['/listing', '/profile']) {
    const anon = await rawRequest(server.url + route);
    t.is(anon.status, 401, route);
    t.is(anon.headers['www-authenticate'], 'Bearer');
    t.is((await rawRequest(server.url + route, { headers: bearer('tok-none') })).status, 200, route);
  }
  const listing = await getJson(server.url + '/listing', bearer('tok-st2'));
  t.deepEqual(listing.json.map((e: { id: string }) => e.id).sort(), [OPEN, CONTROLLED, UNPUBLISHED].sort());
  for (const route of ['/entities', `/entities/${CONTROLLED}`, '/studies/all', '/actuator/health', '/download/ping']) {
    t.is((await rawRequest(server.url + route)).status, 200, route);
  }
});

test('an unpublished analysis: 400 with Score message unless exclude-urls; its entity is listed', async (t) => {
  const server = await startServer(t, await dataset(t));
  const r = await getJson(server.url + spec(UNPUBLISHED), bearer('tok-read'));
  t.is(r.status, 400);
  t.is(
    r.json.message,
    `Critical Error: cannot complete download for objectId '${UNPUBLISHED}' with analysisState 'UNPUBLISHED' and analysisId 'A-UNPUB'. ` +
      `Can only download objects that have the analysisState 'PUBLISHED' or when the 'exclude-urls=true' flag is set. Update the file metadata or url parameters and retry.`,
  );
  const probe = await getJson(server.url + spec(UNPUBLISHED, '&exclude-urls=true'), bearer('tok-read'));
  t.is(probe.status, 200);
  t.is(probe.json.objectSize, '##fileformat=VCFv4.2\n'.length);
  t.is(probe.json.parts[0].url, null);
  const entity = await getJson(`${server.url}/entities/${UNPUBLISHED}`);
  t.deepEqual(entity.json, { id: UNPUBLISHED, gnosId: 'A-UNPUB', fileName: 'draft.vcf', projectCode: 'ST2', access: 'open' });
  const analysis = await getJson(`${server.url}/studies/ST2/analysis/A-UNPUB`);
  t.is(analysis.json.analysisState, 'UNPUBLISHED');
});

test('without --tokens everything is open and a token sent along is ignored', async (t) => {
  const { data } = await dataset(t);
  const server = await startServer(t, { data });
  t.is((await rawRequest(server.url + spec(CONTROLLED))).status, 200);
  t.is((await rawRequest(server.url + spec(CONTROLLED), { headers: bearer('whatever') })).status, 200);
  t.is((await rawRequest(server.url + '/listing', { headers: bearer('whatever') })).status, 200);
});
