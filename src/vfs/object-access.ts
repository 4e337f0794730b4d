// The gate between the vfs and the block cache. The first open (or read) of an object in a mount waits
// for Score's word on it (one metadata-only specification: may this token read it, and its MD5s), so that
//  - a controlled object's cached bytes are served only while the token is known to be allowed: for a
//    lease (default 24 h) after Score said yes, or offline within a lease an earlier mount was granted
//    for the same token (kept in the cache dir); a refusal fails the read with AccessDenied;
//  - the block cache keys and verifies an object by its full identity (MD5s included), although the
//    catalog a mount starts from has none (one request per object would make mounting slow).
// Open objects whose MD5s are known already need no request. Every read, stream, pin and prefetch of
// the vfs (files, slices, paired indexes) comes through here.
import { AccessDenied, BadRequest, NotFound, Unavailable } from '../errors.js';
import type { AdmitOptions, ByteReader, ObjectIdentity, ReadOptions, ReadStreamHandle } from '../model.js';
import { logger, type Logger } from '../util/log.js';

const log = logger('vfs.access');
type LogFn = Logger['warn'];

/** An object's MD5s as Score describes them. */
export type Checksums = Pick<ObjectIdentity, 'md5' | 'parts'>;

/** The leases of the mount's token, as the cache keeps them. */
export interface LeaseBook {
  validUntil(objectId: string): Promise<number | undefined>;
  grant(objectId: string, until: number): Promise<void>;
  revoke(objectId: string): Promise<void>;
}

export interface ObjectAccessOptions {
  /** Score's word on an object: its MD5s, or AccessDenied / NotFound / Unavailable. */
  /** `whole`: the object is about to be read whole, so its part MD5s are not needed. */
  describe: (obj: Pick<ObjectIdentity, 'id' | 'size' | 'studyId'>, opts: { deadline: number; whole: boolean }) => Promise<Checksums>;
  leases: LeaseBook;
  /** How long Score's yes to a controlled object stands before it is asked again. */
  leaseMs: number;
  readDeadlineMs: number;
  /** True while the mount is offline (the server did not answer): then no request is tried. */
  offline: () => boolean;
  /** Called when an object's MD5s were learned (copied into the identity the vfs holds: its catalog file), to persist them. */
  onLearned?: (obj: ObjectIdentity) => void;
}

/** An object let through: the identity the cache reads it as, until when. */
interface Admission {
  identity: ObjectIdentity;
  until: number;
  version: string;
}

/** When Score cannot be reached, an open object is read with what the catalog knows for this long before asking again. */
const UNREACHABLE_RETRY_MS = 30_000;

export class ObjectAccess implements ByteReader {
  private readonly admitted = new Map<string, Admission>();
  private readonly pending = new Map<string, Promise<Admission>>();
  /** The streams this gate handed out, by the handle the vfs holds. */
  private readonly streams = new WeakMap<ReadStreamHandle, GatedStream>();

  constructor(
    private readonly reader: ByteReader,
    private readonly opts: ObjectAccessOptions,
  ) {}

  async admit(obj: ObjectIdentity, opts: AdmitOptions = {}): Promise<void> {
    await this.identityOf(obj, undefined, opts);
  }

  async read(obj: ObjectIdentity, offset: number, length: number, opts: ReadOptions = {}): Promise<Buffer> {
    const identity = await this.identityOf(obj, opts.deadline);
    return this.reader.read(identity, offset, length, this.through(identity, opts));
  }

  /** At once (see ByteReader.readInto) when the object is admitted already and the cache has the bytes in memory. */
  readInto(obj: ObjectIdentity, offset: number, target: Buffer, opts: ReadOptions = {}): number | Promise<number> {
    const read = (identity: ObjectIdentity): number | Promise<number> => this.reader.readInto(identity, offset, target, this.through(identity, opts));
    const identity = this.admittedNow(obj);
    return identity ? read(identity) : this.identityOf(obj, opts.deadline).then(read);
  }

  /** The cache's own stream opens with the first read, for the identity admitted then. */
  openStream(obj: ObjectIdentity, opts: { end?: number } = {}): ReadStreamHandle {
    const stream = new GatedStream(obj, opts.end);
    this.streams.set(stream, stream);
    return stream;
  }

  async pin(obj: ObjectIdentity, offset: number, length: number): Promise<void> {
    await this.reader.pin(await this.identityOf(obj, undefined, { whole: offset === 0 && length >= obj.size }), offset, length);
  }

  /** The identity to read `obj` as, once it may be read; single-flight per object. */
  private identityOf(obj: ObjectIdentity, deadline?: number, opts: AdmitOptions = {}): Promise<ObjectIdentity> {
    const identity = this.admittedNow(obj);
    if (identity) return Promise.resolve(identity);
    let p = this.pending.get(obj.id);
    if (!p) {
      const version = versionOf(obj);
      p = this.decide(obj, version, deadline ?? Date.now() + this.opts.readDeadlineMs, opts)
        .then((next) => {
          this.admitted.set(obj.id, next);
          return next;
        })
        .finally(() => this.pending.delete(obj.id));
      this.pending.set(obj.id, p);
    }
    return p.then((next) => next.identity);
  }

