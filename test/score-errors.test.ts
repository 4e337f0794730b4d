// Error mapping over real HTTP against `scorefs serve --tokens`: a rejected token, a missing scope,
// unknown ids, unpublished analyses, bad or unreachable URLs, and servers that answer the wrong shape.
// The token never appears in an error message or in the log.
import test from 'ava';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { AccessDenied, BadRequest, InvalidInput, NotFound, ProtocolError, Unavailable } from '../src/errors.js';
import type { CatalogFile, ObjectIdentity } from '../src/model.js';
import { parseEntityPage, parseJson, parseListing, parseSpec } from '../src/score/wire.js';
import type { ObjectInfo } from '../src/score/types.js';
import { configureLogger } from '../src/util/log.js';
import { describedCatalog } from './helpers/cache-backend.js';
import { sampleData, SAMPLE } from './helpers/sample-data.js';
import { freePort } from './helpers/ports.js';
import { scoreClient } from './helpers/score-client.js';
import { startServer, type RunningServer } from './helpers/server.js';
import { tempDir } from './helpers/tmp.js';

const UNKNOWN_TOKEN = '0d7f7c8e-unknown-secret-5a1b';
const NO_SCOPE_TOKEN = 'a91c-valid-but-no-scope-77e2';
const STUDY_TOKEN = 'b52d-study-scope-token-0c3f';
const STUDY = 'ST-CTRL';

interface Fixture {
  server: RunningServer;
  data: string;
  /** The catalog as a fully authorized client sees it. */
  files: CatalogFile[];
  file(analysisId: string, fileName: string): CatalogFile;
}

/** A data set with an open analysis, a controlled file in study ST-CTRL and an UNPUBLISHED analysis. */
async function fixture(t: Parameters<typeof tempDir>[0]): Promise<Fixture> {
  const dir = await tempDir(t);
  const data = path.join(dir, 'data');
  const put = async (study: string, analysis: string, names: string[], meta?: unknown): Promise<void> => {
    const target = path.join(data, study, analysis);
    await mkdir(target, { recursive: true });
    for (const [source, name] of names.map((n) => n.split(':') as [string, string])) {
      await copyFile(path.join(sampleData(), SAMPLE.study, source, name), path.join(target, name));
    }
    if (meta) await writeFile(path.join(target, '.analysis.json'), JSON.stringify(meta));
  };
  await put('ST-OPEN', 'AN-OPEN', [`${SAMPLE.bamAnalysis}:ex1.bam`, `${SAMPLE.bamAnalysis}:ex1.bam.bai`]);
  await put(STUDY, 'AN-CTRL', [`${SAMPLE.refAnalysis}:ex1.fa`, `${SAMPLE.refAnalysis}:ex1.fa.fai`], {
    analysisState: 'PUBLISHED',
    files: { 'ex1.fa': { fileAccess: 'controlled' } },
  });
  await put('ST-OPEN', 'AN-UNPUB', [`${SAMPLE.cramAnalysis}:ex1.cram`], { analysisState: 'UNPUBLISHED' });
  const tokens = path.join(dir, 'tokens.json');
  await writeFile(tokens, JSON.stringify({ [NO_SCOPE_TOKEN]: [], [STUDY_TOKEN]: [`PROGRAMDATA-${STUDY}.READ`], 'tok-all': ['score.READ'] }));
  const server = await startServer(t, { data, tokens });
  const files = (await describedCatalog(scoreClient(t, server.url, { token: 'tok-all' }))).files;
  return {
    server,
    data,
    files,
    file: (analysisId, fileName) => files.find((f) => f.analysisId === analysisId && f.fileName === fileName)!,
  };
}

function noSecrets(t: Parameters<typeof tempDir>[0], err: unknown, ...secrets: string[]): void {
  const text = `${(err as Error).message} ${String((err as Error).cause ?? '')}`;
  for (const s of secrets) t.false(text.includes(s), `secret in: ${text}`);
  t.false(/X-Amz-Signature=[0-9a-f]/i.test(text));
}

test('an unknown token is AccessDenied(token) everywhere, saying how to renew it, never quoting it', async (t) => {
  const fx = await fixture(t);
  const client = scoreClient(t, fx.server.url, { token: UNKNOWN_TOKEN });
  const bam = fx.file('AN-OPEN', 'ex1.bam');
  for (const attempt of [client.checkConnection(), client.fetchCatalog(), client.source.fetchRange(bam, 0, 100), client.api.entity(bam.id)]) {
    const err = await t.throwsAsync(attempt, { instanceOf: AccessDenied });
    t.is((err as AccessDenied).reason, 'token');
    t.regex(err!.message, /rejected the access token.*token file.*ACCESSTOKEN/);
    noSecrets(t, err, UNKNOWN_TOKEN);
  }
  const anonymous = scoreClient(t, fx.server.url);
  const err = await t.throwsAsync(anonymous.checkConnection(), { instanceOf: AccessDenied });
  t.regex(err!.message, /requires an access token.*--token-file/);
});

