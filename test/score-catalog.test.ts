// The catalog of the sample data over real HTTP: every file, with the size of its source (its MD5s come
// from Score's description of the object, asked for on first open), index pairing, and restriction by a
// score-client manifest.
import test from 'ava';
import { stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { InvalidInput } from '../src/errors.js';
import type { CatalogFile } from '../src/model.js';
import { indexFor } from '../src/catalog-rules.js';
import { output } from './helpers/exec.js';
import { md5sum } from './helpers/md5.js';
import { sampleData, SAMPLE, sourceFiles } from './helpers/sample-data.js';
import { PAGE_CONCURRENCY } from '../src/score/catalog.js';
import { scoreClient } from './helpers/score-client.js';
import { apiRequestCounter, startServer } from './helpers/server.js';
import { tempDir } from './helpers/tmp.js';

const key = (f: { analysisId: string; fileName: string }): string => `${f.analysisId}/${f.fileName}`;

test('every sample file is in the catalog with the size of its source; Score describes it with the MD5 of its source', async (t) => {
  const data = sampleData();
  const server = await startServer(t, { data });
  const client = scoreClient(t, server.url);
  const catalog = await client.fetchCatalog();
  const sources = await sourceFiles(data);
  t.true(sources.length >= 10);
  t.is(catalog.files.length, sources.length);
  const byKey = new Map(catalog.files.map((f) => [key(f), f]));
  for (const src of sources) {
    const f = byKey.get(key(src));
    if (!f) {
      t.fail(`missing ${key(src)}`);
      continue;
    }
    t.is(f.studyId, src.studyId);
    t.is(f.size, (await stat(src.path)).size, key(src));
    t.is(f.md5, null, 'no MD5 before the object is described');
    t.is(f.access, 'open');
    t.regex(f.id, /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    t.true(f.lastModified > 0);
    const described = await client.describe(f);
    t.is(described.md5, await md5sum(src.path), key(src));
    // One part per object at the default 20 MiB part size, carrying the same MD5.
    t.deepEqual(described.parts, [{ offset: 0, size: f.size, md5: described.md5! }]);
  }
  t.true(catalog.fetchedAt > 0);
});

test('parts carry their own MD5s when objects span several parts', async (t) => {
  const data = sampleData();
  const server = await startServer(t, { data, partSize: 20_000 });
  const client = scoreClient(t, server.url);
  const bam = (await client.fetchCatalog()).files.find((f) => f.analysisId === SAMPLE.bamAnalysis && f.fileName === 'ex1.bam')!;
  const source = path.join(data, SAMPLE.study, SAMPLE.bamAnalysis, 'ex1.bam');
  const { parts } = await client.describe(bam);
  t.true(parts!.length > 1);
  t.is(parts!.reduce((sum, p) => sum + p.size, 0), bam.size);
  const dir = await tempDir(t);
  for (const p of parts!) {
    // An independent cut of the source file (dd), hashed by md5sum.
    const piece = path.join(dir, `part-${p.offset}`);
    await output('dd', [`if=${source}`, `of=${piece}`, 'bs=1', `skip=${p.offset}`, `count=${p.size}`, 'status=none']);
    t.is(p.md5, await md5sum(piece));
  }
});

test('a catalog costs two requests however many objects; a refresh keeps the MD5s learned for unchanged objects only', async (t) => {
  const server = await startServer(t, { data: sampleData(), partSize: 20_000 });
  const client = scoreClient(t, server.url);
  const apiRequests = apiRequestCounter(server);
  const r0 = await apiRequests();
  const first = await client.fetchCatalog();
  const r1 = await apiRequests();
  t.true(first.files.length >= 10);
  t.is(r1 - r0, 2, 'one SONG /entities page and one Score /listing, no specification');

  // MD5s learned on first open (here: described directly) are kept by a refresh of unchanged objects.
  for (const f of first.files) Object.assign(f, await client.describe(f));
  const r2 = await apiRequests();
  const again = await client.fetchCatalog({ known: first });
  t.is((await apiRequests()) - r2, 2, 'no specification asked for');
  t.deepEqual(again.files, first.files, 'the same MD5s and parts');

  // An object that changed (here: the earlier catalog saw another last-modified time) loses them.
  const changed = first.files.find((f) => f.fileName === 'ex1.bam')!;
  const stale = { ...first, files: first.files.map((f) => (f === changed ? { ...f, lastModified: f.lastModified - 1000 } : f)) };
  const third = await client.fetchCatalog({ known: stale });
  t.is(third.files.find((f) => f.id === changed.id)!.md5, null, "the changed object's MD5 is learned anew");
  t.is(third.files.filter((f) => f.md5 === null).length, 1);
});

test('SONG pages after the first are fetched a few at a time, and every entity arrives exactly once', async (t) => {
  const server = await startServer(t, { data: sampleData() });
  await server.setFaults({ route: 'all', latencyMs: 50 });
  const client = scoreClient(t, server.url);
  const api = async (name: string): Promise<number> => {
    let n = 0;
    for (const line of (await server.metricsText()).split('\n')) {
      if (line.startsWith(name) && line.includes('route="api"')) n += Number(line.split(/\s+/).pop());
    }
    return n;
  };
  const whole = await client.fetchCatalog();
  const pageSize = 1;
  const pages = Math.ceil(((await (await fetch(`${server.url}/entities`)).json()) as { totalElements: number }).totalElements / pageSize);
  t.true(pages > PAGE_CONCURRENCY + 1, `${pages} pages of ${pageSize}`);
  const r0 = await api('scorefs_server_requests_total');
  const paged = await client.fetchCatalog({ pageSize });
  t.is((await api('scorefs_server_requests_total')) - r0 - 1, pages + 1, 'each page once, and Score /listing');
  t.deepEqual(paged.files, whole.files);
  const peak = await api('scorefs_server_requests_open_peak');
  t.log(`${pages} pages; at most ${peak} API requests open at once`);
  t.true(peak <= PAGE_CONCURRENCY + 1, 'the pages, and Score /listing beside them');
});

test('index pairing: <fileName>.bai|.crai|.csi|.tbi in the same analysis, case-insensitively', async (t) => {
  const server = await startServer(t, { data: sampleData() });
  const files = (await scoreClient(t, server.url).fetchCatalog()).files;
  const analysis = (id: string): CatalogFile[] => files.filter((f) => f.analysisId === id);
  const pair = (id: string, name: string): string | undefined => {
    const siblings = analysis(id);
    return indexFor(siblings.find((f) => f.fileName === name)!, siblings)?.fileName;
  };
  t.is(pair(SAMPLE.bamAnalysis, 'ex1.bam'), 'ex1.bam.bai');
  t.is(pair(SAMPLE.csiAnalysis, 'ex1.bam'), 'ex1.bam.csi');
  t.is(pair(SAMPLE.cramAnalysis, 'ex1.cram'), 'ex1.cram.crai');
  t.is(pair(SAMPLE.cram31Analysis, 'ex1.cram'), 'ex1.cram.crai');
  t.is(pair(SAMPLE.refAnalysis, 'ex1.fa'), undefined); // .fai is not an alignment index
  t.is(pair(SAMPLE.bamAnalysis, 'ex1.bam.bai'), undefined);

  const named = (...names: string[]): { fileName: string }[] => names.map((fileName) => ({ fileName }));
  const mixed = named('Sample.BAM', 'sample.bam.BAI', 'other.bam.bai');
  t.is(indexFor(mixed[0]!, mixed)?.fileName, 'sample.bam.BAI');
  const vcf = named('calls.vcf.gz', 'calls.vcf.gz.tbi', 'calls.vcf.gz.csi');
  t.is(indexFor(vcf[0]!, vcf)?.fileName, 'calls.vcf.gz.csi'); // csi comes before tbi
  t.is(indexFor(named('x.bam')[0]!, named('x.bam', 'x.bam.bai.md5'))?.fileName, undefined);
});

test('a manifest restricts the catalog to its File UUID and Index file UUID objects, plus paired indexes', async (t) => {
  const server = await startServer(t, { data: sampleData() });
  const client = scoreClient(t, server.url);
  const all = (await client.fetchCatalog()).files;
  const find = (a: string, n: string): CatalogFile => all.find((f) => f.analysisId === a && f.fileName === n)!;
  const bam = find(SAMPLE.bamAnalysis, 'ex1.bam');
  const fa = find(SAMPLE.refAnalysis, 'ex1.fa');
  const fai = find(SAMPLE.refAnalysis, 'ex1.fa.fai');
  const row = (cells: string[]): string => cells.join('\t');
  const manifest = [
    row(['repo_code', 'file_id', 'object_id', 'file_format', 'file_name', 'file_size', 'md5_sum', 'index_object_id', 'donor_id/donor_count', 'project_id/project_count', 'study']),
    row(['collab', 'FI1', bam.id, 'BAM', 'ex1.bam', String(bam.size), '', '', 'DO1', 'TEST-CA', 'TEST-CA']),
    row(['collab', 'FI2', ` ${fa.id} `, 'FASTA', 'ex1.fa', '', '', fai.id, '', '', '']),
    '',
  ].join('\n');
  const dir = await tempDir(t);
  const manifestPath = path.join(dir, 'manifest.tsv');
  await writeFile(manifestPath, manifest);

  const restricted = await client.fetchCatalog({ manifest: manifestPath });
  t.deepEqual(restricted.files.map(key).sort(), [`${SAMPLE.bamAnalysis}/ex1.bam`, `${SAMPLE.bamAnalysis}/ex1.bam.bai`, `${SAMPLE.refAnalysis}/ex1.fa`, `${SAMPLE.refAnalysis}/ex1.fa.fai`]);
  t.is(restricted.files.find((f) => f.id === bam.id)!.size, bam.size);

  await writeFile(manifestPath, `${manifest}collab\tFI3\tonly-three-columns\n`);
  const err = await t.throwsAsync(client.fetchCatalog({ manifest: manifestPath }), { instanceOf: InvalidInput });
  t.true(err!.message.includes(`${manifestPath} line 4`), err!.message);
});
