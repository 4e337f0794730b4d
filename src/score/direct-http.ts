// Plain-HTTP GETs whose bodies the kernel reads straight into the caller's segments. net's `onread`
// gives every socket read a buffer of ours; while a body of declared length arrives, that buffer is
// the unfilled rest of the segment the bytes belong in, so no parser, stream or copy stands between the
// socket and a block. Receiving through undici costs about 0.85 CPU s per GiB on the main thread,
// this about 0.1 (docs/benchmarks.md). It understands what an object store answers to a GET: a status
// line and headers, then a body framed by Content-Length, chunked, or the closing of the connection.
// Connections are kept alive, a bounded number per origin, the most recent reused first. TLS has no
// such read path: https:// stays with undici.
import net from 'node:net';
import type { IncomingHttpHeaders } from 'node:http';
import { ProtocolError, TransientError, Unavailable } from '../errors.js';
import type { SegmentedGetOptions } from './http.js';
import { ResponseBody, type SegmentedResponse, type Taken } from './response-body.js';

/** A response head larger than this is refused (an object store's is well under 2 KiB). */
const HEAD_BYTES = 16 * 1024;
/** Where bytes go that are not a body's of declared length (chunked or close-delimited bodies). */
const SCRATCH_BYTES = 64 * 1024;
const KEEP_ALIVE_MS = 30_000;

export class DirectHttp {
  private readonly pools = new Map<string, OriginPool>();
  private closed = false;

  constructor(private readonly opts: { connections: number; stallTimeoutMs: number }) {}

  /**
   * GET an http:// URL. Rejects with ProtocolError (an answer that cannot be right), TransientError
   * (stalls, bodies cut short, closed connections), the socket's own error, or the signal's reason.
   */
  async get(target: URL, opts: SegmentedGetOptions): Promise<SegmentedResponse> {
    if (this.closed) throw new Unavailable('HTTP client is closed');
    let pool = this.pools.get(target.origin);
    if (!pool) this.pools.set(target.origin, (pool = new OriginPool(target, this.opts)));
    const request = requestHead(target, opts.headers);
    for (let fresh = false; ; fresh = true) {
      const conn = await pool.acquire(opts.signal, fresh);
      let res: SegmentedResponse;
      try {
        res = await conn.exchange(request, opts);
      } catch (err) {
        pool.release(conn);
        // A kept-alive connection the server had closed fails before a byte of the answer: try a new one.
        if (err instanceof StaleConnection && !fresh) continue;
        throw err instanceof StaleConnection ? err.cause : err;
      }
      pool.release(conn);
      return res;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.pools.values()].map((p) => p.close()));
  }
}

/**
 * A kept-alive connection the server closed (an EOF, not a reset) before a byte of the answer: it
 * closed the connection as the request went out, and the request may go again on a new one.
 */
class StaleConnection extends Error {
  constructor(override readonly cause: unknown) {
    super('kept-alive connection was closed');
  }
}

class OriginPool {
  private readonly idle: Connection[] = [];
  private readonly waiting: Array<{ wake: (err?: unknown) => void }> = [];
  private open = 0;
  private closing: (() => void) | undefined;
  private readonly host: string;
  private readonly port: number;

  constructor(
    private readonly target: URL,
    private readonly opts: { connections: number; stallTimeoutMs: number },
  ) {
    this.host = target.hostname.replace(/^\[|\]$/g, '');
    this.port = Number(target.port || 80);
  }

