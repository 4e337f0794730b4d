// HttpClient's two transports for object bytes, over real HTTP: DirectHttp (plain http://, bodies read
// straight into their segments) and undici (what https:// object stores get). Both deliver the same
// bytes, segments and progress from `scorefs serve`; DirectHttp also holds up against what other
// servers send on the wire (chunked and close-delimited bodies, kept-alive connections closed under
// it, oversized answers, stalls), which a raw socket server here sends byte for byte.
import test, { type ExecutionContext } from 'ava';
import { readFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { ProtocolError, TransientError } from '../src/errors.js';
import { HttpClient } from '../src/score/http.js';
import { sampleData, SAMPLE } from './helpers/sample-data.js';
import { scoreClient } from './helpers/score-client.js';
import { startServer } from './helpers/server.js';

const TRANSPORTS = [
  ['DirectHttp', true],
  ['undici', false],
] as const;

function httpClient(t: ExecutionContext, direct: boolean, overrides: { connections?: number; stallTimeoutMs?: number } = {}): HttpClient {
  const client = new HttpClient({ connections: 4, stallTimeoutMs: 5000, direct, ...overrides });
  t.teardown(() => client.close());
  return client;
}

for (const [name, direct] of TRANSPORTS) {
  test(`${name}: ranges of an object come back as the source's bytes, in segments, with progress as they arrive`, async (t) => {
    const server = await startServer(t, { data: sampleData() });
    const score = scoreClient(t, server.url);
    const file = (await score.fetchCatalog()).files.find((f) => f.fileName === 'ex1.bam')!;
    const bytes = await readFile(path.join(sampleData(), SAMPLE.study, SAMPLE.bamAnalysis, 'ex1.bam'));
    const url = await score.urls.get(file);
    const http = httpClient(t, direct);
    for (const [offset, length, segmentBytes] of [
      [0, bytes.length, 65536],
      [1234, 100_000, 30_000],
      [bytes.length - 10, 10, 4],
      [5, 3, 8],
    ] as const) {
      const progress: number[] = [];
      const whole: number[] = [];
      const res = await http.getSegmented(url, {
        headers: { range: `bytes=${offset}-${offset + length - 1}` },
        maxBytes: length,
        segmentBytes,
        onProgress: (_s, _h, into, received) => progress.push(received, into.length),
        onSegment: (_s, _h, index, segment) => whole.push(index, segment.length),
      });
      t.is(res.status, 206);
      t.is(res.headers['content-range'], `bytes ${offset}-${offset + length - 1}/${bytes.length}`);
      t.true(Buffer.concat(res.segments).equals(bytes.subarray(offset, offset + length)));
      t.deepEqual(
        res.segments.map((s) => s.length),
        Array.from({ length: Math.ceil(length / segmentBytes) }, (_, i) => Math.min(segmentBytes, length - i * segmentBytes)),
      );
      // Each whole segment is told once, in order; a body within one segment is told of as it arrives.
      const fullSegments = Math.floor(length / segmentBytes);
      t.deepEqual(
        whole.filter((_, i) => i % 2 === 0),
        Array.from({ length: fullSegments }, (_, i) => i),
      );
      if (length < segmentBytes) {
        const received = progress.filter((_, i) => i % 2 === 0);
        t.is(received.at(-1), length);
        t.deepEqual(received, [...received].sort((a, b) => a - b));
        t.true(progress.filter((_, i) => i % 2 === 1).every((n) => n === length), 'into the one buffer of the body');
      }
    }
  });

  test(`${name}: an answer longer than allowed fails with ProtocolError; an error body is kept up to its limit`, async (t) => {
    const server = await rawServer(t, (req, socket) => {
      if (req.path === '/big') socket.write(`HTTP/1.1 200 OK\r\ncontent-length: 5000\r\n\r\n${'x'.repeat(5000)}`);
      else socket.write(`HTTP/1.1 403 Forbidden\r\ncontent-length: 3000\r\n\r\n${'e'.repeat(3000)}`);
    });
    const http = httpClient(t, direct);
    await t.throwsAsync(http.getSegmented(`${server.url}/big`, { maxBytes: 4000, segmentBytes: 1000 }), { instanceOf: ProtocolError, message: /larger response/ });
    const res = await http.getSegmented(`${server.url}/denied`, { maxBytes: 10, maxErrorBytes: 100, segmentBytes: 10 });
    t.is(res.status, 403);
    t.is(Buffer.concat(res.segments).toString(), 'e'.repeat(100));
  });

  test(`${name}: a body cut short or a stalled one fails with TransientError, never a hang`, async (t) => {
    const server = await rawServer(t, (req, socket) => {
      socket.write('HTTP/1.1 206 Partial Content\r\ncontent-length: 1000\r\n\r\n' + 'y'.repeat(400));
      if (req.path === '/cut') socket.end();
    });
    const http = httpClient(t, direct, { stallTimeoutMs: 300 });
    await t.throwsAsync(http.getSegmented(`${server.url}/cut`, { maxBytes: 1000, segmentBytes: 1000 }), { instanceOf: TransientError });
    const started = Date.now();
    await t.throwsAsync(http.getSegmented(`${server.url}/stall`, { maxBytes: 1000, segmentBytes: 1000 }), { instanceOf: TransientError, message: /stalled/ });
    t.true(Date.now() - started < 3000);
  });
}

test('DirectHttp reads chunked and close-delimited bodies, and reuses connections only where HTTP allows', async (t) => {
  const server = await rawServer(t, (req, socket) => {
    if (req.path === '/chunked') socket.write('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\n7;x=1\r\n, world\r\n0\r\nx-trailer: 1\r\n\r\n');
    else if (req.path === '/close') socket.end('HTTP/1.1 200 OK\r\n\r\nuntil the end');
    else socket.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok');
  });
  const http = httpClient(t, true);
  const text = async (p: string): Promise<string> => Buffer.concat((await http.getSegmented(`${server.url}${p}`, { maxBytes: 100, segmentBytes: 4 })).segments).toString();
  t.is(await text('/chunked'), 'hello, world');
  t.is(await text('/chunked'), 'hello, world');
  t.is(await text('/plain'), 'ok');
  t.is(server.connections(), 1, 'chunked and length-delimited answers leave the connection for the next GET');
  t.is(await text('/close'), 'until the end');
  t.is(await text('/plain'), 'ok');
  t.is(server.connections(), 2, 'a body that ends with its connection needs a new one');
});

test('DirectHttp sends a GET again on a new connection when a kept-alive one was closed under it', async (t) => {
  // The server answers each connection's first request only, then closes it unanswered: what a store
  // whose keep-alive timeout fires as the next request goes out does.
  const server = await rawServer(t, (req, socket) => {
    if (req.onConnection === 0) socket.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok');
    else socket.destroy();
  });
  const http = httpClient(t, true);
  for (let i = 0; i < 3; i++) {
    const res = await http.getSegmented(`${server.url}/x`, { maxBytes: 10, segmentBytes: 10 });
    t.is(Buffer.concat(res.segments).toString(), 'ok');
  }
  t.is(server.connections(), 3);
});

test('DirectHttp holds to its connection limit under many concurrent GETs, and refuses malformed answers', async (t) => {
  let open = 0;
  let peak = 0;
  const server = await rawServer(
    t,
    (req, socket) => {
      if (req.path === '/bad') return void socket.write('HTTP/2 200\r\n\r\n');
      setTimeout(() => socket.write(`HTTP/1.1 200 OK\r\ncontent-length: ${req.path.length}\r\n\r\n${req.path}`), 20);
    },
    (delta) => (peak = Math.max(peak, (open += delta))),
  );
  const http = httpClient(t, true, { connections: 3 });
  const paths = Array.from({ length: 12 }, (_, i) => `/p${i}`);
  const got = await Promise.all(paths.map(async (p) => Buffer.concat((await http.getSegmented(`${server.url}${p}`, { maxBytes: 100, segmentBytes: 100 })).segments).toString()));
  t.deepEqual(got, paths);
  t.is(peak, 3);
  await t.throwsAsync(http.getSegmented(`${server.url}/bad`, { maxBytes: 100, segmentBytes: 100 }), { instanceOf: ProtocolError, message: /status line/ });
});

interface RawRequest {
  path: string;
  /** How many requests came on this connection before this one. */
  onConnection: number;
}

/**
 * A TCP server on 127.0.0.1 that reads GET requests (heads only) and lets `answer` write whatever
 * bytes it likes; `connections()` counts the connections it accepted. Closed when the test ends.
 */
async function rawServer(
  t: ExecutionContext,
  answer: (req: RawRequest, socket: net.Socket) => void,
  onOpen?: (delta: 1 | -1) => void,
): Promise<{ url: string; connections: () => number }> {
  let accepted = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    accepted++;
    sockets.add(socket);
    onOpen?.(1);
    socket.on('close', () => (sockets.delete(socket), onOpen?.(-1)));
    socket.on('error', () => undefined);
    let pending = '';
    let served = 0;
    socket.on('data', (d: Buffer) => {
      pending += d.toString('latin1');
      for (let end = pending.indexOf('\r\n\r\n'); end >= 0; end = pending.indexOf('\r\n\r\n')) {
        const head = pending.slice(0, end);
        pending = pending.slice(end + 4);
        answer({ path: head.split(' ')[1]!, onConnection: served++ }, socket);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    for (const s of sockets) s.destroy();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`, connections: () => accepted };
}