  /** The identity `obj` is admitted as, if its admission stands now. */
  private admittedNow(obj: ObjectIdentity): ObjectIdentity | undefined {
    const a = this.admitted.get(obj.id);
    return a && a.version === versionOf(obj) && Date.now() < a.until ? a.identity : undefined;
  }

  private async decide(obj: ObjectIdentity, version: string, deadline: number, opts: AdmitOptions): Promise<Admission> {
    const controlled = obj.access !== 'open';
    const now = Date.now();
    // A refusal met ahead of any open is no news: the open, if it comes, meets it and says so.
    const warn = opts.ahead ? log.debug.bind(log) : log.warn.bind(log);
    // Each admission reads as a copy: the cache keys an identity once, and learning MD5s changes the entry's.
    if (!controlled && obj.md5 !== null) return { identity: { ...obj }, until: Infinity, version };
    if (this.opts.offline()) return this.withoutScore(obj, controlled, version, undefined, warn);
    let checksums: Checksums;
    try {
      checksums = await this.opts.describe(obj, { deadline, whole: opts.whole === true });
    } catch (err) {
      if (err instanceof AccessDenied) {
        warn({ object: obj.id, study: obj.studyId, err: err.message }, `Score refused ${describeObject(obj)} to this token: its cached bytes are not served`);
        if (controlled) await this.opts.leases.revoke(obj.id).catch(() => undefined);
        throw err;
      }
      if (err instanceof Unavailable) return this.withoutScore(obj, controlled, version, err, warn);
      if (!controlled && (err instanceof NotFound || err instanceof BadRequest)) {
        log.debug({ object: obj.id, err: err.message }, 'no checksums for object'); // its reads will say why
        return { identity: { ...obj }, until: Infinity, version };
      }
      throw err;
    }
    this.learn(obj, checksums);
    const identity: ObjectIdentity = { ...obj, md5: checksums.md5 };
    if (checksums.parts) identity.parts = checksums.parts;
    else delete identity.parts;
    if (!controlled) return { identity, until: Infinity, version };
    const until = now + this.opts.leaseMs;
    await this.opts.leases.grant(obj.id, until);
    return { identity, until, version };
  }

  /**
   * Score cannot be asked: an open object is read as the catalog knows it; a controlled one only within
   * a lease granted earlier to this token, else Unavailable (EIO: unknown is not refused).
   */
  private async withoutScore(obj: ObjectIdentity, controlled: boolean, version: string, why: Unavailable | undefined, warn: LogFn): Promise<Admission> {
    if (!controlled) return { identity: { ...obj }, until: Date.now() + UNREACHABLE_RETRY_MS, version };
    const until = await this.opts.leases.validUntil(obj.id);
    if (until !== undefined) return { identity: { ...obj }, until, version };
    const what = describeObject(obj);
    warn({ object: obj.id, study: obj.studyId }, `${what} is controlled and Score cannot confirm this token may read it: its cached bytes are not served`);
    throw new Unavailable(`${what} is controlled, Score cannot be reached to check this token's access${why ? ` (${why.message})` : ''}, and no access lease of this token is valid`);
  }

  /** Keeps learned MD5s with the catalog entry, so a refresh and the next (offline) mount key the object the same. */
  /** Copies Score's MD5s into the identity the vfs holds (its catalog file), so the listing keeps them. */
  private learn(obj: ObjectIdentity, c: Checksums): void {
    if (obj.md5 === c.md5 && JSON.stringify(obj.parts) === JSON.stringify(c.parts)) return; // a lease renewal
    obj.md5 = c.md5;
    if (c.parts) obj.parts = c.parts;
    else delete obj.parts;
    this.opts.onLearned?.(obj);
  }

  private through(identity: ObjectIdentity, opts: ReadOptions): ReadOptions {
    const gated = opts.stream && this.streams.get(opts.stream);
    if (!gated) return opts;
    return { ...opts, stream: gated.innerFor(identity, this.reader) };
  }
}

/** A stream of reads as the vfs holds it; the cache's own stream follows the admitted identity. */
class GatedStream implements ReadStreamHandle {
  private inner: ReadStreamHandle | undefined;
  private closed = false;

  constructor(
    readonly obj: ObjectIdentity,
    private readonly end: number | undefined,
  ) {}

  innerFor(identity: ObjectIdentity, reader: ByteReader): ReadStreamHandle | undefined {
    if (this.closed) return undefined;
    if (this.inner?.obj !== identity) {
      this.inner?.close();
      this.inner = reader.openStream(identity, this.end === undefined ? {} : { end: this.end });
    }
    return this.inner;
  }

  close(): void {
    this.closed = true;
    this.inner?.close();
  }
}

function describeObject(obj: ObjectIdentity): string {
  return obj.studyId ? `object ${obj.id} of study ${obj.studyId}` : `object ${obj.id}`;
}

/** A refresh that lists the object with another size or time names another object. */
function versionOf(obj: ObjectIdentity): string {
  return `${obj.size}@${obj.lastModified}`;
}
