// A GET's response body as the Score layer receives it, whichever transport brings the bytes: cut into
// segments of the caller's size, held to a byte limit, and reported to the caller as it arrives. Bytes
// come either as chunks to copy (push) or straight into the segment being filled (space, then filled):
// the second is how the plain-HTTP transport lets the kernel write a body where it is wanted.
import type { IncomingHttpHeaders } from 'node:http';
import { ProtocolError } from '../errors.js';

export interface SegmentedResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** The body in segments of the requested size (the last one shorter); none when empty. */
  segments: Buffer[];
  length: number;
}

/**
 * The bytes of a 2xx body as they arrive, while it is being received into one buffer of its final size
 * (a known length within one segment): that buffer and how many of its leading bytes are in.
 */
export type BodyProgress = (status: number, headers: IncomingHttpHeaders, into: Buffer, received: number) => void;

/** A whole segment of a 2xx body, as soon as it is in (the `index`th; the last one, if short, only at the end). */
export type SegmentDone = (status: number, headers: IncomingHttpHeaders, index: number, segment: Buffer) => void;

export interface BodyOptions {
  /** The body is cut off (connection dropped) and the call fails past this many bytes. */
  maxBytes: number;
  /** Bytes kept of an error (non-2xx) body, which is otherwise discarded. */
  maxErrorBytes?: number;
  segmentBytes: number;
  allocate?: (size: number) => Buffer;
  onProgress?: BodyProgress;
  onSegment?: SegmentDone;
}

/** What taking more bytes led to: go on, the error body is as long as it is kept (end it), or fail. */
export type Taken = 'more' | 'enough' | ProtocolError;

export class ResponseBody {
  private readonly ok: boolean;
  private readonly limit: number;
  private readonly sink: SegmentSink;
  private reported = 0;

  /** `origin` names the server in errors; `declared` is the Content-Length, if any. */
  constructor(
    readonly status: number,
    readonly headers: IncomingHttpHeaders,
    private readonly opts: BodyOptions,
    private readonly origin: string,
    declared: number | undefined,
  ) {
    this.ok = status >= 200 && status < 300;
    this.limit = this.ok ? opts.maxBytes : (opts.maxErrorBytes ?? 64 * 1024);
    const expected = declared !== undefined && Number.isSafeInteger(declared) && declared >= 0 && declared <= this.limit ? declared : undefined;
    this.sink = new SegmentSink(this.ok ? opts.segmentBytes : this.limit, expected, this.ok ? opts.allocate : undefined);
  }

  /** Takes a chunk (copied: it may be reused once this returns). */
  push(chunk: Buffer): Taken {
    if (this.sink.length + chunk.length <= this.limit) {
      this.sink.push(chunk);
      this.report();
      return 'more';
    }
    if (this.ok) return this.tooLarge();
    this.sink.push(chunk.subarray(0, this.limit - this.sink.length)); // an error body is only informative: keep its head
    return 'enough';
  }

  /**
   * Where the next bytes of a body of declared length may be written directly: the unfilled rest of
   * the segment being filled. Undefined when the length is unknown or past the limit (then push).
   */
  space(): Buffer | undefined {
    return this.sink.space();
  }

  /** `n` bytes were written at the start of what space() returned. */
  filled(n: number): void {
    this.sink.filled(n);
    this.report();
  }

  /** A 2xx body whose declared length is over the limit fails before a byte of it is taken. */
  refuseDeclared(declared: number): ProtocolError | undefined {
    return this.ok && declared > this.limit ? this.tooLarge() : undefined;
  }

  result(): SegmentedResponse {
    return { status: this.status, headers: this.headers, segments: this.sink.segments(), length: this.sink.length };
  }

  private tooLarge(): ProtocolError {
    return new ProtocolError(`${this.origin} sent a larger response than expected (over ${this.limit} bytes)`);
  }

  private report(): void {
    if (!this.ok) return;
    const { onProgress, onSegment } = this.opts;
    const into = onProgress ? this.sink.filling() : undefined;
    if (into) onProgress!(this.status, this.headers, into, this.sink.length);
    if (onSegment) {
      const full = this.sink.completed();
      while (this.reported < full.length) onSegment(this.status, this.headers, this.reported, full[this.reported++]!);
    }
  }
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
  private fill = 0;
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
      const take = Math.min(this.segmentBytes - this.fill, chunk.length - at);
      const piece = chunk.subarray(at, at + take);
      if (this.expected !== undefined && this.length + take <= this.expected && this.chunks.length === 0) {
        piece.copy(this.segment(), this.fill);
      } else {
        // Length unknown or overrun (the caller rejects the body): gather and join when done.
        if (this.current) this.chunks.push(this.current.subarray(0, this.fill));
        this.current = undefined;
        this.chunks.push(piece);
      }
      this.advance(take);
      at += take;
    }
  }

  space(): Buffer | undefined {
    if (this.expected === undefined || this.chunks.length > 0 || this.length >= this.expected) return undefined;
    return this.segment().subarray(this.fill);
  }

  filled(n: number): void {
    this.advance(n);
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
    if (this.fill > 0) this.close();
    return this.done;
  }

  /** The segment being filled, of its final size (the expected length is known). */
  private segment(): Buffer {
    return (this.current ??= this.allocate(Math.min(this.segmentBytes, this.expected! - this.length + this.fill)));
  }

  private advance(n: number): void {
    this.fill += n;
    this.length += n;
    if (this.fill === this.segmentBytes) this.close();
  }

  private close(): void {
    const { current, fill } = this;
    // The allocated buffer itself when full (its identity matters to a buffer pool), else the part filled.
    this.done.push(current ? (fill === current.length ? current : current.subarray(0, fill)) : Buffer.concat(this.chunks, fill));
    this.current = undefined;
    this.chunks = [];
    this.fill = 0;
  }
}