  /**
   * A connection for one exchange: an idle one, else a new one once there is room. `fresh`: a new one
   * if there is room (the last idle one was closed under its request).
   */
  async acquire(signal: AbortSignal | undefined, fresh: boolean): Promise<Connection> {
    for (;;) {
      if (signal?.aborted) throw signal.reason;
      if (this.closing) throw new Unavailable('HTTP client is closed');
      const room = this.open < this.opts.connections;
      // An idle connection that failed is on its way out (its close takes it off the list).
      let idle: Connection | undefined;
      if (!(fresh && room)) while ((idle = this.idle.pop()) && !idle.reusable);
      if (idle) return idle.take();
      if (room) return this.connect(signal);
      await new Promise<void>((resolve, reject) => {
        const waiter = {
          wake: (err?: unknown): void => {
            signal?.removeEventListener('abort', onAbort);
            if (err === undefined) resolve();
            else reject(err);
          },
        };
        const onAbort = (): void => {
          this.waiting.splice(this.waiting.indexOf(waiter), 1);
          waiter.wake(signal!.reason);
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        this.waiting.push(waiter);
      });
    }
  }

  /** Back from an exchange: kept for the next one if it may be, else closed. */
  release(conn: Connection): void {
    if (!conn.reusable || this.closing) {
      conn.destroy();
      return this.freed();
    }
    this.idle.push(conn);
    conn.rest(() => {
      const i = this.idle.indexOf(conn);
      if (i >= 0) this.idle.splice(i, 1);
      this.freed();
    });
    this.waiting.shift()?.wake();
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.closing = resolve;
      for (const waiter of this.waiting.splice(0)) waiter.wake(new Unavailable('HTTP client is closed'));
      for (const conn of this.idle) conn.destroy(); // each frees its room as it closes
      if (this.open === 0) resolve();
    });
  }

  /** A connection closed: its room goes to the next waiter. */
  private freed(): void {
    this.open--;
    this.waiting.shift()?.wake();
    if (this.closing && this.open === 0) this.closing();
  }

  private async connect(signal: AbortSignal | undefined): Promise<Connection> {
    this.open++;
    try {
      return await Connection.open(this.host, this.port, this.target.origin, this.opts.stallTimeoutMs, signal);
    } catch (err) {
      this.freed();
      throw err;
    }
  }
}

type Framing = { kind: 'length'; left: number } | { kind: 'chunked'; chunks: ChunkedDecoder } | { kind: 'close' };

interface Exchange {
  resolve: (res: SegmentedResponse) => void;
  reject: (err: unknown) => void;
  opts: SegmentedGetOptions;
  /** Bytes of the response seen (head included). */
  seen: number;
  body?: ResponseBody;
  framing?: Framing;
}

class Connection {
  reusable = true;
  private socket!: net.Socket;
  private readonly head = Buffer.allocUnsafe(HEAD_BYTES);
  private headLength = 0;
  private scratch: Buffer | undefined;
  /** Whether the buffer handed to the last read was the body's own space. */
  private intoBody = false;
  private exchanging: Exchange | undefined;
  private served = 0;
  private onIdleEnd: (() => void) | undefined;

  private constructor(
    private readonly origin: string,
    private readonly stallMs: number,
  ) {}

  static open(host: string, port: number, origin: string, stallMs: number, signal: AbortSignal | undefined): Promise<Connection> {
    const conn = new Connection(origin, stallMs);
    return new Promise((resolve, reject) => {
      const socket = net.connect({
        host,
        port,
        noDelay: true,
        keepAlive: true,
        onread: { buffer: () => conn.nextBuffer(), callback: (n: number) => conn.received(n) },
      });
      conn.socket = socket;
      const onTimeout = (): void => failed(new TransientError(`${origin} did not accept a connection in time`));
      const onAbort = (): void => failed(signal!.reason);
      const settled = (): void => {
        signal?.removeEventListener('abort', onAbort);
        socket.off('timeout', onTimeout);
        socket.off('error', failed);
      };
      function failed(err: unknown): void {
        settled();
        socket.destroy();
        reject(err);
      }
      signal?.addEventListener('abort', onAbort, { once: true });
      socket.setTimeout(Math.min(10_000, stallMs));
      socket.on('timeout', onTimeout);
      socket.once('error', failed);
      socket.once('connect', () => {
        settled();
        conn.listen();
        resolve(conn);
      });
    });
  }

  /** Out of the idle list for an exchange. */
  take(): Connection {
    this.onIdleEnd = undefined;
    this.socket.setTimeout(0);
    this.socket.ref();
    return this;
  }

  /** Idle until taken again; `ended` when it closes first (the server's keep-alive timeout, ours). */
  rest(ended: () => void): void {
    this.onIdleEnd = ended;
    this.socket.unref();
    this.socket.setTimeout(KEEP_ALIVE_MS);
  }

  destroy(): void {
    this.reusable = false;
    this.socket.destroy();
  }

  exchange(request: string, opts: SegmentedGetOptions): Promise<SegmentedResponse> {
    const { signal } = opts;
    return new Promise<SegmentedResponse>((resolve, reject) => {
      const onAbort = (): void => this.fail(signal!.reason);
      const settled = (): void => {
        signal?.removeEventListener('abort', onAbort);
        this.exchanging = undefined;
        this.served++;
        this.socket.setTimeout(0);
      };
      this.exchanging = {
        resolve: (res) => (settled(), resolve(res)),
        reject: (err) => (settled(), reject(err)),
        opts,
        seen: 0,
      };
      if (signal?.aborted) return this.fail(signal.reason);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.socket.setTimeout(this.stallMs);
      this.socket.write(request);
    });
  }

