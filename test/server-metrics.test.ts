// GET /-/metrics: requests by route and status, object body bytes as they reached the socket, and per
// request its latency and body size.
import test from 'ava';
import { sampleData, SAMPLE } from './helpers/sample-data.js';
import { startServer } from './helpers/server.js';
import { getJson, rawRequest } from './helpers/raw-http.js';

function counter(text: string, name: string, labels: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}}`));
  return line ? Number(line.split(' ').pop()) : 0;
}

test('object bytes and requests are counted by route and status', async (t) => {
  const server = await startServer(t, { data: sampleData() });
  const id = (await getJson(`${server.url}/entities?gnosId=${SAMPLE.bamAnalysis}&fileName=ex1.bam`)).json.content[0].id as string;
  const url = (await getJson(`${server.url}/download/${id}?offset=0&length=-1&external=true`)).json.parts[0].url as string;
  const before = await server.objectBytesSent();
  t.is(before, 0);
  const whole = await rawRequest(url);
  const part = await rawRequest(url, { headers: { range: 'bytes=1000-1999' } });
  const denied = await rawRequest(url.replace(/X-Amz-Signature=[0-9a-f]+/, 'X-Amz-Signature=' + 'f'.repeat(64)));
  t.is(denied.status, 403);
  t.is(await server.objectBytesSent(), whole.body.length + part.body.length, 'only object data counts, error bodies do not');

  const text = await server.metricsText();
  t.regex(text, /# TYPE scorefs_server_requests_total counter/);
  t.is(counter(text, 'scorefs_server_requests_total', 'route="object",status="200"'), 1);
  t.is(counter(text, 'scorefs_server_requests_total', 'route="object",status="206"'), 1);
  t.is(counter(text, 'scorefs_server_requests_total', 'route="object",status="403"'), 1);
  t.true(counter(text, 'scorefs_server_requests_total', 'route="api",status="200"') >= 2);
  t.true(counter(text, 'scorefs_server_bytes_sent_total', 'route="api"') > 0);

  // Every request is in the histograms; a request's body size is what its client received, error bodies included.
  t.regex(text, /# TYPE scorefs_server_request_duration_seconds histogram/);
  t.is(counter(text, 'scorefs_server_request_duration_seconds_count', 'route="object"'), 3);
  t.is(counter(text, 'scorefs_server_request_duration_seconds_bucket', 'le="+Inf",route="object"'), 3);
  t.true(counter(text, 'scorefs_server_request_duration_seconds_count', 'route="api"') >= 2);
  t.is(counter(text, 'scorefs_server_response_bytes_count', 'route="object"'), 3);
  t.is(counter(text, 'scorefs_server_response_bytes_sum', 'route="object"'), whole.body.length + part.body.length + denied.body.length);

  // A truncated body counts what was sent, not what was announced.
  await server.setFaults({ route: 'object', truncateRate: 1 });
  const cut = await rawRequest(url);
  t.false(cut.complete);
  t.is(await server.objectBytesSent(), whole.body.length + part.body.length + cut.body.length);
});
