// One object to one file: chunks fetched in parallel as ranged GETs (as many at once as the link
// rewards; a chunk being written to disk holds no network slot), written at their offsets into
// `<out>/.<objectId>.part`, each recorded in the resume state once synced; the file's MD5 is taken
// as the chunks come (see RunningFileMd5) and checked against Score's at the end; then a rename into place.
import { mkdir, open, rename, stat, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { ProtocolError } from '../errors.js';
import type { RangeSource } from '../model.js';
import type { ChunkBuffers } from './chunk-buffers.js';
import { RunningFileMd5 } from './file-md5.js';
import { GroupSync } from './group-sync.js';
import type { Limiter, TransferLimiter } from './limiter.js';
import { ResumeFile, type ResumeState } from './resume-state.js';
import type { DownloadTarget } from './targets.js';

/**
 * Pause between the part file's flushes: chunks written in it are recorded (for a resume) a second or
 * so late, and the writes in between do not wait on a flush (which, back to back, bounded the download).
 */
const SYNC_PAUSE_MS = 1000;

export interface ChunkOptions {
  source: RangeSource;
  /** Shared by every object: the ranged GETs in flight. */
  transfers: TransferLimiter;
  /** Shared by every object: chunks fetched or being fetched and not yet written (bounds memory). */
  chunks: Limiter;
  /** Shared by every object: where the chunks' bytes are received, reused once written. */
  buffers: ChunkBuffers;
  chunkSize: number;
  /** How long one chunk may take, retries included. */
  chunkDeadlineMs: number;
  onBytes(n: number): void;
  signal?: AbortSignal;
}

export type Validation = 'md5-ok' | 'no-md5' | 'partial' | 'off';

export class ObjectDownload {
  private readonly resume: ResumeFile;
  private state!: ResumeState;

  private constructor(
    readonly target: DownloadTarget,
    readonly dest: string,
    private readonly range: { offset: number; length: number },
    outDir: string,
  ) {
    this.resume = new ResumeFile(outDir, target.id);
  }

  /** Reads the resume state left by an earlier run; a state for other bytes is dropped. */
  static async prepare(target: DownloadTarget, dest: string, outDir: string, range: { offset: number; length: number }, chunkSize: number): Promise<ObjectDownload> {
    const d = new ObjectDownload(target, dest, range, outDir);
    const fresh: ResumeState = { version: 1, objectId: target.id, offset: range.offset, length: range.length, md5: target.md5, chunkSize, done: [] };
    const saved = await d.resume.load();
    const partSize = await stat(d.resume.partPath).then((s) => s.size, () => -1);
    const same =
      saved &&
      saved.objectId === fresh.objectId &&
      saved.offset === fresh.offset &&
      saved.length === fresh.length &&
      saved.md5 === fresh.md5 &&
      saved.chunkSize === fresh.chunkSize &&
      partSize === range.length;
    const chunks = Math.ceil(range.length / chunkSize);
    d.state = same ? { ...fresh, done: saved.done.filter((i) => Number.isInteger(i) && i >= 0 && i < chunks) } : fresh;
    return d;
  }

  private get chunkCount(): number {
    return Math.ceil(this.range.length / this.state.chunkSize);
  }

  /** Bytes already in the part file from an earlier run. */
  get resumedBytes(): number {
    return this.state.done.reduce((sum, i) => sum + this.chunkLength(i), 0);
  }

  get length(): number {
    return this.range.length;
  }

  /** Fetches the missing chunks, checks the MD5 (when `validate`), and renames into place. */
  async run(opts: ChunkOptions & { validate: boolean }): Promise<Validation> {
    if (this.state.done.length === 0) {
      await this.resume.removeAll();
      const fresh = await open(this.resume.partPath, 'w');
      try {
        await fresh.truncate(this.range.length); // sparse: the chunks fill it in any order
      } finally {
        await fresh.close();
      }
    }
    await this.resume.save(this.state);
    const wholeMd5 = this.validation(opts.validate) === 'md5-ok';
    const md5 = wholeMd5 ? new RunningFileMd5(this.resume.partPath, this.range.length, this.state.chunkSize, this.state.done) : undefined;
    let validation: Validation;
    try {
      const file = await open(this.resume.partPath, 'r+');
      try {
        await this.fetchMissing(file, opts, (i) => md5?.chunkWritten(i));
      } finally {
        await file.close();
      }
      validation = md5 ? await this.check(await md5.digest(opts.signal)) : this.validation(opts.validate);
    } finally {
      await md5?.close();
    }
    await mkdir(path.dirname(this.dest), { recursive: true });
    await rename(this.resume.partPath, this.dest);
    await this.resume.removeState();
    return validation;
  }

  private async fetchMissing(file: FileHandle, opts: ChunkOptions, written: (chunk: number) => void): Promise<void> {
    const done = new Set(this.state.done);
    const stop = new AbortController();
    const signal = opts.signal ? AbortSignal.any([opts.signal, stop.signal]) : stop.signal;
    const chunks = Array.from({ length: this.chunkCount }, (_, i) => i).filter((i) => !done.has(i));
    const durable = new GroupSync(file, SYNC_PAUSE_MS);
    let unwritten = chunks.length;
    const results = await Promise.allSettled(
      chunks.map(async (i) => {
        try {
          const len = await opts.chunks.run(async () => {
            signal.throwIfAborted();
            const at = i * this.state.chunkSize;
            const n = this.chunkLength(i);
            const [bytes = Buffer.alloc(0), ...more] = await opts.transfers.run(n, () => {
              signal.throwIfAborted();
              const onRetry = (): void => opts.transfers.link.failed();
              const allocate = (size: number): Buffer => opts.buffers.take(size);
              return opts.source.fetchSegments(this.target, this.range.offset + at, n, n, { deadline: Date.now() + opts.chunkDeadlineMs, signal, onRetry, allocate });
            });
            try {
              if (bytes.length !== n || more.length > 0) throw new ProtocolError(`object ${this.target.id}: asked for ${n} bytes at ${this.range.offset + at}, got ${bytes.length}`);
              await file.write(bytes, 0, n, at);
            } finally {
              opts.buffers.give(bytes);
            }
            return n;
          });
          // The chunk's bytes are written (its memory and slot free); it is "done" only once they
          // would survive a crash, and flushes are shared by the chunks that wait at once.
          written(i);
          if (--unwritten === 0) durable.hurry(); // the last flush need not wait
          await durable.sync();
          done.add(i);
          this.state = { ...this.state, done: [...done] };
          await this.resume.save(this.state);
          opts.onBytes(len);
        } catch (err) {
          stop.abort(err); // one failed chunk fails the object: do not start the rest
          throw err;
        }
      }),
    );
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw opts.signal?.aborted ? opts.signal.reason : stop.signal.reason ?? failed.reason;
  }

  /** What the end check will be: 'md5-ok' when the whole object's MD5 is to be checked. */
  private validation(wanted: boolean): Validation {
    if (!wanted) return 'off';
    if (this.range.offset !== 0 || this.range.length !== this.target.size) return 'partial';
    return this.target.md5 ? 'md5-ok' : 'no-md5';
  }

  private async check(got: string): Promise<Validation> {
    if (got === this.target.md5!.toLowerCase()) return 'md5-ok';
    await this.resume.removeAll();
    throw new ProtocolError(
      `${this.target.analysisId}/${this.target.fileName} (object ${this.target.id}): MD5 ${got} of the downloaded bytes differs from Score's ${this.target.md5}; the file was deleted (run again to download it anew)`,
    );
  }

  private chunkLength(i: number): number {
    return Math.min(this.state.chunkSize, this.range.length - i * this.state.chunkSize);
  }
}
