// Presigned object URLs: Range semantics (206/416/200/HEAD) compared with the source file, signed part
// ranges, expiry and tampering (403 with S3-style XML), and --object-base-url.
import test, { type ExecutionContext } from 'ava';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { md5 } from './helpers/md5.js';
import { sampleData, SAMPLE } from './helpers/sample-data.js';
import { startServer, type ServerOptions } from './helpers/server.js';
import { getJson, rawRequest } from './helpers/raw-http.js';
import type { ObjectSpecification } from '../src/score/types.js';

async function fixture(t: ExecutionContext, opts: Partial<ServerOptions> = {}) {
  const data = sampleData();
  const server = await startServer(t, { data, partSize: 50_000, ...opts });
  const page = await getJson(`${server.url}/entities?gnosId=${SAMPLE.bamAnalysis}&fileName=ex1.bam`);
  const id = page.json.content[0].id as string;
  const bytes = await readFile(path.join(data, SAMPLE.study, SAMPLE.bamAnalysis, 'ex1.bam'));
  const spec = async (q = 'offset=0&length=-1'): Promise<ObjectSpecification> =>
    (await getJson<ObjectSpecification>(`${server.url}/download/${id}?${q}`)).json;
  return { server, id, bytes, spec };
}

test('external URL: 200 whole body, 206 ranges (closed, open, suffix), 416 past the end, HEAD', async (t) => {
  const { bytes, spec } = await fixture(t);
  const url = (await spec('offset=0&length=-1&external=true')).parts[0]!.url!;
  const size = bytes.length;

  const whole = await rawRequest(url);
  t.is(whole.status, 200);
  t.is(whole.headers['content-length'], String(size));
  t.is(whole.headers['accept-ranges'], 'bytes');
  t.true(whole.body.equals(bytes));

  const cases: [string, number, number][] = [
    ['bytes=0-0', 0, 0],
    ['bytes=10-4095', 10, 4095],
    [`bytes=${size - 100}-`, size - 100, size - 1],
    [`bytes=${size - 10}-${size + 1000}`, size - 10, size - 1],
    ['bytes=-300', size - 300, size - 1],
  ];
  for (const [range, start, end] of cases) {
    const r = await rawRequest(url, { headers: { range } });
    t.is(r.status, 206, range);
    t.is(r.headers['content-range'], `bytes ${start}-${end}/${size}`, range);
    t.is(r.headers['content-length'], String(end - start + 1), range);
    t.true(r.body.equals(bytes.subarray(start, end + 1)), range);
  }

  for (const range of [`bytes=${size}-`, `bytes=${size + 5}-${size + 10}`]) {
    const r = await rawRequest(url, { headers: { range } });
    t.is(r.status, 416, range);
    t.is(r.headers['content-range'], `bytes */${size}`);
  }

  const head = await rawRequest(url, { method: 'HEAD' });
  t.is(head.status, 200);
  t.is(head.headers['content-length'], String(size));
  t.is(head.headers['accept-ranges'], 'bytes');
  t.is(head.headers.etag, `"${md5(bytes)}"`);
  t.is(head.body.length, 0);
});

test('a part URL serves only with exactly its signed Range', async (t) => {
  const { bytes, spec } = await fixture(t);
  const [p1, p2] = (await spec()).parts;
  const own = `bytes=${p2!.offset}-${p2!.offset + p2!.partSize - 1}`;
  const ok = await rawRequest(p2!.url!, { headers: { range: own } });
  t.is(ok.status, 206);
  t.true(ok.body.equals(bytes.subarray(p2!.offset, p2!.offset + p2!.partSize)));
  for (const headers of [{ range: `bytes=0-${p1!.partSize - 1}` }, { range: `bytes=${p2!.offset}-` }, {}]) {
    const r = await rawRequest(p2!.url!, { headers });
    t.is(r.status, 403, JSON.stringify(headers));
    t.regex(r.body.toString(), /<Error><Code>SignatureDoesNotMatch<\/Code>/);
  }
});

test('tampered URLs → 403 SignatureDoesNotMatch; missing parameters → 403 AccessDenied', async (t) => {
  const { server, spec } = await fixture(t);
  const url = new URL((await spec('offset=0&length=-1&external=true')).parts[0]!.url!);
  const other = (await getJson(`${server.url}/entities?fileName=ex1.bam.bai`)).json.content[0].id as string;
  const variants: [string, URL][] = [];
  const sig = new URL(url);
  sig.searchParams.set('X-Amz-Signature', '0'.repeat(64));
  variants.push(['signature', sig]);
  const longer = new URL(url);
  longer.searchParams.set('X-Amz-Expires', '999999');
  variants.push(['expires', longer]);
  const moved = new URL(url);
  moved.pathname = moved.pathname.replace(/[^/]+$/, other);
  variants.push(['object id', moved]);
  const date = new URL(url);
  date.searchParams.set('X-Amz-Date', '20991231T000000Z');
  variants.push(['date', date]);
  for (const [what, u] of variants) {
    const r = await rawRequest(u.href);
    t.is(r.status, 403, what);
    t.is(r.headers['content-type'], 'application/xml');
    t.regex(r.body.toString(), /<Code>SignatureDoesNotMatch<\/Code>/, what);
  }
  const bare = await rawRequest(`${url.origin}${url.pathname}`);
  t.is(bare.status, 403);
  t.regex(bare.body.toString(), /<Code>AccessDenied<\/Code>/);
});

test('URLs expire after --url-ttl: 403 AccessDenied "Request has expired"', async (t) => {
  const { spec } = await fixture(t, { urlTtl: 1 });
  const s = await spec('offset=0&length=-1&external=true');
  const url = s.parts[0]!.url!;
  t.is(new URL(url).searchParams.get('X-Amz-Expires'), '1');
  await sleep(2100);
  const r = await rawRequest(url);
  t.is(r.status, 403);
  t.regex(r.body.toString(), /<Error><Code>AccessDenied<\/Code><Message>Request has expired<\/Message>/);
  // A fresh spec gives a working URL again.
  const fresh = await spec('offset=0&length=-1&external=true');
  t.is((await rawRequest(fresh.parts[0]!.url!, { headers: { range: 'bytes=0-0' } })).status, 206);
});

test('--object-base-url hands out URLs on that origin at /<studyId>/<analysisId>/<fileName> with the signed query', async (t) => {
  const { spec } = await fixture(t, { extraArgs: ['--object-base-url', 'http://127.0.0.1:9/static'] });
  const s = await spec();
  for (const p of s.parts) {
    const u = new URL(p.url!);
    t.is(u.origin, 'http://127.0.0.1:9');
    t.is(u.pathname, `/static/${SAMPLE.study}/${SAMPLE.bamAnalysis}/ex1.bam`);
    t.is(u.searchParams.get('X-Amz-SignedHeaders'), 'host;range');
    t.truthy(u.searchParams.get('X-Amz-Date'));
    t.is(u.searchParams.get('X-Amz-Expires'), '86400');
  }
});
