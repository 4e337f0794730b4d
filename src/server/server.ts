// `scorefs serve`: a Score + SONG compatible HTTP server over DIR/<studyId>/<analysisId>/<fileName>.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { logger } from '../util/log.js';
import { INVALID_TOKEN_CHALLENGE, TokenStore, type Caller } from './auth.js';
import { ChecksumStore } from './checksums.js';
import type { Handler, ServerContext } from './context.js';
import { CONTROL_PATHS, handleControl } from './control-routes.js';
import { Dataset } from './dataset.js';
import { sendS3Error, sendSpringError, type Exchange } from './exchange.js';
import { FaultBoard, NO_FAULTS } from './faults.js';
import { Metrics } from './metrics.js';
import { addObjectRoutes } from './object-routes.js';
import { OBJECT_PATH_PREFIX, ObjectUrls } from './object-urls.js';
import { Router } from './router.js';
import { addScoreRoutes } from './score-routes.js';
import { addSongRoutes } from './song-routes.js';
import { UrlSigner } from './url-signer.js';

const log = logger('server');

export interface ServeOptions {
  data: string;
  host: string;
  port: number; // 0 = a free port
  tokensFile?: string;
  urlTtlSeconds: number;
  partSize: number;
  objectBaseUrl?: string;
  testControls: boolean;
}

export interface RunningScoreServer {
  /** http://HOST:PORT */
  url: string;
  close(): Promise<void>;
}

export async function startScoreServer(opts: ServeOptions): Promise<RunningScoreServer> {
  const faults = new FaultBoard();
  const signer = new UrlSigner();
  const ctx: ServerContext = {
    dataset: await Dataset.open(opts.data),
    checksums: new ChecksumStore(opts.partSize),
    signer,
    urls: new ObjectUrls(signer, opts.objectBaseUrl, () => faults.urlTtlSeconds() ?? opts.urlTtlSeconds),
    tokens: opts.tokensFile ? await TokenStore.fromFile(opts.tokensFile) : TokenStore.open(),
    faults,
    metrics: new Metrics(),
    partSize: opts.partSize,
    testControls: opts.testControls,
    origin: '',
  };
  const router = new Router<Handler>();
  addScoreRoutes(router);
  addSongRoutes(router);
  addObjectRoutes(router);

  // Connections that have carried a request: with latencyMs set, the first request on a connection also
  // pays the round trip of TCP's handshake, as a client far away does.
  const used = new WeakSet<Socket>();
  const server = createServer({ keepAlive: true }, (req, res) => {
    const opensConnection = !used.has(req.socket);
    used.add(req.socket);
    handle(ctx, router, req, res, opensConnection).catch((err: unknown) => {
      log.error({ err, path: req.url?.split('?')[0] }, 'request failed');
      if (!res.headersSent && !res.destroyed) res.writeHead(500, { 'content-length': 0 }).end();
      else res.destroy();
    });
  });
  server.on('clientError', (_err, socket) => socket.destroy());
  await listen(server, opts.port, opts.host);
  const { port } = server.address() as AddressInfo;
  const hostPart = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  ctx.origin = `http://${hostPart}:${port}`;
  return {
    url: ctx.origin,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

async function handle(ctx: ServerContext, router: Router<Handler>, req: IncomingMessage, res: ServerResponse, opensConnection: boolean): Promise<void> {
  const raw = req.url ?? '/';
  const q = raw.indexOf('?');
  const path = (q >= 0 ? raw.slice(0, q) : raw).replace(/\/+$/, '') || '/';
  const route = path.startsWith(OBJECT_PATH_PREFIX) ? 'object' : 'api';
  ctx.metrics.startRequest(route);
  res.once('close', () => ctx.metrics.countRequest(route, res.statusCode));
  const control = CONTROL_PATHS.has(path);
  // Object URLs are authorized by their signature alone; the control paths are ours.
  const caller: Caller = control || route === 'object' ? { kind: 'anonymous' } : ctx.tokens.identify(req);
  const ex: Exchange = { req, res, path, query: new URLSearchParams(q >= 0 ? raw.slice(q + 1) : ''), route, faults: NO_FAULTS, caller, metrics: ctx.metrics };
  if (!path.startsWith('/')) return sendSpringError(ex, 400, 'Bad request path');
  if (control) return handleControl(ctx, ex);
  if (caller.kind === 'invalid') {
    res.writeHead(401, { 'www-authenticate': INVALID_TOKEN_CHALLENGE, 'content-length': 0 }).end();
    return;
  }
  if (ctx.testControls) {
    ex.faults = ctx.faults.draw(route);
    if (ex.faults.latencyMs > 0) {
      await sleep(ex.faults.latencyMs * (opensConnection ? 2 : 1));
      if (res.destroyed) return;
    }
    if (ex.faults.stall?.at === 'before') {
      await sleep(ex.faults.stall.ms);
      if (res.destroyed) return;
    }
    if (ex.faults.error) {
      if (route === 'object') return sendS3Error(ex, 503, 'SlowDown', 'Please reduce your request rate.');
      return sendSpringError(ex, 503, 'Service temporarily unavailable (injected fault)');
    }
  }
  let match;
  try {
    match = router.match(path);
  } catch {
    return sendSpringError(ex, 400, 'Malformed percent-encoding in the request path');
  }
  if (!match) return sendSpringError(ex, 404, 'No message available');
  const method = req.method ?? 'GET';
  if (method !== 'GET' && method !== 'HEAD') return sendSpringError(ex, 405, `Request method '${method}' not supported`);
  await match.handler(ctx, ex, match.params);
}
