// Object bytes for the block cache: ranged GETs on the object's external presigned URL, each response
// checked against the request before a byte is returned, retried with backoff until the read deadline.
import { AccessDenied, InvalidInput, NotFound, ProtocolError, TransientError, Unavailable } from '../errors.js';
import type { FetchOptions, ObjectIdentity, RangeSource, SegmentFetchOptions } from '../model.js';
import { logger } from '../util/log.js';
import type { IncomingHttpHeaders } from 'node:http';
import { header, type BodyProgress, type HttpClient, type SegmentDone, type SegmentedResponse } from './http.js';
import { withRetry } from './retry.js';
import type { UrlCache } from './url-cache.js';

const log = logger('score.range-source');

export interface RangeSourceStats {
  /** HTTP requests to the object store. */
  requests: number;
  /** Tries repeated after a transient failure. */
  retries: number;
  /** Presigned URLs fetched again (expiry or 403). */
  refreshes: number;
  /** Object bytes received. */
  bytesFetched: number;
  /** fetchRange calls that failed. */
  errors: number;
}

/** Objects up to this size may come back whole (a 200 to a ranged GET) and are sliced. */
const MAX_WHOLE_BODY = 64 * 1024 * 1024;

export class ScoreRangeSource implements RangeSource {
  private readonly counters = { requests: 0, retries: 0, bytesFetched: 0, errors: 0 };

  constructor(
    private readonly http: HttpClient,
    private readonly urls: UrlCache,
    private readonly readDeadlineMs: number,
  ) {}

  stats(): RangeSourceStats {
    return { ...this.counters, refreshes: this.urls.refreshes };
  }

  async fetchRange(obj: ObjectIdentity, offset: number, length: number, opts: FetchOptions = {}): Promise<Buffer> {
    const segments = await this.fetchSegments(obj, offset, length, Number.MAX_SAFE_INTEGER, opts);
    return segments[0] ?? Buffer.alloc(0);
  }

  async fetchSegments(obj: ObjectIdentity, offset: number, length: number, segmentBytes: number, opts: SegmentFetchOptions = {}): Promise<Buffer[]> {
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || !(segmentBytes >= 1)) {
      throw new InvalidInput(`invalid range of object ${obj.id}: offset ${offset}, length ${length}`);
    }
    const end = Math.min(obj.size, offset + length); // exclusive
    if (end <= offset) return [];
    const deadline = opts.deadline ?? Date.now() + this.readDeadlineMs;
    try {
      const onProgress = opts.onProgress && segmentBytes >= end - offset ? forRange(obj, offset, end, opts.onProgress) : undefined;
      const onSegment = opts.onSegment && forRange(obj, offset, end, opts.onSegment);
      return await withRetry((signal) => this.tryOnce(obj, offset, end, { segmentBytes, allocate: opts.allocate, onProgress, onSegment }, deadline, signal), {
        deadline,
        signal: opts.signal,
        what: `reading object ${obj.id}`,
        onRetry: (err, n) => {
          this.counters.retries++;
          opts.onRetry?.();
          log.debug({ object: obj.id, attempt: n, err: err.message }, 'retrying read');
        },
      });
    } catch (err) {
      this.counters.errors++;
      if (err instanceof Unavailable || err instanceof ProtocolError) log.warn({ object: obj.id, offset, length: end - offset, err: err.message }, 'read failed');
      throw err;
    }
  }

  /** One try: a GET on the current URL, plus one more on a fresh URL if the store refused the first. */
  private async tryOnce(
    obj: ObjectIdentity,
    offset: number,
    end: number,
    segments: { segmentBytes: number; allocate: ((size: number) => Buffer) | undefined; onProgress: BodyProgress | undefined; onSegment: SegmentDone | undefined },
    deadline: number,
    signal: AbortSignal,
  ): Promise<Buffer[]> {
    for (let fresh = false; ; fresh = true) {
      const url = await this.urls.get(obj, { deadline, signal });
      this.counters.requests++;
      const res = await this.http.getSegmented(url, {
        headers: { range: `bytes=${offset}-${end - 1}` },
        signal,
        maxBytes: obj.size <= MAX_WHOLE_BODY ? obj.size : end - offset,
        ...segments,
      });
      this.counters.bytesFetched += res.length;
      if (res.status !== 403) return checkRangeResponse(res, obj, offset, end, segments.segmentBytes);
      if (fresh) throw new AccessDenied(`the object store refused object ${obj.id} even with a fresh URL (HTTP 403)`, 'scope');
      log.debug({ object: obj.id }, 'object store answered 403: refreshing the URL');
      this.urls.invalidate(obj.id, url);
    }
  }
}