test('a controlled file without the scope is AccessDenied(scope) naming the object and the study', async (t) => {
  const fx = await fixture(t);
  const client = scoreClient(t, fx.server.url, { token: NO_SCOPE_TOKEN });
  await client.checkConnection();
  const files = (await client.fetchCatalog()).files;
  t.is(files.length, fx.files.length); // the catalog shows everything, as score-client's mount does
  const fa = files.find((f) => f.analysisId === 'AN-CTRL' && f.fileName === 'ex1.fa')!;
  t.is(fa.access, 'controlled');
  t.is(fa.md5, null); // the catalog carries no MD5s; the specification that has them is refused to this token
  await t.throwsAsync(client.describe(fa), { instanceOf: AccessDenied });
  const err = await t.throwsAsync(client.source.fetchRange(fa, 0, 100), { instanceOf: AccessDenied });
  t.is((err as AccessDenied).reason, 'scope');
  t.true(err!.message.includes(fa.id) && err!.message.includes(STUDY), err!.message);
  noSecrets(t, err, NO_SCOPE_TOKEN);

  // Open files of the same server stay readable with that token.
  const bai = files.find((f) => f.fileName === 'ex1.bam.bai')!;
  t.true((await client.source.fetchRange(bai, 0, 1000)).equals(await readFile(path.join(fx.data, 'ST-OPEN', 'AN-OPEN', 'ex1.bam.bai'))));
});

test('the study scope reads the controlled file', async (t) => {
  const fx = await fixture(t);
  const client = scoreClient(t, fx.server.url, { token: STUDY_TOKEN });
  const fa = (await client.fetchCatalog()).files.find((f) => f.analysisId === 'AN-CTRL' && f.fileName === 'ex1.fa')!;
  const { md5 } = await client.describe(fa);
  t.is(md5, fx.file('AN-CTRL', 'ex1.fa').md5);
  t.truthy(md5);
  t.true((await client.source.fetchRange(fa, 0, fa.size)).equals(await readFile(path.join(fx.data, STUDY, 'AN-CTRL', 'ex1.fa'))));
});

test('unknown ids are NotFound', async (t) => {
  const fx = await fixture(t);
  const client = scoreClient(t, fx.server.url, { token: 'tok-all' });
  const ghost: ObjectIdentity = { id: '00000000-0000-5000-8000-000000000000', size: 100, md5: null, lastModified: 0 };
  await t.throwsAsync(client.source.fetchRange(ghost, 0, 10), { instanceOf: NotFound });
  await t.throwsAsync(client.api.spec(ghost.id, { excludeUrls: true }), { instanceOf: NotFound, message: /not registered/ });
  await t.throwsAsync(client.api.entity(ghost.id), { instanceOf: NotFound });
  await t.throwsAsync(client.api.analysis('ST-OPEN', 'AN-NOPE'), { instanceOf: NotFound });
  t.is(client.source.stats().errors, 1);
});

test("an UNPUBLISHED analysis's file is listed with its MD5 but reading it is BadRequest with Score's reason", async (t) => {
  const fx = await fixture(t);
  const client = scoreClient(t, fx.server.url, { token: 'tok-all' });
  const cram = fx.file('AN-UNPUB', 'ex1.cram');
  t.truthy(cram.md5); // exclude-urls skips the publish check
  t.is((await client.api.analysis('ST-OPEN', 'AN-UNPUB')).analysisState, 'UNPUBLISHED');
  t.is((await client.api.analysis('ST-OPEN', 'AN-OPEN')).analysisState, 'PUBLISHED');
  const err = await t.throwsAsync(client.source.fetchRange(cram, 0, 100), { instanceOf: BadRequest });
  t.regex(err!.message, /UNPUBLISHED/);
});

test('checkConnection: a URL that is not Score/SONG is InvalidInput, a dead port is Unavailable', async (t) => {
  t.timeout(60_000);
  const fx = await fixture(t);
  const notSong = scoreClient(t, fx.server.url, { token: 'tok-all', metadataUrl: `${fx.server.url}/actuator/health` });
  await t.throwsAsync(notSong.checkConnection(), { instanceOf: InvalidInput, message: /--metadata-url/ });
  const notScore = scoreClient(t, `${fx.server.url}/not-score`, { token: 'tok-all', metadataUrl: fx.server.url });
  await t.throwsAsync(notScore.checkConnection(), { instanceOf: InvalidInput, message: /--storage-url/ });
  await scoreClient(t, fx.server.url, { token: 'tok-all' }).checkConnection();

  const port = await freePort();
  const dead = scoreClient(t, `http://127.0.0.1:${port}`, { token: 'tok-all' });
  const err = await t.throwsAsync(dead.checkConnection({ deadline: Date.now() + 1500 }), { instanceOf: Unavailable });
  t.regex(err!.message, new RegExp(`cannot reach Score at http://127.0.0.1:${port}`));
});