  listen(): void {
    this.socket.setTimeout(0);
    this.socket.on('timeout', () => {
      if (this.exchanging) this.fail(new TransientError(`${this.origin} stalled (no data within the stall timeout)`));
      else this.destroy(); // idle past the keep-alive time
    });
    this.socket.on('error', (err) => this.fail(err));
    this.socket.on('end', () => {
      const ex = this.exchanging;
      if (ex?.framing?.kind === 'close') return this.finish(ex);
      if (ex?.body) return this.fail(new TransientError(`${this.origin} cut the response short`));
      const unanswered = new TransientError(`${this.origin} closed the connection without answering`);
      this.fail(ex && ex.seen === 0 && this.served > 0 ? new StaleConnection(unanswered) : unanswered);
    });
    this.socket.on('close', () => {
      this.reusable = false;
      this.fail(new TransientError(`${this.origin} closed the connection`));
      this.onIdleEnd?.();
      this.onIdleEnd = undefined;
    });
  }

  /** The buffer the next socket read fills. */
  nextBuffer(): Buffer {
    const ex = this.exchanging;
    const space = ex?.framing?.kind === 'length' ? ex.body!.space() : undefined;
    this.intoBody = space !== undefined && space.length > 0;
    if (this.intoBody) return space!; // never longer than what the body has left (segments are cut to it)
    if (ex?.body) return (this.scratch ??= Buffer.allocUnsafe(SCRATCH_BYTES));
    return this.head.subarray(this.headLength);
  }

  /** `n` bytes were read into the last nextBuffer(); true: read on (net's onread protocol). */
  received(n: number): true {
    const ex = this.exchanging;
    if (!ex) {
      this.destroy(); // bytes nobody asked for: the connection is out of step
      return true;
    }
    ex.seen += n;
    if (this.intoBody) {
      const framing = ex.framing as { left: number };
      framing.left -= n;
      ex.body!.filled(n);
      if (framing.left === 0) this.finish(ex);
    } else if (ex.body) {
      this.takeBody(ex, this.scratch!.subarray(0, n));
    } else {
      this.headLength += n;
      this.parseHead(ex);
    }
    return true;
  }

  private parseHead(ex: Exchange): void {
    const end = this.head.subarray(0, this.headLength).indexOf('\r\n\r\n');
    if (end < 0) {
      if (this.headLength === HEAD_BYTES) this.fail(new ProtocolError(`${this.origin} sent a response head over ${HEAD_BYTES} bytes`));
      return;
    }
    let head: ResponseHead;
    try {
      head = parseResponseHead(this.head.toString('latin1', 0, end), this.origin);
    } catch (err) {
      return this.fail(err);
    }
    const rest = Buffer.from(this.head.subarray(end + 4, this.headLength));
    this.headLength = 0; // the next response's head starts the buffer again
    if (head.status < 200) {
      // An interim answer (100 Continue and the like): the real one follows.
      this.headLength = rest.copy(this.head);
      return this.parseHead(ex);
    }
    this.reusable &&= head.keepAlive;
    const body = new ResponseBody(head.status, head.headers, ex.opts, this.origin, head.length);
    ex.body = body;
    if (head.status === 204 || head.status === 304) ex.framing = { kind: 'length', left: 0 };
    else if (head.chunked) ex.framing = { kind: 'chunked', chunks: new ChunkedDecoder(this.origin) };
    else if (head.length !== undefined) {
      const refused = body.refuseDeclared(head.length);
      if (refused) return this.fail(refused);
      ex.framing = { kind: 'length', left: head.length };
    } else {
      this.reusable = false;
      ex.framing = { kind: 'close' };
    }
    if (ex.framing.kind === 'length' && ex.framing.left === 0) return this.finish(ex);
    if (rest.length > 0) this.takeBody(ex, rest);
  }

  /** Body bytes that arrived elsewhere than in the body's own space: framed, then copied in. */
  private takeBody(ex: Exchange, bytes: Buffer): void {
    const framing = ex.framing!;
    const body = ex.body!;
    let taken: Taken = 'more';
    if (framing.kind === 'length') {
      const mine = bytes.subarray(0, framing.left);
      if (mine.length < bytes.length) this.reusable = false; // more than it declared: out of step
      framing.left -= mine.length;
      taken = body.push(mine);
      if (taken === 'more' && framing.left === 0) return this.finish(ex);
    } else if (framing.kind === 'chunked') {
      const outcome = framing.chunks.decode(bytes, (data) => (taken === 'more' ? (taken = body.push(data)) : taken));
      if (outcome instanceof Error) return this.fail(outcome);
      if (outcome === 'done' && taken === 'more') {
        if (framing.chunks.extra > 0) this.reusable = false;
        return this.finish(ex);
      }
    } else taken = body.push(bytes);
    if (taken === 'enough') {
      this.reusable = false; // the rest of the error body is not read
      this.finish(ex);
    } else if (taken !== 'more') this.fail(taken);
  }

