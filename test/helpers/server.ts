// Starts `scorefs serve` as a child process on a free loopback port and stops it when the test ends.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import type { ExecutionContext } from 'ava';
import { checkoutScorefs } from './paths.js';

export interface ServerOptions {
  data: string;
  /** Path of a JSON file token → scopes (`--tokens`). */
  tokens?: string;
  urlTtl?: number;
  partSize?: number;
  testControls?: boolean; // default true in tests
  /** Fixed port, e.g. to restart a server on the same origin. */
  port?: number;
  extraArgs?: string[];
  /** The command that runs scorefs; default this checkout's. */
  scorefs?: readonly string[];
}

export interface RunningServer {
  /** Base URL, e.g. http://127.0.0.1:40123 — both STORAGE_URL and METADATA_URL. */
  url: string;
  port: number;
  child: ChildProcess;
  /** POST /-/faults with a partial fault configuration. */
  setFaults(faults: Record<string, unknown>): Promise<void>;
  clearFaults(): Promise<void>;
  /** Prometheus text of GET /-/metrics. */
  metricsText(): Promise<string>;
  /** Sum of scorefs_server_bytes_sent_total{route="object"}. */
  objectBytesSent(): Promise<number>;
  /** Sum of scorefs_server_requests_total{route="api"}: API requests answered (a scrape counts itself once answered). */
  apiRequestsAnswered(): Promise<number>;
  /** Everything the server wrote to stderr (its log) so far. */
  stderr(): string;
  stop(): Promise<void>;
}

export async function startServer(t: ExecutionContext | undefined, opts: ServerOptions): Promise<RunningServer> {
  const args = ['serve', '--data', opts.data, '--host', '127.0.0.1', '--port', String(opts.port ?? 0)];
  if (opts.tokens) args.push('--tokens', opts.tokens);
  if (opts.urlTtl !== undefined) args.push('--url-ttl', String(opts.urlTtl));
  if (opts.partSize !== undefined) args.push('--part-size', String(opts.partSize));
  if (opts.testControls !== false) args.push('--enable-test-controls');
  args.push(...(opts.extraArgs ?? []));
  const [cmd, ...pre] = opts.scorefs ?? checkoutScorefs;
  const child = spawn(cmd!, [...pre, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  // A test process that dies without its teardowns (an uncaught exception) takes its server along.
  const killOnExit = (): void => void child.kill('SIGKILL');
  process.once('exit', killOnExit);
  child.once('exit', () => process.off('exit', killOnExit));
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`scorefs serve did not start in 20 s: ${stderr}`)), 20_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/[^\s]+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!.replace(/\/$/, ''));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`scorefs serve exited with ${code}: ${stderr}`));
    });
  });
  child.stdout!.resume();
  let stopped = false;
  const server: RunningServer = {
    url,
    port: Number(new URL(url).port),
    child,
    async setFaults(faults) {
      const r = await fetch(`${url}/-/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(faults) });
      if (!r.ok) throw new Error(`POST /-/faults: ${r.status}`);
    },
    async clearFaults() {
      const r = await fetch(`${url}/-/faults`, { method: 'DELETE' });
      if (!r.ok) throw new Error(`DELETE /-/faults: ${r.status}`);
    },
    async metricsText() {
      const r = await fetch(`${url}/-/metrics`);
      return r.text();
    },
    objectBytesSent: async () => routeSum(await server.metricsText(), 'scorefs_server_bytes_sent_total', 'object'),
    apiRequestsAnswered: async () => routeSum(await server.metricsText(), 'scorefs_server_requests_total', 'api'),
    stderr: () => stderr,
    async stop() {
      if (stopped) return;
      stopped = true;
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await once(child, 'exit');
      clearTimeout(timer);
    },
  };
  t?.teardown(() => server.stop());
  return server;
}

/** Sum of a counter's samples for one route in Prometheus text. */
function routeSum(text: string, metric: string, route: 'api' | 'object'): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith(metric) && line.includes(`route="${route}"`)) sum += Number(line.split(/\s+/).pop());
  }
  return sum;
}

/** API requests the server answered, less this counter's own earlier scrapes (each is counted once answered). */
export function apiRequestCounter(server: RunningServer): () => Promise<number> {
  const traffic = trafficCounter(server);
  return async () => (await traffic()).apiRequests;
}

/** API requests answered (less this counter's own earlier scrapes) and object bytes sent, from one scrape. */
export function trafficCounter(server: RunningServer): () => Promise<{ apiRequests: number; objectBytes: number }> {
  let scrapes = 0;
  return async () => {
    const text = await server.metricsText();
    return { apiRequests: routeSum(text, 'scorefs_server_requests_total', 'api') - scrapes++, objectBytes: routeSum(text, 'scorefs_server_bytes_sent_total', 'object') };
  };
}
