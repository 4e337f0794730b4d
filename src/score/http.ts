// The one HTTP client of the Score layer: an undici Agent with keep-alive, a bounded number of
// connections per origin and a stall timeout. It knows nothing of tokens: callers add headers.
import type { IncomingHttpHeaders } from 'node:http';
import { Agent, errors as undiciErrors } from 'undici';
import { ProtocolError, TransientError } from '../errors.js';
import { redact } from '../util/log.js';

export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface HttpGetOptions {
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** The body is cut off (connection dropped) and the call fails past this many bytes. */
  maxBytes: number;
  /** Bytes kept of an error (non-2xx) body, which is otherwise discarded. */
  maxErrorBytes?: number;
}

export class HttpClient {
  private readonly agent: Agent;

  constructor(opts: { connections: number; stallTimeoutMs: number }) {
    this.agent = new Agent({
      connections: opts.connections,
      pipelining: 1,
      keepAliveTimeout: 30_000,
      headersTimeout: opts.stallTimeoutMs,
      bodyTimeout: opts.stallTimeoutMs,
      connectTimeout: Math.min(10_000, opts.stallTimeoutMs),
    });
  }

  /**
   * GET `url`, reading the whole body into memory. Network failures, stalls and bodies cut short
   * become TransientError; an abort rethrows the signal's reason. Messages name the origin only:
   * a URL may carry a signature.
   */
  async get(url: string, opts: HttpGetOptions): Promise<HttpResponse> {
    const target = new URL(url);
    const where = target.origin;
    let res;
    try {
      res = await this.agent.request({
        origin: target.origin,
        path: `${target.pathname}${target.search}`,
        method: 'GET',
        headers: opts.headers,
        signal: opts.signal,
      });
    } catch (err) {
      throw asTransportError(err, where, opts.signal);
    }
    const ok = res.statusCode >= 200 && res.statusCode < 300;
    const limit = ok ? opts.maxBytes : (opts.maxErrorBytes ?? 64 * 1024);
    const chunks: Buffer[] = [];
    let received = 0;
    try {
      for await (const chunk of res.body as AsyncIterable<Buffer>) {
        received += chunk.length;
        if (received > limit) {
          res.body.destroy();
          if (ok) throw new ProtocolError(`${where} sent a larger response than expected (over ${limit} bytes)`);
          break; // an error body is only informative: keep its head
        }
        chunks.push(chunk);
      }
    } catch (err) {
      if (err instanceof ProtocolError) throw err;
      throw asTransportError(err, where, opts.signal);
    }
    return { status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) };
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}

/** A failure of the transport itself (not an HTTP status): retryable unless the caller aborted. */
function asTransportError(err: unknown, where: string, signal: AbortSignal | undefined): unknown {
  if (signal?.aborted) return signal.reason ?? err;
  if (err instanceof undiciErrors.HeadersTimeoutError || err instanceof undiciErrors.BodyTimeoutError) {
    return new TransientError(`${where} stalled (no data within the stall timeout)`, undefined, { cause: err });
  }
  if (err instanceof undiciErrors.ResponseContentLengthMismatchError) {
    return new TransientError(`${where} cut the response short`, undefined, { cause: err });
  }
  const code = (err as { code?: unknown }).code;
  const what = typeof code === 'string' ? code : err instanceof Error ? err.message : String(err);
  return new TransientError(`network error talking to ${where}: ${redact(what)}`, undefined, { cause: err });
}

/** The first value of a response header. */
export function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}
