// GET /download/{id}: the ObjectSpecification Score returns, field by field, for default, ranged,
// external and exclude-urls requests, and its errors. Expected MD5s come from node:crypto over the source file.
import test, { type ExecutionContext } from 'ava';
import { createHash } from 'node:crypto';
import { link, mkdir, readFile, rename, stat, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { sampleData, SAMPLE } from './helpers/sample-data.js';
import { startServer, type RunningServer } from './helpers/server.js';
import { tempDir } from './helpers/tmp.js';
import { getJson, rawRequest } from './helpers/raw-http.js';
import type { ObjectSpecification } from '../src/score/types.js';

const PART = 50_000;
const md5 = (b: Buffer): string => createHash('md5').update(b).digest('hex');

async function bamFixture(t: ExecutionContext): Promise<{ server: RunningServer; id: string; bytes: Buffer }> {
  const data = sampleData();
  const server = await startServer(t, { data, partSize: PART });
  const page = await getJson(`${server.url}/entities?gnosId=${SAMPLE.bamAnalysis}&fileName=ex1.bam`);
  const id = page.json.content[0].id as string;
  const bytes = await readFile(path.join(data, SAMPLE.study, SAMPLE.bamAnalysis, 'ex1.bam'));
  return { server, id, bytes };
}

test('default spec: parts of --part-size with per-part sourceMd5, whole-object md5 and signed part URLs', async (t) => {
  const { server, id, bytes } = await bamFixture(t);
  const { status, json: spec } = await getJson<ObjectSpecification>(`${server.url}/download/${id}?offset=0&length=-1`);
  t.is(status, 200);
  t.deepEqual(Object.keys(spec).sort(), ['objectId', 'objectKey', 'objectMd5', 'objectSize', 'parts', 'uploadId']);
  t.is(spec.objectKey, `data/${id}`);
  t.is(spec.objectId, id);
  t.is(spec.uploadId, id);
  t.is(spec.objectSize, bytes.length);
  const md5sum = execFileSync('md5sum', [path.join(sampleData(), SAMPLE.study, SAMPLE.bamAnalysis, 'ex1.bam')]).toString().split(' ')[0];
  t.is(spec.objectMd5, md5sum);
  const expectedParts = Math.ceil(bytes.length / PART);
  t.true(expectedParts >= 2, 'the sample BAM spans several parts');
  t.is(spec.parts.length, expectedParts);
  spec.parts.forEach((p, i) => {
    const offset = i * PART;
    const size = Math.min(PART, bytes.length - offset);
    t.is(p.partNumber, i + 1);
    t.is(p.offset, offset);
    t.is(p.partSize, size);
    t.is(p.md5, null);
    t.true('md5' in p, 'md5 is always emitted');
    t.is(p.sourceMd5, md5(bytes.subarray(offset, offset + size)));
    const u = new URL(p.url!);
    t.is(u.origin, server.url);
    t.is(u.searchParams.get('X-Amz-SignedHeaders'), 'host;range');
    t.regex(u.searchParams.get('X-Amz-Date')!, /^\d{8}T\d{6}Z$/);
    t.is(u.searchParams.get('X-Amz-Expires'), '86400');
    t.regex(u.searchParams.get('X-Amz-Signature')!, /^[0-9a-f]{64}$/);
  });
  // Each part URL serves exactly its bytes with its own Range.
  for (const p of spec.parts) {
    const r = await rawRequest(p.url!, { headers: { range: `bytes=${p.offset}-${p.offset + p.partSize - 1}` } });
    t.is(r.status, 206);
    t.true(r.body.equals(bytes.subarray(p.offset, p.offset + p.partSize)));
  }
});

test('names hardlinked to one file answer its MD5; a file replaced by another of the same size and mtime is hashed again', async (t) => {
  const data = await tempDir(t);
  await mkdir(path.join(data, 'S1', 'A1'), { recursive: true });
  await mkdir(path.join(data, 'S1', 'A2'));
  const first = path.join(data, 'S1', 'A1', 'x.bin');
  const linked = path.join(data, 'S1', 'A2', 'x.bin');
  await writeFile(first, Buffer.alloc(100_000, 1));
  await link(first, linked);
  const md5sum = (file: string): string => execFileSync('md5sum', [file]).toString().split(' ')[0]!;
  const server = await startServer(t, { data, partSize: PART });
  const idOf = async (analysis: string): Promise<string> => (await getJson(`${server.url}/entities?gnosId=${analysis}`)).json.content[0].id;
  const specMd5 = async (id: string): Promise<string | null> => (await getJson<ObjectSpecification>(`${server.url}/download/${id}?offset=0&length=-1`)).json.objectMd5;
  const [id1, id2] = [await idOf('A1'), await idOf('A2')];
  const before = md5sum(first);
  t.is(await specMd5(id1), before);
  t.is(await specMd5(id2), before);

  // A new file (another inode) renamed over A1's name, with the old one's size and mtime.
  const st = await stat(first);
  const replacement = path.join(data, 'S1', 'A1', '.x.bin.new');
  await writeFile(replacement, Buffer.alloc(100_000, 2));
  await utimes(replacement, st.atime, st.mtime);
  await rename(replacement, first);
  await sleep(2200); // a listing older than 2 s is rescanned by the next SONG request
  t.is(await idOf('A1'), id1);
  t.not(md5sum(first), before);
  t.is(await specMd5(id1), md5sum(first));
  t.is(await specMd5(id2), before, 'the other name still holds the old file');
});

test('ranged spec: parts divide offset..offset+length, objectSize = length, no sourceMd5', async (t) => {
  const { server, id, bytes } = await bamFixture(t);
  const offset = 1234;
  const length = 2 * PART + 17;
  const { status, json: spec } = await getJson<ObjectSpecification>(`${server.url}/download/${id}?offset=${offset}&length=${length}`);
  t.is(status, 200);
  t.is(spec.objectSize, length);
  t.is(spec.objectMd5, md5(bytes), 'objectMd5 stays the whole-object md5');
  t.deepEqual(
    spec.parts.map((p) => [p.partNumber, p.offset, p.partSize]),
    [
      [1, offset, PART],
      [2, offset + PART, PART],
      [3, offset + 2 * PART, 17],
    ],
  );
  for (const p of spec.parts) {
    t.false('sourceMd5' in p);
    const r = await rawRequest(p.url!, { headers: { range: `bytes=${p.offset}-${p.offset + p.partSize - 1}` } });
    t.true(r.body.equals(bytes.subarray(p.offset, p.offset + p.partSize)));
  }
  // length=-1 with an offset: to the end of the object.
  const tail = await getJson<ObjectSpecification>(`${server.url}/download/${id}?offset=${offset}&length=-1`);
  t.is(tail.json.objectSize, bytes.length - offset);
  t.is(tail.json.parts.reduce((n, p) => n + p.partSize, 0), bytes.length - offset);
  // Past the end: Score's InternalUnrecoverableError → 500.
  const over = await getJson(`${server.url}/download/${id}?offset=10&length=${bytes.length}`);
  t.is(over.status, 500);
  t.is(over.json.status, 500);
  t.regex(over.json.message, /exceed object size/);
});

test('external spec: one unranged part, objectSize = the length argument', async (t) => {
  const { server, id, bytes } = await bamFixture(t);
  const { json: spec } = await getJson<ObjectSpecification>(`${server.url}/download/${id}?offset=0&length=-1&external=true`);
  t.is(spec.objectSize, -1);
  t.is(spec.objectMd5, md5(bytes));
  t.is(spec.parts.length, 1);
  const [part] = spec.parts;
  t.like(part, { partNumber: 1, partSize: -1, offset: 0, md5: null });
  t.is(new URL(part!.url!).searchParams.get('X-Amz-SignedHeaders'), 'host');
  const whole = await rawRequest(part!.url!);
  t.is(whole.status, 200);
  t.true(whole.body.equals(bytes));
  const some = await rawRequest(part!.url!, { headers: { range: 'bytes=100-199' } });
  t.is(some.status, 206);
  t.true(some.body.equals(bytes.subarray(100, 200)));
  const sized = await getJson<ObjectSpecification>(`${server.url}/download/${id}?offset=0&length=1000&external=true`);
  t.is(sized.json.objectSize, 1000);
});

test('exclude-urls: the same spec with url null in every part', async (t) => {
  const { server, id } = await bamFixture(t);
  const withUrls = await getJson<ObjectSpecification>(`${server.url}/download/${id}?offset=0&length=-1`);
  const without = await getJson<ObjectSpecification>(`${server.url}/download/${id}?offset=0&length=-1&exclude-urls=true`);
  t.is(without.status, 200);
  t.true(without.json.parts.every((p) => p.url === null));
  t.deepEqual(
    without.json.parts,
    withUrls.json.parts.map((p) => ({ ...p, url: null })),
  );
});

test('missing or mistyped offset/length → 400 Spring error; unknown id → 404', async (t) => {
  const { server, id } = await bamFixture(t);
  for (const q of ['', '?offset=0', '?length=-1', '?offset=abc&length=-1', '?offset=0&length=1.5', '?offset=0&length=-1&external=maybe']) {
    const r = await getJson(`${server.url}/download/${id}${q}`);
    t.is(r.status, 400, q);
    t.deepEqual(Object.keys(r.json).sort(), ['error', 'message', 'path', 'status', 'timestamp'], q);
    t.is(r.json.error, 'Bad Request');
    t.is(r.json.path, `/download/${id}`);
  }
  const unknown = await getJson(`${server.url}/download/00000000-0000-5000-8000-000000000000?offset=0&length=-1`);
  t.is(unknown.status, 404);
  t.regex(unknown.json.message, /is not registered/);
  const junk = await getJson(`${server.url}/download/not-a-uuid?offset=0&length=-1`);
  t.is(junk.status, 404);
});

test('ping, listing, profile and health', async (t) => {
  const { server, id, bytes } = await bamFixture(t);
  const ping = await rawRequest(`${server.url}/download/ping`);
  t.is(ping.status, 200);
  const sentinel = new URL(ping.body.toString());
  t.is(sentinel.searchParams.get('X-Amz-Expires'), '300');
  t.is((await rawRequest(sentinel.href)).status, 200);
  const listing = await getJson<{ id: string; lastModified: number; size: number }[]>(`${server.url}/listing`);
  t.is(listing.status, 200);
  const entry = listing.json.find((e) => e.id === id);
  t.is(entry?.size, bytes.length);
  t.true(Number.isInteger(entry?.lastModified) && entry!.lastModified > 1e12);
  t.is(listing.json.length, 10, 'the sample data holds 10 files (dotfiles are skipped)');
  t.is((await rawRequest(`${server.url}/profile`)).body.toString(), 's3');
  t.deepEqual((await getJson(`${server.url}/actuator/health`)).json, { status: 'UP' });
  t.is((await getJson(`${server.url}/no/such/route`)).status, 404);
});
