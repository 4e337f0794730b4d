// SONG's read API: /entities paging, fields and filters, /entities/{id}, the Analysis JSON, /studies,
// and new files showing up after a rescan.
import test from 'ava';
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { md5 } from './helpers/md5.js';
import { sampleData, SAMPLE } from './helpers/sample-data.js';
import { startServer } from './helpers/server.js';
import { tempDir } from './helpers/tmp.js';
import { getJson } from './helpers/raw-http.js';
import type { Analysis, LegacyEntity, SongPage } from '../src/score/types.js';

test('paging with size=1 visits every entity once, sorted by id; Spring Page fields are consistent', async (t) => {
  const server = await startServer(t, { data: sampleData() });
  const all = (await getJson<SongPage<LegacyEntity>>(`${server.url}/entities?size=2000`)).json;
  t.is(all.totalElements, 10);
  t.deepEqual(all.content.map((e) => e.id), all.content.map((e) => e.id).sort());
  const seen: string[] = [];
  for (let page = 0; ; page++) {
    const p = (await getJson<SongPage<LegacyEntity>>(`${server.url}/entities?size=1&page=${page}`)).json;
    t.like(p, { number: page, size: 1, totalElements: 10, totalPages: 10, first: page === 0, numberOfElements: 1, empty: false });
    seen.push(...p.content.map((e) => e.id));
    if (p.last) break;
  }
  t.deepEqual(seen, all.content.map((e) => e.id));
  const beyond = (await getJson<SongPage<LegacyEntity>>(`${server.url}/entities?size=3&page=7`)).json;
  t.like(beyond, { content: [], empty: true, last: true, numberOfElements: 0, totalPages: 4 });
  const dflt = (await getJson<SongPage<LegacyEntity>>(`${server.url}/entities`)).json;
  t.is(dflt.size, 20, "Spring's default page size");
  t.is((await getJson<SongPage<LegacyEntity>>(`${server.url}/entities?size=5000`)).json.size, 2000, 'capped at 2000');
});

test('fields limit the content keys (repeated, as score-client sends them, with a trailing slash)', async (t) => {
  const server = await startServer(t, { data: sampleData() });
  const p = (await getJson<SongPage<Partial<LegacyEntity>>>(`${server.url}/entities/?fields=id&fields=fileName&fields=gnosId&size=2000&page=0`)).json;
  t.is(p.content.length, 10);
  for (const e of p.content) t.deepEqual(Object.keys(e).sort(), ['fileName', 'gnosId', 'id']);
  t.is(typeof p.totalPages, 'number', 'paging fields stay');
});

test('example-match filters: gnosId, fileName, projectCode, access, id', async (t) => {
  const server = await startServer(t, { data: sampleData() });
  const get = async (q: string) => (await getJson<SongPage<LegacyEntity>>(`${server.url}/entities?size=100&${q}`)).json.content;
  const bam = await get(`gnosId=${SAMPLE.bamAnalysis}`);
  t.deepEqual(bam.map((e) => e.fileName).sort(), ['ex1.bam', 'ex1.bam.bai']);
  const crams = await get('fileName=ex1.cram');
  t.deepEqual(crams.map((e) => e.gnosId).sort(), [SAMPLE.cramAnalysis, SAMPLE.cram31Analysis]);
  t.is((await get(`gnosId=${SAMPLE.bamAnalysis}&fileName=ex1.bam.bai&projectCode=${SAMPLE.study}`)).length, 1);
  t.is((await get('projectCode=NOPE')).length, 0);
  t.is((await get('access=open')).length, 10);
  t.is((await get('access=controlled')).length, 0);
  t.deepEqual(await get(`id=${bam[0]!.id}`), [bam[0]]);
});

