// One object to one file: chunks fetched in parallel as ranged GETs (as many at once as the link
// rewards; a chunk being written to disk holds no network slot), written at their offsets into
// `<out>/.<objectId>.part`, each recorded in the resume state once synced; then the whole file's MD5
// against Score's, and a rename into place.
import { mkdir, open, rename, stat, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { ProtocolError } from '../errors.js';
import type { RangeSource } from '../model.js';
import { md5OfFile } from './file-md5.js';
import type { Limiter, TransferLimiter } from './limiter.js';
import { ResumeFile, type ResumeState } from './resume-state.js';
import type { DownloadTarget } from './targets.js';

export interface ChunkOptions {
  source: RangeSource;
  /** Shared by every object: the ranged GETs in flight. */
  transfers: TransferLimiter;
  /** Shared by every object: chunks fetched or being fetched and not yet written (bounds memory). */
  chunks: Limiter;
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
    const file = await open(this.resume.partPath, 'r+');
    try {
      await this.fetchMissing(file, opts);
    } finally {
      await file.close();
    }
    const validation = await this.validate(opts.validate, opts.signal);
    await mkdir(path.dirname(this.dest), { recursive: true });
    await rename(this.resume.partPath, this.dest);
    await this.resume.removeState();
    return validation;
  }

  private async fetchMissing(file: FileHandle, opts: ChunkOptions): Promise<void> {
    const done = new Set(this.state.done);
    const stop = new AbortController();
    const signal = opts.signal ? AbortSignal.any([opts.signal, stop.signal]) : stop.signal;
    const chunks = Array.from({ length: this.chunkCount }, (_, i) => i).filter((i) => !done.has(i));
    const results = await Promise.allSettled(
      chunks.map((i) =>
        opts.chunks.run(async () => {
          signal.throwIfAborted();
          const at = i * this.state.chunkSize;
          const len = this.chunkLength(i);
          try {
            const bytes = await opts.transfers.run(len, () => {
              signal.throwIfAborted();
              const onRetry = (): void => opts.transfers.link.failed();
              return opts.source.fetchRange(this.target, this.range.offset + at, len, { deadline: Date.now() + opts.chunkDeadlineMs, signal, onRetry });
            });
            if (bytes.length !== len) throw new ProtocolError(`object ${this.target.id}: asked for ${len} bytes at ${this.range.offset + at}, got ${bytes.length}`);
            await file.write(bytes, 0, len, at);
            await file.datasync(); // a chunk is "done" only once it would survive a crash
            done.add(i);
            this.state = { ...this.state, done: [...done] };
            await this.resume.save(this.state);
            opts.onBytes(len);
          } catch (err) {
            stop.abort(err); // one failed chunk fails the object: do not start the rest
            throw err;
          }
        }),
      ),
    );
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw opts.signal?.aborted ? opts.signal.reason : stop.signal.reason ?? failed.reason;
  }

  private async validate(wanted: boolean, signal?: AbortSignal): Promise<Validation> {
    if (!wanted) return 'off';
    if (this.range.offset !== 0 || this.range.length !== this.target.size) return 'partial';
    if (!this.target.md5) return 'no-md5';
    const got = await md5OfFile(this.resume.partPath, signal);
    if (got === this.target.md5.toLowerCase()) return 'md5-ok';
    await this.resume.removeAll();
    throw new ProtocolError(
      `${this.target.analysisId}/${this.target.fileName} (object ${this.target.id}): MD5 ${got} of the downloaded bytes differs from Score's ${this.target.md5}; the file was deleted (run again to download it anew)`,
    );
  }

  private chunkLength(i: number): number {
    return Math.min(this.state.chunkSize, this.range.length - i * this.state.chunkSize);
  }
}
