// A plain node:http client for tests that must see exactly what a server sent: status, headers and
// the body bytes, including bodies cut short by a reset or an early EOF.
import http from 'node:http';

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  /** False if the connection ended before Content-Length bytes arrived (truncated or reset). */
  complete: boolean;
  /** The socket error code of an aborted body, e.g. ECONNRESET. */
  error?: string;
}

export function rawRequest(
  url: string,
  opts: { method?: string; headers?: http.OutgoingHttpHeaders; body?: string; timeoutMs?: number } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: opts.method ?? 'GET', headers: opts.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      let settled = false;
      const finish = (complete: boolean, error?: string): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), complete, error });
      };
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => finish(res.complete));
      res.on('aborted', () => finish(false, 'aborted'));
      res.on('error', (err: NodeJS.ErrnoException) => finish(false, err.code ?? err.message));
      res.on('close', () => finish(res.complete));
    });
    const timer = setTimeout(() => req.destroy(new Error(`no complete answer from ${new URL(url).pathname} in time`)), opts.timeoutMs ?? 30_000);
    req.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    req.end(opts.body);
  });
}

export async function getJson<T = any>(url: string, headers?: http.OutgoingHttpHeaders): Promise<{ status: number; json: T; headers: http.IncomingHttpHeaders }> {
  const r = await rawRequest(url, { headers });
  return { status: r.status, json: JSON.parse(r.body.toString('utf8')) as T, headers: r.headers };
}
