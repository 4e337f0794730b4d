// `scorefs download`'s engine: places every target per the output layout, skips what exists (unless
// force), resumes what an earlier run left, and runs the objects with one shared, adaptive bound on
// the ranged GETs in flight (the mount's: as many as the link rewards), under one progress bar.
import { access } from 'node:fs/promises';
import { AccessDenied, InvalidInput } from '../errors.js';
import type { RangeSource } from '../model.js';
import { ProgressBar } from '../util/progress.js';
import { AdaptiveLimit } from '../util/adaptive-limit.js';
import { ChunkBuffers } from './chunk-buffers.js';
import { Limiter, TransferLimiter } from './limiter.js';
import { ObjectDownload, type Validation } from './object-download.js';
import { outputPath, type OutputLayout } from './output-layout.js';
import type { DownloadTarget } from './targets.js';

export const DEFAULT_CHUNK_BYTES = 8 * 1024 * 1024;

export interface DownloadOptions {
  outputDir: string;
  layout: OutputLayout;
  force: boolean;
  validate: boolean;
  /** Most ranged GETs in flight (score-client's transport.parallel); fewer while more bring nothing. */
  parallel: number;
  chunkSize?: number;
  chunkDeadlineMs: number;
  /** Only these bytes of the (single) object; length -1 or absent = to the end. */
  range?: { offset: number; length?: number };
  signal?: AbortSignal;
  /** Where the progress bar and notes go (default stderr). */
  stream?: NodeJS.WriteStream;
}

export interface DownloadResult {
  downloaded: Array<{ target: DownloadTarget; dest: string; validation: Validation }>;
  skipped: Array<{ target: DownloadTarget; dest: string; why: string }>;
  failed: Array<{ target: DownloadTarget; error: unknown }>;
  /** Bytes fetched in this run, and bytes an earlier run had already written. */
  bytesFetched: number;
  bytesResumed: number;
}

export async function downloadTargets(source: RangeSource, targets: readonly DownloadTarget[], opts: DownloadOptions): Promise<DownloadResult> {
  const result: DownloadResult = { downloaded: [], skipped: [], failed: [], bytesFetched: 0, bytesResumed: 0 };
  const chunkSize = opts.chunkSize ?? DEFAULT_CHUNK_BYTES;
  const notes: string[] = [];
  const jobs: ObjectDownload[] = [];
  const taken = new Set<string>();
  for (const target of targets) {
    const dest = outputPath(opts.outputDir, opts.layout, target);
    if (taken.has(dest)) {
      // As score-client: with a name-based layout, the first of two same-named files wins.
      result.skipped.push({ target, dest, why: 'another object of the same name goes there (use --output-layout bundle or id)' });
      continue;
    }
    taken.add(dest);
    if (!opts.force && (await exists(dest))) {
      result.skipped.push({ target, dest, why: 'exists (use --force to download it again)' });
      continue;
    }
    jobs.push(await ObjectDownload.prepare(target, dest, opts.outputDir, rangeOf(target, opts.range), chunkSize));
  }
  for (const s of result.skipped) notes.push(`skipped ${s.dest}: ${s.why}`);

  const total = jobs.reduce((sum, j) => sum + j.length, 0);
  result.bytesResumed = jobs.reduce((sum, j) => sum + j.resumedBytes, 0);
  const progress = new ProgressBar({ total, initial: result.bytesResumed, label: 'download', ...(opts.stream ? { stream: opts.stream } : {}) });
  for (const n of notes) progress.note(n);
  if (result.bytesResumed > 0) progress.note(`resuming: ${jobs.filter((j) => j.resumedBytes > 0).length} file(s) partly downloaded by an earlier run`);

  const fatal = new AbortController();
  const signal = opts.signal ? AbortSignal.any([opts.signal, fatal.signal]) : fatal.signal;
  const noted = new Set<unknown>();
  const transfers = new TransferLimiter(new AdaptiveLimit({ max: opts.parallel }));
  const chunks = new Limiter(2 * opts.parallel); // fetched chunks waiting for their disk write count too
  const buffers = new ChunkBuffers(chunkSize, 2 * opts.parallel);
  const objects = new Limiter(opts.parallel);
  await Promise.all(
    jobs.map((job) =>
      objects.run(async () => {
        if (opts.signal?.aborted) return;
        if (fatal.signal.aborted) {
          result.failed.push({ target: job.target, error: fatal.signal.reason });
          return;
        }
        try {
          const validation = await job.run({
            source,
            transfers,
            chunks,
            buffers,
            chunkSize,
            chunkDeadlineMs: opts.chunkDeadlineMs,
            validate: opts.validate,
            signal,
            onBytes: (n) => {
              result.bytesFetched += n;
              progress.add(n);
            },
          });
          result.downloaded.push({ target: job.target, dest: job.dest, validation });
        } catch (err) {
          if (opts.signal?.aborted) return; // interrupted: the resume state says what is left
          result.failed.push({ target: job.target, error: err });
          if (noted.has(err)) return; // the same fatal error, said once
          noted.add(err);
          progress.note(`failed ${job.dest}: ${err instanceof Error ? err.message : String(err)}`);
          if (err instanceof AccessDenied && err.reason === 'token') fatal.abort(err); // every other object would fail alike
        }
      }),
    ),
  );
  progress.finish();
  return result;
}

function rangeOf(t: DownloadTarget, range: DownloadOptions['range']): { offset: number; length: number } {
  if (!range) return { offset: 0, length: t.size };
  const length = range.length === undefined || range.length < 0 ? t.size - range.offset : range.length;
  if (range.offset < 0 || range.offset + length > t.size || length < 0) {
    throw new InvalidInput(`--offset ${range.offset} --length ${range.length ?? -1} is outside object ${t.id} (${t.size} bytes)`);
  }
  return { offset: range.offset, length };
}

async function exists(p: string): Promise<boolean> {
  return access(p).then(
    () => true,
    () => false,
  );
}
