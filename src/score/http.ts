// The one HTTP client of the Score layer: keep-alive, a bounded number of connections per origin and a
// stall timeout, over undici, or for object bytes on plain http:// over DirectHttp (which reads bodies
// straight into their segments). It knows nothing of tokens: callers add headers.
import type { IncomingHttpHeaders } from 'node:http';
import { Agent, errors as undiciErrors, type Dispatcher } from 'undici';
import { ProtocolError, TransientError, Unavailable } from '../errors.js';
import { redact } from '../util/log.js';
import { DirectHttp } from './direct-http.js';
import { ResponseBody, type BodyOptions, type SegmentedResponse } from './response-body.js';
import { TlsMismatchCheck } from './tls-mismatch.js';

export type { BodyProgress, SegmentDone, SegmentedResponse } from './response-body.js';

export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface HttpGetOptions extends Pick<BodyOptions, 'maxBytes' | 'maxErrorBytes'> {
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

export interface SegmentedGetOptions extends HttpGetOptions, BodyOptions {}

export class HttpClient {
  private readonly agent: Agent;
  private readonly tls = new TlsMismatchCheck();
  private readonly direct: DirectHttp | undefined;

  /** `direct`: plain-http:// GETs go through DirectHttp (bodies read straight into their segments). */
  constructor(opts: { connections: number; stallTimeoutMs: number; direct?: boolean }) {
    this.direct = opts.direct ? new DirectHttp(opts) : undefined;
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
    const res = await this.getSegmented(url, { ...opts, segmentBytes: Number.MAX_SAFE_INTEGER });
    return { status: res.status, headers: res.headers, body: res.segments.length === 1 ? res.segments[0]! : Buffer.concat(res.segments) };
  }

  /**
   * GET `url` with a 2xx body delivered in buffers of `segmentBytes` (the last one shorter), each
   * filled straight from the socket's chunks: no whole-body buffer, no second copy.
   */
  async getSegmented(url: string, opts: SegmentedGetOptions): Promise<SegmentedResponse> {
    const target = new URL(url);
    try {
      if (this.direct && target.protocol === 'http:') return await this.direct.get(target, opts);
      return await this.dispatch(target, opts);
    } catch (err) {
      if (err instanceof ProtocolError) throw err;
      throw (await this.tls.explain(err, target)) ?? asTransportError(err, target.origin, opts.signal);
    }
  }

  private dispatch(target: URL, opts: SegmentedGetOptions): Promise<SegmentedResponse> {
    const where = target.origin;
    const { signal } = opts;
    if (signal?.aborted) return Promise.reject(signal.reason);
    // undici's dispatch API: chunks arrive in callbacks, without a stream and an async iterator
    // around them (that machinery costs more CPU than the bytes themselves).
    return new Promise<SegmentedResponse>((resolve, reject) => {
      let controller: Dispatcher.DispatchController | undefined;
      let settled = false;
      let body: ResponseBody | undefined;
      const onAbort = (): void => controller?.abort(signal!.reason as Error);
      const settle = (err: unknown, value?: SegmentedResponse): void => {
        if (settled) return;
        settled = true;
        signal?.removeEventListener('abort', onAbort);
        if (value) resolve(value);
        else reject(err);
      };
      const done = (): void => {
        if (body) settle(undefined, body.result());
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.agent.dispatch(
        { origin: target.origin, path: `${target.pathname}${target.search}`, method: 'GET', headers: opts.headers },
        {
          onRequestStart: (c) => {
            controller = c;
            if (signal?.aborted) c.abort(signal.reason as Error);
          },
          onResponseStart: (_c, status, headers) => {
            body = new ResponseBody(status, headers, opts, where, Number(header(headers, 'content-length') ?? NaN));
          },
          onResponseData: (c, chunk) => {
            if (!body || settled) return;
            const taken = body.push(chunk);
            if (taken === 'more') return;
            if (taken === 'enough') done();
            c.abort(taken === 'enough' ? new Error('error body cut short') : taken);
          },
          onResponseEnd: done,
          onResponseError: (_c, err) => settle(err),
        },
      );
    });
  }

  async close(): Promise<void> {
    await Promise.all([this.agent.close(), this.direct?.close()]);
  }
}

/** A failure of the transport itself (not an HTTP status): retryable unless the caller aborted. */
function asTransportError(err: unknown, where: string, signal: AbortSignal | undefined): unknown {
  if (signal?.aborted) return signal.reason ?? err;
  if (err instanceof TransientError || err instanceof Unavailable) return err;
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