test('/entities/{id}, unknown ids as SongError, /studies/all and the Analysis JSON with md5s', async (t) => {
  const data = sampleData();
  const server = await startServer(t, { data });
  const [bam] = (await getJson<SongPage<LegacyEntity>>(`${server.url}/entities?gnosId=${SAMPLE.bamAnalysis}&fileName=ex1.bam`)).json.content;
  const one = await getJson<LegacyEntity>(`${server.url}/entities/${bam!.id}`);
  t.deepEqual(one.json, { id: bam!.id, gnosId: SAMPLE.bamAnalysis, fileName: 'ex1.bam', projectCode: SAMPLE.study, access: 'open' });

  const missing = await getJson(`${server.url}/entities/00000000-0000-5000-8000-000000000000`);
  t.is(missing.status, 404);
  t.like(missing.json, { errorId: 'legacy.entity.not.found', httpStatusCode: 404, httpStatusName: 'NOT_FOUND', stackTrace: [] });
  t.deepEqual(
    Object.keys(missing.json).sort(),
    ['datetime', 'debugMessage', 'errorId', 'httpStatusCode', 'httpStatusName', 'message', 'requestUrl', 'stackTrace', 'timestamp'],
  );

  t.deepEqual((await getJson(`${server.url}/studies/all`)).json, [SAMPLE.study]);

  const a = (await getJson<Analysis>(`${server.url}/studies/${SAMPLE.study}/analysis/${SAMPLE.bamAnalysis}`)).json;
  t.like(a, { analysisId: SAMPLE.bamAnalysis, studyId: SAMPLE.study, analysisState: 'PUBLISHED' });
  t.deepEqual(a.files.map((f) => [f.fileName, f.fileType]), [
    ['ex1.bam', 'BAM'],
    ['ex1.bam.bai', 'BAI'],
  ]);
  for (const f of a.files) {
    const bytes = await readFile(path.join(data, SAMPLE.study, SAMPLE.bamAnalysis, f.fileName));
    t.like(f, { studyId: SAMPLE.study, analysisId: SAMPLE.bamAnalysis, fileSize: bytes.length, fileAccess: 'open' });
    t.is(f.fileMd5sum, md5(bytes));
  }
  t.is((await getJson(`${server.url}/studies/${SAMPLE.study}/analysis/NOPE`)).json.errorId, 'analysis.id.not.found');
  t.is((await getJson(`${server.url}/studies/NOPE/analysis/${SAMPLE.bamAnalysis}`)).status, 404);
  const published = (await getJson<Analysis[]>(`${server.url}/studies/${SAMPLE.study}/analysis?analysisStates=PUBLISHED`)).json;
  t.is(published.length, 5);
  t.is((await getJson<Analysis[]>(`${server.url}/studies/${SAMPLE.study}/analysis?analysisStates=UNPUBLISHED`)).json.length, 0);
});

test('files added to the data directory appear after a rescan; dotfiles never do', async (t) => {
  const data = await tempDir(t);
  await mkdir(path.join(data, 'S1', 'A1'), { recursive: true });
  await writeFile(path.join(data, 'S1', 'A1', 'a.txt'), 'a');
  const server = await startServer(t, { data });
  const names = async () =>
    (await getJson<SongPage<LegacyEntity>>(`${server.url}/entities?size=100`)).json.content.map((e) => `${e.projectCode}/${e.gnosId}/${e.fileName}`);
  t.deepEqual(await names(), ['S1/A1/a.txt']);
  await mkdir(path.join(data, 'S2', 'A2'), { recursive: true });
  await writeFile(path.join(data, 'S2', 'A2', 'b.txt'), 'b');
  await writeFile(path.join(data, 'S1', 'A1', '.hidden'), 'h');
  await mkdir(path.join(data, '.S3', 'A3'), { recursive: true });
  await writeFile(path.join(data, '.S3', 'A3', 'c.txt'), 'c');
  await sleep(2200);
  t.deepEqual((await names()).sort(), ['S1/A1/a.txt', 'S2/A2/b.txt']);
});