/** Score's /listing as parsed from a body: JSON of `v`, or `v` itself when a string. */
const listing = (v: unknown): ObjectInfo[] => [...parseListing(Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)))];

test('a listing is read whole whatever its ids hold (commas, brackets, quotes, any script), however long', (t) => {
  const ids = ['a,b', 'c]d', 'e}f', 'g\\"h', '[i{', 'ü,ñ', '😀]', 'x\\\\'];
  const entries = Array.from({ length: 2500 }, (_, i) => ({ id: `${ids[i % ids.length]}${i}`, size: i, lastModified: 1_700_000_000_000 + i, extra: [{ a: ']' }] }));
  const body = JSON.stringify(entries, null, 1); // whitespace between elements, too
  t.deepEqual(listing(body), entries.map(({ id, size, lastModified }) => ({ id, size, lastModified })));
  t.deepEqual(listing(' [ ] '), []);
});

test('a server that answers the wrong shapes gives ProtocolError, never a crash', (t) => {
  t.throws(() => parseJson(Buffer.from('<html>oops</html>'), 'Score /listing'), { instanceOf: ProtocolError });
  t.throws(() => listing({ id: 'x' }), { instanceOf: ProtocolError, message: /expected a JSON array/ });
  t.throws(() => listing([{ id: 'x', size: -1, lastModified: 0 }]), { instanceOf: ProtocolError, message: /entry 0.*size/ });
  t.throws(() => listing([{ id: 'x', size: '10', lastModified: 0 }]), { instanceOf: ProtocolError });
  t.throws(() => listing([null]), { instanceOf: ProtocolError });
  for (const bad of ['', '[', '[{"id":"a","size":1,"lastModified":0},]', '[{"id":"a"]', '[] []', '{"id":"a"}'.repeat(2)]) {
    t.throws(() => listing(bad), { instanceOf: ProtocolError }, JSON.stringify(bad));
  }
  t.throws(() => parseEntityPage({ content: [] }, 'page'), { instanceOf: ProtocolError, message: /last/ });
  t.throws(() => parseEntityPage({ content: [{ id: 'a', gnosId: 'g', projectCode: 'p' }], last: true }, 'page'), { instanceOf: ProtocolError, message: /fileName/ });
  t.throws(() => parseSpec({ objectId: 'a', objectSize: 1, parts: 'none' }, 'spec'), { instanceOf: ProtocolError });
  t.throws(() => parseSpec({ objectId: 'a', objectSize: 1, parts: [{ partNumber: 0, partSize: 1, offset: 0 }] }, 'spec'), { instanceOf: ProtocolError });
  // Lenient where Score itself is: unknown keys, null MD5s, base64 MD5s, missing access.
  const spec = parseSpec({ objectId: 'a', objectSize: 3, objectMd5: 'rL0Y20zC+Fzt72VPzMSk2A==', extra: 1, parts: [{ partNumber: 1, partSize: 3, offset: 0, url: null, md5: null }] }, 'spec');
  t.is(spec.objectMd5, 'acbd18db4cc2f85cedef654fccc4a4d8');
  t.is(parseEntityPage({ content: [{ id: 'a', gnosId: 'g', fileName: 'f', projectCode: 'p' }], last: true }, 'page').content[0]!.access, 'controlled');
});

test('the token never appears in the log, even at debug level', async (t) => {
  const dir = await tempDir(t);
  const logFile = path.join(dir, 'scorefs.log');
  const log = configureLogger({ level: 'trace', file: logFile });
  t.teardown(() => void configureLogger({ level: 'silent' }));
  const fx = await fixture(t);
  const good = scoreClient(t, fx.server.url, { token: STUDY_TOKEN });
  const bad = scoreClient(t, fx.server.url, { token: UNKNOWN_TOKEN });
  await fx.server.setFaults({ route: 'all', errorRate: 0.3 });
  const files = (await good.fetchCatalog()).files;
  for (const f of files) await good.source.fetchRange(f, 0, 1000).catch(() => undefined);
  await bad.fetchCatalog().catch(() => undefined);
  await bad.source.fetchRange(files[0]!, 0, 10).catch(() => undefined);
  await fx.server.stop();
  await good.source.fetchRange(files[0]!, 0, 10, { deadline: Date.now() + 1000 }).catch(() => undefined);
  await new Promise<void>((resolve) => log.flush(() => resolve()));
  const text = await readFile(logFile, 'utf8');
  t.true(text.length > 0);
  t.true(text.includes('"level":"debug"'), 'debug lines were written');
  for (const secret of [STUDY_TOKEN, UNKNOWN_TOKEN]) t.false(text.includes(secret));
  t.false(/X-Amz-Signature=[0-9a-f]/i.test(text));
});
