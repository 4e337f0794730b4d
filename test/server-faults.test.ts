// The fault switchboard (--enable-test-controls): 503s, truncated and reset bodies, stalls, throttling,
// latency, URL lifetime, validation, DELETE, and 404 without the flag.
import test, { type ExecutionContext } from 'ava';
import http from 'node:http';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { sampleData, SAMPLE } from './helpers/sample-data.js';
import { startServer, type ServerOptions } from './helpers/server.js';
import { getJson, rawRequest } from './helpers/raw-http.js';

async function fixture(t: ExecutionContext, opts: Partial<ServerOptions> = {}) {
  const data = sampleData();
  const server = await startServer(t, { data, ...opts });
  const id = (await getJson(`${server.url}/entities?gnosId=${SAMPLE.bamAnalysis}&fileName=ex1.bam`)).json.content[0].id as string;
  const bytes = await readFile(path.join(data, SAMPLE.study, SAMPLE.bamAnalysis, 'ex1.bam'));
  const externalUrl = async (): Promise<string> => (await getJson(`${server.url}/download/${id}?offset=0&length=-1&external=true`)).json.parts[0].url;
  return { server, id, bytes, externalUrl };
}

/** GET through AGENT (a new connection without one): ms until the headers arrived, the body, and whether a kept-alive connection carried it. */
function timedGet(url: string, agent: http.Agent | false): Promise<{ headersMs: number; body: Buffer; reusedSocket: boolean }> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent }, (res) => {
      const headersMs = Date.now() - started;
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ headersMs, body: Buffer.concat(chunks), reusedSocket: req.reusedSocket }));
      res.on('error', reject);
    });
    req.setTimeout(30_000, () => req.destroy(new Error(`no answer from ${new URL(url).pathname} in 30 s`)));
    req.on('error', reject);
  });
}