  private finish(ex: Exchange): void {
    ex.resolve(ex.body!.result());
  }

  /** Ends the exchange, if any, with `err`; the connection is not used again. */
  private fail(err: unknown): void {
    this.reusable = false;
    const ex = this.exchanging;
    ex?.reject(err);
    this.socket.destroy();
  }
}

interface ResponseHead {
  status: number;
  headers: IncomingHttpHeaders;
  /** The declared Content-Length. */
  length: number | undefined;
  chunked: boolean;
  keepAlive: boolean;
}

function parseResponseHead(text: string, origin: string): ResponseHead {
  const lines = text.split('\r\n');
  const m = /^HTTP\/1\.([01]) (\d{3})(?: |$)/.exec(lines[0]!);
  if (!m) throw new ProtocolError(`${origin} did not answer with an HTTP/1.x status line`);
  const headers: IncomingHttpHeaders = {};
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon <= 0) throw new ProtocolError(`${origin} sent a malformed response header`);
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    const had = headers[name];
    headers[name] = had === undefined ? value : `${String(had)}, ${value}`;
  }
  const te = String(headers['transfer-encoding'] ?? '').toLowerCase();
  const cl = headers['content-length'];
  let length: number | undefined;
  if (cl !== undefined && te === '') {
    const values = new Set(String(cl).split(',').map((v) => v.trim()));
    const only = values.size === 1 ? [...values][0]! : '';
    if (!/^\d{1,15}$/.test(only)) throw new ProtocolError(`${origin} sent an invalid Content-Length`);
    length = Number(only);
  }
  const connection = String(headers.connection ?? '').toLowerCase();
  const keepAlive = m[1] === '1' ? !/\bclose\b/.test(connection) : /\bkeep-alive\b/.test(connection);
  return { status: Number(m[2]), headers, length, chunked: /\bchunked\s*$/.test(te), keepAlive };
}

/** `GET path HTTP/1.1` with Host and the caller's headers. */
function requestHead(target: URL, headers: Record<string, string> | undefined): string {
  let text = `GET ${target.pathname}${target.search} HTTP/1.1\r\nhost: ${target.host}\r\n`;
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (/[\r\n]/.test(name + value)) throw new ProtocolError(`request header ${name} holds a line break`);
    text += `${name}: ${value}\r\n`;
  }
  return `${text}\r\n`;
}

/** Decodes a chunked body as it arrives, handing out the data of its chunks. */
class ChunkedDecoder {
  private state: 'size' | 'data' | 'data-end' | 'trailer' = 'size';
  private line = '';
  private left = 0;
  /** Bytes that came after the body's end. */
  extra = 0;

  constructor(private readonly origin: string) {}

  /** 'done' at the body's end, else 'more'; a ProtocolError for a malformed body. */
  decode(bytes: Buffer, data: (piece: Buffer) => void): 'more' | 'done' | ProtocolError {
    let at = 0;
    while (at < bytes.length) {
      if (this.state === 'data') {
        const take = Math.min(this.left, bytes.length - at);
        data(bytes.subarray(at, at + take));
        at += take;
        this.left -= take;
        if (this.left === 0) this.state = 'data-end';
        continue;
      }
      const nl = bytes.indexOf(10, at);
      if (nl < 0) {
        this.line += bytes.toString('latin1', at);
        if (this.line.length > 4096) return new ProtocolError(`${this.origin} sent a malformed chunked body`);
        return 'more';
      }
      const line = (this.line + bytes.toString('latin1', at, nl)).replace(/\r$/, '');
      this.line = '';
      at = nl + 1;
      if (this.state === 'data-end') {
        if (line !== '') return new ProtocolError(`${this.origin} sent a malformed chunked body`);
        this.state = 'size';
      } else if (this.state === 'size') {
        const size = /^([0-9a-fA-F]{1,12})(?:\s*;.*)?$/.exec(line);
        if (!size) return new ProtocolError(`${this.origin} sent a malformed chunked body`);
        this.left = parseInt(size[1]!, 16);
        this.state = this.left === 0 ? 'trailer' : 'data';
      } else if (line === '') {
        this.extra = bytes.length - at;
        return 'done';
      }
    }
    return 'more';
  }
}
