// `scorefs cache warm`: fetches whole files into the BlockCache, so that a later mount finds them on
// disk. The cache itself skips blocks it has and fetches the rest as a mount's prefetch does (chunked
// range GETs, as many in flight as the link rewards); this only walks the files in steps, a few at once. Block writes finish in the background and are skipped when the
// disk falls behind, so after each pass the cache is closed (which waits for them), reopened, and
// whatever is still incomplete is warmed again.
import type { BlockCache, CachedObject } from '../cache/block-cache.js';
import type { CatalogFile, ObjectIdentity } from '../model.js';
import { ProgressBar } from '../util/progress.js';
import { Limiter } from './limiter.js';

/** One step, block-aligned: small enough for a smooth progress bar. */
export const WARM_STEP_BYTES = 8 * 1024 * 1024;
const MAX_PASSES = 3;

export interface WarmOptions {
  /** Opens the cache (the caller's settings: dir, source, size); closed by warmFiles. */
  openCache: () => Promise<BlockCache>;
  /** Steps in flight (each one or more range GETs, as many at once as the cache's link allows). */
  parallel: number;
  /**
   * Score's word on a file before it is warmed: its MD5s (which key and verify its blocks as a mount
   * keys them), or a refusal, which fails that file without reading a byte of it.
   */
  describe: (file: CatalogFile) => Promise<Pick<ObjectIdentity, 'md5' | 'parts'>>;
  signal?: AbortSignal;
  stream?: NodeJS.WriteStream;
}

export interface WarmResult {
  complete: CatalogFile[];
  incomplete: CatalogFile[];
  failed: Array<{ file: CatalogFile; error: unknown }>;
  bytesFromNetwork: number;
  /** Bytes of the files that were in the cache already. */
  bytesCached: number;
  interrupted: boolean;
}

export async function warmFiles(files: readonly CatalogFile[], opts: WarmOptions): Promise<WarmResult> {
  const result: WarmResult = { complete: [], incomplete: [], failed: [], bytesFromNetwork: 0, bytesCached: 0, interrupted: false };
  const total = files.reduce((sum, f) => sum + f.size, 0);
  const progress = new ProgressBar({ total, label: 'warm', ...(opts.stream ? { stream: opts.stream } : {}) });
  let pending = [...files];
  const refused = await describeAll(pending, opts);
  result.failed.push(...refused);
  pending = pending.filter((f) => !refused.some((r) => r.file === f));
  try {
    for (let pass = 1; pending.length > 0 && pass <= MAX_PASSES; pass++) {
      const cache = await opts.openCache();
      const before = cache.stats();
      try {
        const failed = await warmPass(cache, pending, opts, pass === 1 ? (n) => progress.add(n) : () => undefined);
        result.failed.push(...failed);
        const lost = new Set(failed.map((f) => f.file));
        pending = pending.filter((f) => !lost.has(f));
      } finally {
        const after = cache.stats();
        result.bytesFromNetwork += after.networkBytes - before.networkBytes;
        await cache.close(); // waits for the block writes under way
      }
      const cached = await cachedObjects(opts.openCache);
      const done = pending.filter((f) => isComplete(f, cached));
      result.complete.push(...done);
      pending = pending.filter((f) => !done.includes(f));
      if (opts.signal?.aborted) {
        result.interrupted = pending.length > 0;
        break;
      }
      if (pending.length > 0 && pass < MAX_PASSES) {
        progress.note(`${pending.length} file(s) not yet complete in the cache (block writes were skipped: disk busy or full): another pass`);
      }
    }
  } finally {
    progress.finish();
  }
  result.bytesCached = Math.max(0, total - result.bytesFromNetwork);
  result.incomplete = pending;
  return result;
}

async function warmPass(
  cache: BlockCache,
  files: readonly CatalogFile[],
  opts: WarmOptions,
  onBytes: (n: number) => void,
): Promise<Array<{ file: CatalogFile; error: unknown }>> {
  const limiter = new Limiter(opts.parallel);
  const failed = new Map<CatalogFile, unknown>();
  const steps: Array<Promise<void>> = [];
  for (const file of files) {
    for (let offset = 0; offset < file.size; offset += WARM_STEP_BYTES) {
      const length = Math.min(WARM_STEP_BYTES, file.size - offset);
      steps.push(
        limiter.run(async () => {
          // After Ctrl-C or a failure of this file, the steps not yet started are dropped.
          if (opts.signal?.aborted || failed.has(file)) return;
          try {
            await cache.fetchAhead(file, offset, length);
            onBytes(length);
          } catch (err) {
            if (!opts.signal?.aborted && !failed.has(file)) failed.set(file, err);
          }
        }),
      );
    }
  }
  await Promise.all(steps);
  return [...failed].map(([file, error]) => ({ file, error }));
}

/** Learns every file's MD5s (into the file); returns the files Score refused or could not describe. */
async function describeAll(files: readonly CatalogFile[], opts: WarmOptions): Promise<Array<{ file: CatalogFile; error: unknown }>> {
  const limiter = new Limiter(opts.parallel);
  const failed: Array<{ file: CatalogFile; error: unknown }> = [];
  await Promise.all(
    files.map((file) =>
      limiter.run(async () => {
        try {
          const c = await opts.describe(file);
          file.md5 = c.md5;
          if (c.parts) file.parts = c.parts;
          else delete file.parts;
        } catch (error) {
          failed.push({ file, error });
        }
      }),
    ),
  );
  return failed;
}

async function cachedObjects(openCache: () => Promise<BlockCache>): Promise<CachedObject[]> {
  const cache = await openCache();
  try {
    return await cache.objects();
  } finally {
    await cache.close();
  }
}

/** Whether every block of this version of the object is in the cache. */
export function isComplete(f: ObjectIdentity, cached: readonly CachedObject[]): boolean {
  return f.size === 0 || cached.some((c) => sameVersion(c.obj, f) && c.complete);
}

function sameVersion(a: ObjectIdentity, b: ObjectIdentity): boolean {
  if (a.id !== b.id || a.size !== b.size) return false;
  return a.md5 || b.md5 ? (a.md5 ?? '').toLowerCase() === (b.md5 ?? '').toLowerCase() : a.lastModified === b.lastModified;
}
