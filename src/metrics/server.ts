// `--metrics-port`: a tiny HTTP server on 127.0.0.1 that answers GET /metrics with the mount's
// Prometheus text, rendered fresh on every scrape.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { logger } from '../util/log.js';
import type { MountMetrics } from './mount-metrics.js';

const log = logger('metrics');

export interface MetricsServer {
  /** e.g. http://127.0.0.1:9464 */
  url: string;
  port: number;
  close(): Promise<void>;
}

export interface MetricsServerOptions {
  /** Default 127.0.0.1: counters are no one else's business. */
  host?: string;
}

/** Listens on host:port (0 = a free port) and resolves once it does. */
export async function startMetricsServer(
  port: number,
  metrics: Pick<MountMetrics, 'render' | 'contentType'>,
  opts: MetricsServerOptions = {},
): Promise<MetricsServer> {
  const host = opts.host ?? '127.0.0.1';
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if ((req.method !== 'GET' && req.method !== 'HEAD') || (path !== '/metrics' && path !== '/')) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: GET /metrics\n');
      return;
    }
    metrics
      .render()
      .then((body) => {
        res.writeHead(200, { 'content-type': metrics.contentType, 'content-length': Buffer.byteLength(body) });
        res.end(req.method === 'HEAD' ? undefined : body);
      })
      .catch((err: unknown) => {
        log.warn({ err: err instanceof Error ? err.message : String(err) }, 'metrics scrape failed');
        res.writeHead(500, { 'content-type': 'text/plain' }).end('stats unavailable\n');
      });
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    const failed = (err: NodeJS.ErrnoException): void => {
      const why = err.code === 'EADDRINUSE' ? 'the port is in use by another program (EADDRINUSE): pick another --metrics-port' : (err.code ?? err.message);
      reject(new Error(`cannot serve metrics on ${host}:${port}: ${why}`, { cause: err }));
    };
    server.once('error', failed);
    server.listen(port, host, () => {
      server.off('error', failed);
      resolve();
    });
  });
  const bound = (server.address() as AddressInfo).port;
  return {
    url: `http://${host}:${bound}`,
    port: bound,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
