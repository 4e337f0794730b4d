// The one HTTP client of the Score layer: an undici Agent with keep-alive, a bounded number of
// connections per origin and a stall timeout. It knows nothing of tokens: callers add headers.
import type { IncomingHttpHeaders } from 'node:http';
import { Agent, errors as undiciErrors, type Dispatcher } from 'undici';
import { ProtocolError, TransientError } from '../errors.js';
import { redact } from '../util/log.js';
import { TlsMismatchCheck } from './tls-mismatch.js';

export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface SegmentedResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** The body in segments of the requested size (the last one shorter); none when empty. */
  segments: Buffer[];
  length: number;
}

export interface HttpGetOptions {
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** The body is cut off (connection dropped) and the call fails past this many bytes. */
  maxBytes: number;
  /** Bytes kept of an error (non-2xx) body, which is otherwise discarded. */
  maxErrorBytes?: number;
}

/**
 * The bytes of a 2xx body as they arrive, while it is being received into one buffer of its final size
 * (a known length within one segment): that buffer and how many of its leading bytes are in.
 */
export type BodyProgress = (status: number, headers: IncomingHttpHeaders, into: Buffer, received: number) => void;

/** A whole segment of a 2xx body, as soon as it is in (the `index`th; the last one, if short, only at the end). */
export type SegmentDone = (status: number, headers: IncomingHttpHeaders, index: number, segment: Buffer) => void;

export interface SegmentedGetOptions extends HttpGetOptions {
  segmentBytes: number;
  allocate?: (size: number) => Buffer;
  onProgress?: BodyProgress;
  onSegment?: SegmentDone;
}

export class HttpClient {
  private readonly agent: Agent;
  private readonly tls = new TlsMismatchCheck();

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
      return await this.dispatch(target, opts);
    } catch (err) {
      throw (await this.tls.explain(err, target)) ?? err;
    }
  }

  private dispatch(target: URL, opts: SegmentedGetOptions): Promise<SegmentedResponse> {
    const where = target.origin;
    const { signal } = opts;
    if (signal?.aborted) return Promise.reject(asTransportError(signal.reason, where, signal));
    // undici's dispatch API: chunks arrive in callbacks, without a stream and an async iterator
    // around them (that machinery costs more CPU than the bytes themselves).
    return new Promise<SegmentedResponse>((resolve, reject) => {
      let controller: Dispatcher.DispatchController | undefined;
      let settled = false;
      let res: { status: number; headers: IncomingHttpHeaders; ok: boolean; limit: number; sink: SegmentSink; reported: number } | undefined;
      const onAbort = (): void => controller?.abort(signal!.reason as Error);
      const settle = (err: unknown, value?: SegmentedResponse): void => {
        if (settled) return;
        settled = true;
        signal?.removeEventListener('abort', onAbort);
        if (value) resolve(value);
        else reject(err instanceof ProtocolError ? err : asTransportError(err, where, signal));
      };
      const done = (): void => {
        if (res) settle(undefined, { status: res.status, headers: res.headers, segments: res.sink.segments(), length: res.sink.length });
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
            const ok = status >= 200 && status < 300;
            const limit = ok ? opts.maxBytes : (opts.maxErrorBytes ?? 64 * 1024);
            const declared = Number(header(headers, 'content-length'));
            const expected = Number.isSafeInteger(declared) && declared >= 0 && declared <= limit ? declared : undefined;
            res = { status, headers, ok, limit, sink: new SegmentSink(ok ? opts.segmentBytes : limit, expected, ok ? opts.allocate : undefined), reported: 0 };
          },
          onResponseData: (c, chunk) => {
            if (!res || settled) return;
            if (res.sink.length + chunk.length <= res.limit) {
              res.sink.push(chunk);
              const into = res.ok && opts.onProgress ? res.sink.filling() : undefined;
              if (into) opts.onProgress!(res.status, res.headers, into, res.sink.length);
              if (res.ok && opts.onSegment) {
                const full = res.sink.completed();
                while (res.reported < full.length) opts.onSegment(res.status, res.headers, res.reported, full[res.reported++]!);
              }
              return;
            }
            if (res.ok) return c.abort(new ProtocolError(`${where} sent a larger response than expected (over ${res.limit} bytes)`));
            res.sink.push(chunk.subarray(0, res.limit - res.sink.length)); // an error body is only informative: keep its head
            done();
            c.abort(new Error('error body cut short'));
          },
          onResponseEnd: done,
          onResponseError: (_c, err) => settle(err),
        },
      );
    });
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

/**
 * Collects a body into fixed-size segments. With the total length known (Content-Length), each
 * segment is allocated at its final size; otherwise chunks are gathered and joined per segment.
 */
class SegmentSink {
  private readonly done: Buffer[] = [];
  /** The segment being filled: a buffer of its final size (length known), else the chunks seen. */
  private current: Buffer | undefined;
  private chunks: Buffer[] = [];
  private filled = 0;
  length = 0;

  constructor(
    private readonly segmentBytes: number,
    private readonly expected: number | undefined,
    // Off the pool by default (allocUnsafeSlow): a kept segment must not pin a shared slab.
    private readonly allocate: (size: number) => Buffer = Buffer.allocUnsafeSlow,
  ) {}

  push(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length) {
      const take = Math.min(this.segmentBytes - this.filled, chunk.length - at);
      const piece = chunk.subarray(at, at + take);
      if (this.expected !== undefined && this.length + take <= this.expected && this.chunks.length === 0) {
        this.current ??= this.allocate(Math.min(this.segmentBytes, this.expected - this.length + this.filled));
        piece.copy(this.current, this.filled);
      } else {
        // Length unknown or overrun (the caller rejects the body): gather and join when done.
        if (this.current) this.chunks.push(this.current.subarray(0, this.filled));
        this.current = undefined;
        this.chunks.push(piece);
      }
      this.filled += take;
      this.length += take;
      at += take;
      if (this.filled === this.segmentBytes) this.close();
    }
  }

  /** The segments filled so far. */
  completed(): readonly Buffer[] {
    return this.done;
  }

  /** The buffer of final size the body is being received into, while it is the first segment. */
  filling(): Buffer | undefined {
    return this.done.length === 0 && this.chunks.length === 0 ? this.current : undefined;
  }

  segments(): Buffer[] {
    if (this.filled > 0) this.close();
    return this.done;
  }

  private close(): void {
    const { current, filled } = this;
    // The allocated buffer itself when full (its identity matters to a buffer pool), else the part filled.
    this.done.push(current ? (filled === current.length ? current : current.subarray(0, filled)) : Buffer.concat(this.chunks, filled));
    this.current = undefined;
    this.chunks = [];
    this.filled = 0;
  }
}