const postFaults = (url: string, body: string) => rawRequest(`${url}/-/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });

test('errorRate 1 answers 503 on its route only; DELETE clears it', async (t) => {
  const { server, id, externalUrl } = await fixture(t);
  const url = await externalUrl();
  await server.setFaults({ route: 'object', errorRate: 1 });
  const obj = await rawRequest(url);
  t.is(obj.status, 503);
  t.regex(obj.body.toString(), /<Error><Code>SlowDown<\/Code>/);
  t.is((await rawRequest(`${server.url}/download/${id}?offset=0&length=-1`)).status, 200, 'api untouched');

  await server.setFaults({ route: 'api', errorRate: 1 });
  const api = await getJson(`${server.url}/entities`);
  t.is(api.status, 503);
  t.like(api.json, { status: 503, error: 'Service Unavailable' });
  t.like((await getJson(`${server.url}/-/faults`)).json, { object: { errorRate: 1 }, api: { errorRate: 1 } });

  await server.clearFaults();
  t.like((await getJson(`${server.url}/-/faults`)).json, { object: { errorRate: 0 }, api: { errorRate: 0 }, urlTtlSeconds: null });
  t.is((await rawRequest(url)).status, 200);
  t.is((await rawRequest(`${server.url}/entities`)).status, 200);
});

test('truncateRate 1: the body stops short of its Content-Length; resetRate 1: the connection is reset mid-body', async (t) => {
  const { server, bytes, externalUrl } = await fixture(t);
  const url = await externalUrl();
  await server.setFaults({ route: 'object', truncateRate: 1 });
  for (let i = 0; i < 3; i++) {
    const r = await rawRequest(url);
    t.is(r.status, 200);
    t.is(r.headers['content-length'], String(bytes.length), 'Content-Length is kept');
    t.false(r.complete);
    t.true(r.body.length < bytes.length);
    t.true(r.body.equals(bytes.subarray(0, r.body.length)), 'what arrives is the right prefix');
  }
  await server.setFaults({ route: 'object', truncateRate: 0, resetRate: 1 });
  for (let i = 0; i < 3; i++) {
    const r = await rawRequest(url).catch((err: NodeJS.ErrnoException) => ({ complete: false, body: Buffer.alloc(0), error: err.code }));
    t.false(r.complete);
    t.true(r.body.length < bytes.length);
  }
  // api bodies too
  await server.setFaults({ route: 'api', truncateRate: 1 });
  const api = await rawRequest(`${server.url}/entities?size=100`);
  t.false(api.complete);
  t.true(api.body.length < Number(api.headers['content-length']));
});

test('stalls and throttling delay object bodies but deliver every byte', async (t) => {
  const { server, bytes, externalUrl } = await fixture(t);
  const url = await externalUrl();
  await server.setFaults({ route: 'object', stallRate: 1, stallMs: 1500 });
  let started = Date.now();
  let r = await rawRequest(url);
  t.true(r.complete);
  t.true(r.body.equals(bytes));
  t.true(Date.now() - started >= 1400, 'a stall of 1.5 s delays the response by at least that');

  await server.setFaults({ route: 'object', stallRate: 0, bytesPerSecond: 100_000 });
  started = Date.now();
  r = await rawRequest(url);
  t.true(r.complete);
  t.true(r.body.equals(bytes));
  // Lower bound only: 124,754 bytes at 100 kB/s cannot arrive in much under a second.
  t.true(Date.now() - started >= 700, `throttled body took ${Date.now() - started} ms`);
});

test('latencyMs holds back the headers of every response on its route; a request that opens a connection waits a round trip more', async (t) => {
  const { server, bytes, externalUrl } = await fixture(t);
  const url = await externalUrl();
  await server.setFaults({ route: 'object', latencyMs: 500 });
  t.like((await getJson(`${server.url}/-/faults`)).json, { object: { latencyMs: 500 }, api: { latencyMs: 0 } });
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  t.teardown(() => agent.destroy());
  // Lower bounds only (timers may fire a little early, a busy machine only makes it later).
  const opening = await timedGet(url, agent);
  t.false(opening.reusedSocket);
  t.true(opening.headersMs >= 900, `headers of the request that opened the connection after ${opening.headersMs} ms`);
  t.true(opening.body.equals(bytes));
  const kept = await timedGet(url, agent);
  t.true(kept.reusedSocket, 'the second request went over the kept-alive connection');
  t.true(kept.headersMs >= 450, `headers of a request on the open connection after ${kept.headersMs} ms`);
  t.true(kept.body.equals(bytes));

  await server.setFaults({ route: 'all', latencyMs: 300 });
  const api = await timedGet(`${server.url}/entities`, false);
  t.true(JSON.parse(api.body.toString()).totalElements > 0, 'the api answer is complete');
  t.true(api.headersMs >= 550, `api headers after ${api.headersMs} ms`);
  await server.setFaults({ latencyMs: 0 });
  t.like((await getJson(`${server.url}/-/faults`)).json, { object: { latencyMs: 0 }, api: { latencyMs: 0 } });
});

test('urlTtlSeconds shortens URLs handed out from now on', async (t) => {
  const { server, externalUrl } = await fixture(t);
  t.is(new URL(await externalUrl()).searchParams.get('X-Amz-Expires'), '86400');
  await server.setFaults({ urlTtlSeconds: 5 });
  t.is(new URL(await externalUrl()).searchParams.get('X-Amz-Expires'), '5');
  await server.setFaults({ urlTtlSeconds: null });
  t.is(new URL(await externalUrl()).searchParams.get('X-Amz-Expires'), '86400');
});

test('invalid fault settings are refused with 400 and change nothing', async (t) => {
  const { server } = await fixture(t);
  for (const body of ['{"nope": 1}', '{"errorRate": 2}', '{"errorRate": "0.5"}', '{"route": "disk"}', '{"stallMs": -1}', '{"bytesPerSecond": 0}', '{"latencyMs": -1}', '{"latencyMs": 1.5}', '{"latencyMs": "60"}', 'not json', '[1]']) {
    t.is((await postFaults(server.url, body)).status, 400, body);
  }
  t.like((await getJson(`${server.url}/-/faults`)).json, { object: { errorRate: 0, stallMs: 0, bytesPerSecond: null, latencyMs: 0 }, api: { errorRate: 0, latencyMs: 0 } });
});

test('without --enable-test-controls /-/faults is 404 and nothing is injected', async (t) => {
  const { server } = await fixture(t, { testControls: false });
  t.is((await rawRequest(`${server.url}/-/faults`)).status, 404);
  t.is((await postFaults(server.url, '{"errorRate": 1}')).status, 404);
  t.is((await rawRequest(`${server.url}/-/faults`, { method: 'DELETE' })).status, 404);
  t.is((await rawRequest(`${server.url}/entities`)).status, 200);
});
