// ScoreRangeSource over real HTTP: random ranges equal the source bytes, also through injected faults,
// expiring URLs and a restarted server; a stopped server fails the read with Unavailable by its deadline.
import test, { type ExecutionContext } from 'ava';
import fc from 'fast-check';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { InvalidInput, NotFound, ProtocolError, TransientError, Unavailable } from '../src/errors.js';
import type { CatalogFile } from '../src/model.js';
import type { ScoreClient } from '../src/score/client.js';
import { checkRangeResponse } from '../src/score/range-source.js';
import { sampleData, SAMPLE } from './helpers/sample-data.js';
import { scoreClient } from './helpers/score-client.js';
import { startServer, type RunningServer } from './helpers/server.js';

interface Subject {
  file: CatalogFile;
  bytes: Buffer;
}

async function subjects(client: ScoreClient, names: [string, string][]): Promise<Subject[]> {
  const files = (await client.fetchCatalog()).files;
  return Promise.all(
    names.map(async ([analysisId, fileName]) => ({
      file: files.find((f) => f.analysisId === analysisId && f.fileName === fileName)!,
      bytes: await readFile(path.join(sampleData(), SAMPLE.study, analysisId, fileName)),
    })),
  );
}

const BAM: [string, string] = [SAMPLE.bamAnalysis, 'ex1.bam'];
const CRAM: [string, string] = [SAMPLE.cramAnalysis, 'ex1.cram'];
const FAI: [string, string] = [SAMPLE.refAnalysis, 'ex1.fa.fai'];

/** `runs` random ranges (some crossing or past EOF) of the subjects, each compared with the source. */
async function checkRandomRanges(client: ScoreClient, subs: Subject[], runs: number, seed: number): Promise<void> {
  await fc.assert(
    fc.asyncProperty(fc.nat({ max: subs.length - 1 }), fc.double({ min: 0, max: 1.05, noNaN: true }), fc.nat({ max: 70_000 }), async (i, at, length) => {
      const { file, bytes } = subs[i]!;
      const offset = Math.floor(at * file.size);
      const got = await client.source.fetchRange(file, offset, length);
      const want = bytes.subarray(Math.min(offset, bytes.length), Math.min(offset + length, bytes.length));
      return got.equals(want);
    }),
    { numRuns: runs, seed },
  );
}

async function setup(t: ExecutionContext, overrides = {}): Promise<{ server: RunningServer; client: ScoreClient; subs: Subject[] }> {
  const server = await startServer(t, { data: sampleData() });
  const client = scoreClient(t, server.url, overrides);
  return { server, client, subs: await subjects(client, [BAM, CRAM, FAI]) };
}

test('random ranges equal the source bytes, clamped at EOF', async (t) => {
  const { client, subs } = await setup(t);
  await checkRandomRanges(client, subs, 150, 42);
  const [bam] = subs;
  t.true(bam!.bytes.equals(await client.source.fetchRange(bam!.file, 0, bam!.file.size + 1000)));
  t.is((await client.source.fetchRange(bam!.file, bam!.file.size, 10)).length, 0);
  t.is((await client.source.fetchRange(bam!.file, 5, 0)).length, 0);
  await t.throwsAsync(client.source.fetchRange(bam!.file, -1, 10), { instanceOf: InvalidInput });
  const s = client.source.stats();
  t.true(s.requests > 100); // ranges at or past EOF send no request
  t.is(s.errors, 0);
  t.is(s.retries, 0);
  t.true(s.bytesFetched > 0);
});

for (const [name, faults] of [
  ['503 errors', { errorRate: 0.3 }],
  ['connection resets', { resetRate: 0.3 }],
  ['truncated bodies', { truncateRate: 0.3 }],
  ['stalls', { stallRate: 0.3, stallMs: 3000 }],
] as const) {
  test(`reads stay byte-exact through ${name} on the object route`, async (t) => {
    const { server, client, subs } = await setup(t, { stallTimeoutMs: 300 });
    await server.setFaults({ route: 'object', ...faults });
    await checkRandomRanges(client, subs, 40, 7);
    const s = client.source.stats();
    t.true(s.retries > 0, `retries: ${s.retries}`);
    t.is(s.errors, 0);
  });
}

test('reads stay byte-exact through faults on the API route too (URL fetches)', async (t) => {
  const { server, client, subs } = await setup(t, { stallTimeoutMs: 300 });
  await server.setFaults({ route: 'all', errorRate: 0.2, resetRate: 0.1, urlTtlSeconds: 1 });
  for (let i = 0; i < 4; i++) {
    await checkRandomRanges(client, subs, 10, 100 + i);
    await sleep(1100); // every round needs fresh URLs, fetched through the faulty API
  }
  t.true(client.source.stats().refreshes >= 3);
});

test('an expired URL is refreshed and reads continue', async (t) => {
  const { server, client, subs } = await setup(t);
  await server.setFaults({ urlTtlSeconds: 2 });
  const [bam] = subs;
  t.true((await client.source.fetchRange(bam!.file, 1000, 5000)).equals(bam!.bytes.subarray(1000, 6000)));
  t.is(client.source.stats().refreshes, 0);
  await sleep(3000);
  t.true((await client.source.fetchRange(bam!.file, 2000, 5000)).equals(bam!.bytes.subarray(2000, 7000)));
  t.true(client.source.stats().refreshes >= 1);
});