/**
 * `pass` (a range's body progress, or its whole segments), heard only once the response's status and
 * Content-Range say it is the bytes [offset, end) of this object (checked again, with its length, when
 * it ends).
 */
function forRange<A, B>(obj: ObjectIdentity, offset: number, end: number, pass: (a: A, b: B) => void): (status: number, headers: IncomingHttpHeaders, a: A, b: B) => void {
  return (status, headers, a, b) => {
    const r = status === 206 ? contentRange(headers) : undefined;
    if (r && r.first === offset && r.last === end - 1 && r.total === String(obj.size)) pass(a, b);
  };
}

/** A Content-Range header's first and last byte and total ("*" when unknown). */
function contentRange(headers: IncomingHttpHeaders): { first: number; last: number; total: string } | undefined {
  const m = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec((header(headers, 'content-range') ?? '').trim());
  return m ? { first: Number(m[1]), last: Number(m[2]), total: m[3]! } : undefined;
}

/** The bytes [offset, end) from an object store's response, in segments, or an error if it is not exactly that. */
export function checkRangeResponse(res: SegmentedResponse, obj: ObjectIdentity, offset: number, end: number, segmentBytes: number): Buffer[] {
  const what = `object ${obj.id} bytes ${offset}-${end - 1}`;
  const expected = end - offset;
  switch (res.status) {
    case 206: {
      const r = contentRange(res.headers);
      if (!r) throw new ProtocolError(`${what}: 206 without a valid Content-Range`);
      if (r.total !== String(obj.size)) throw new ProtocolError(`${what}: the object store says the object has ${r.total} bytes, Score said ${obj.size}`);
      if (r.first !== offset || r.last !== end - 1) throw new ProtocolError(`${what}: the object store sent bytes ${r.first}-${r.last} instead`);
      if (res.length !== expected) throw new TransientError(`${what}: body of ${res.length} bytes, expected ${expected}`);
      return res.segments;
    }
    case 200: // the store ignored Range and sent the whole object (small objects only): cut our range out
      if (res.length !== obj.size) throw new TransientError(`${what}: whole-object body of ${res.length} bytes, expected ${obj.size}`);
      return resegment(Buffer.concat(res.segments, res.length).subarray(offset, end), segmentBytes);
    case 416:
      throw new ProtocolError(`${what}: range not satisfiable, so the object is smaller than the ${obj.size} bytes Score said`);
    case 404:
      throw new NotFound(`${what}: the object store has no such object`);
    default:
      // S3 answers 400 for clock skew and similar passing trouble; score-client retries it too.
      if (res.status === 400 || res.status === 408 || res.status === 429 || res.status >= 500) {
        throw new TransientError(`${what}: object store answered HTTP ${res.status}`, res.status);
      }
      throw new ProtocolError(`${what}: unexpected HTTP ${res.status} from the object store`);
  }
}

/** Copies of bytes in pieces of segmentBytes (each in a buffer of its own). */
function resegment(bytes: Buffer, segmentBytes: number): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += segmentBytes) out.push(Buffer.from(bytes.subarray(at, Math.min(bytes.length, at + segmentBytes))));
  return out;
}