test('a URL the object store refuses (403: server restarted with a new signing key) is refreshed once', async (t) => {
  const { server, client, subs } = await setup(t);
  const [bam] = subs;
  t.true((await client.source.fetchRange(bam!.file, 0, 100)).equals(bam!.bytes.subarray(0, 100)));
  await server.stop();
  await startServer(t, { data: sampleData(), port: server.port });
  t.true((await client.source.fetchRange(bam!.file, 100, 100)).equals(bam!.bytes.subarray(100, 200)));
  const s = client.source.stats();
  t.is(s.refreshes, 1);
  t.is(s.errors, 0);
});

test('many concurrent reads of one object fetch its URL once', async (t) => {
  const { server, client, subs } = await setup(t);
  const [bam] = subs;
  const before = await server.apiRequestsAnswered();
  const reads = await Promise.all(Array.from({ length: 32 }, (_, i) => client.source.fetchRange(bam!.file, i * 1000, 1000)));
  reads.forEach((r, i) => t.true(r.equals(bam!.bytes.subarray(i * 1000, i * 1000 + 1000))));
  // One URL fetch, plus the first metrics scrape (counted when its socket closes, so maybe not yet).
  const apiRequests = (await server.apiRequestsAnswered()) - before;
  t.true(apiRequests >= 1 && apiRequests <= 2, `API requests: ${apiRequests}`);
});

test('a stopped server fails the read with Unavailable by the deadline, not a hang', async (t) => {
  t.timeout(60_000);
  const { server, client, subs } = await setup(t);
  const [bam] = subs;
  await client.source.fetchRange(bam!.file, 0, 10); // the URL is cached: reads now go to the object store
  await server.stop();
  const err = await t.throwsAsync(client.source.fetchRange(bam!.file, 0, 10, { deadline: Date.now() + 2000 }), { instanceOf: Unavailable });
  t.regex(err!.message, /reading object .* failed: network error/);
  t.false(/X-Amz-Signature/i.test(err!.message));
  const s = client.source.stats();
  t.true(s.retries > 0);
  t.is(s.errors, 1);
});

test('an abort signal ends a read at once with its reason', async (t) => {
  const { server, client, subs } = await setup(t);
  await server.setFaults({ route: 'object', stallRate: 1, stallMs: 10_000 });
  const [bam] = subs;
  const ctl = new AbortController();
  const reason = new Error('closed by the reader');
  setTimeout(() => ctl.abort(reason), 200);
  const err = await t.throwsAsync(client.source.fetchRange(bam!.file, 0, 10_000, { signal: ctl.signal }));
  t.is(err, reason);
});

test('responses that are not exactly the requested range are never returned', (t) => {
  const obj = { id: 'obj-1', size: 100, md5: null, lastModified: 0 };
  const body = (n: number): Buffer => Buffer.alloc(n, 7);
  const res = (status: number, contentRange: string | undefined, b: Buffer) => ({
    status,
    headers: contentRange ? { 'content-range': contentRange } : {},
    segments: b.length > 0 ? [b] : [],
    length: b.length,
  });
  const check = (r: ReturnType<typeof res>, from: number, to: number, segmentBytes = 1000) => checkRangeResponse(r, obj, from, to, segmentBytes);
  t.is(Buffer.concat(check(res(206, 'bytes 10-19/100', body(10)), 10, 20)).length, 10);
  const whole = Buffer.from(Array.from({ length: 100 }, (_, i) => i));
  t.deepEqual(check(res(200, undefined, whole), 10, 13).map((b) => [...b]), [[10, 11, 12]]);
  t.deepEqual(check(res(200, undefined, whole), 10, 15, 2).map((b) => [...b]), [[10, 11], [12, 13], [14]], 'a whole body is cut into the asked segments');

  t.throws(() => check(res(206, undefined, body(10)), 10, 20), { instanceOf: ProtocolError });
  t.throws(() => check(res(206, 'bytes 0-9/100', body(10)), 10, 20), { instanceOf: ProtocolError });
  t.throws(() => check(res(206, 'bytes 10-20/100', body(10)), 10, 20), { instanceOf: ProtocolError });
  t.throws(() => check(res(206, 'bytes 10-19/101', body(10)), 10, 20), { instanceOf: ProtocolError, message: /101 bytes/ });
  t.throws(() => check(res(206, 'bytes 10-19/*', body(10)), 10, 20), { instanceOf: ProtocolError });
  t.throws(() => check(res(206, 'bytes 10-19/100', body(9)), 10, 20), { instanceOf: TransientError });
  t.throws(() => check(res(200, undefined, body(99)), 10, 20), { instanceOf: TransientError });
  t.throws(() => check(res(416, 'bytes */90', body(0)), 10, 20), { instanceOf: ProtocolError });
  t.throws(() => check(res(404, undefined, body(0)), 10, 20), { instanceOf: NotFound });
  for (const status of [400, 429, 500, 503]) t.throws(() => check(res(status, undefined, body(0)), 10, 20), { instanceOf: TransientError });
  t.throws(() => check(res(302, undefined, body(0)), 10, 20), { instanceOf: ProtocolError });
});
