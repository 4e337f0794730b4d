// The block cache's reference-model check: random reads compared byte for byte with the source
// files, with the cache closed and reopened, and block files corrupted, cut short or deleted between
// steps. Shared by the local-file and the HTTP (`scorefs serve`) runs.
import { open, readdir, rm, stat, truncate } from 'node:fs/promises';
import path from 'node:path';
import type { ExecutionContext } from 'ava';
import fc from 'fast-check';
import { BlockCache, type BlockCacheOptions } from '../../src/cache/block-cache.js';
import { BlockFiles, segmentBytesFor } from '../../src/cache/block-files.js';
import { layoutRoot } from '../../src/cache/cache-dir.js';
import { CacheIndex } from '../../src/cache/cache-index.js';
import { objectKey } from '../../src/cache/object-key.js';
import { DEFAULT_DISK_BYTES } from '../../src/cache/options.js';
import { isRangeUnit } from '../../src/cache/range-units.js';
import type { ReadStreamHandle } from '../../src/model.js';
import type { CacheBackend } from './cache-backend.js';

export const MODEL_BLOCK = 4096;
/** Sizes that sit on and around block edges, plus a few multi-block objects. */
export const MODEL_SIZES = [0, 1, 4095, 4096, 4097, 3 * 4096 + 123, 50_000, 70_001];
export const MODEL_PART_SIZE = 10_000;

type Step =
  | { kind: 'read'; o: number; offset: number; length: number; stream: boolean }
  | { kind: 'reopen' }
  | { kind: 'damage'; o: number; block: number; how: 'flip' | 'truncate' | 'delete' };

const stepArb = (objects: number): fc.Arbitrary<Step> =>
  fc.oneof(
    { weight: 8, arbitrary: fc.record({ kind: fc.constant('read' as const), o: fc.nat(objects - 1), offset: fc.nat(90_000), length: fc.nat(3 * MODEL_BLOCK + 200), stream: fc.boolean() }) },
    { weight: 1, arbitrary: fc.constant({ kind: 'reopen' as const }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('damage' as const), o: fc.nat(objects - 1), block: fc.nat(20), how: fc.constantFrom('flip' as const, 'truncate' as const, 'delete' as const) }) },
  );

const configArb = fc.record({
  memoryBytes: fc.constantFrom(0, 0, 2 * MODEL_BLOCK, 16 * MODEL_BLOCK),
  diskBytes: fc.constantFrom(4 * MODEL_BLOCK, 16 * MODEL_BLOCK, 256 * MODEL_BLOCK),
  maxFetchBytes: fc.constantFrom(MODEL_BLOCK, 4 * MODEL_BLOCK),
  fetchConcurrency: fc.constantFrom(1, 3),
});

/** Runs the model; `cacheDir()` gives a fresh directory per run. */
export async function checkAgainstModel(
  t: ExecutionContext,
  backend: CacheBackend,
  cacheDir: () => Promise<string>,
  runs: number,
  extra: Partial<BlockCacheOptions> = {},
): Promise<{ reads: number; damaged: number; reopens: number; checksumFailures: number; md5Failures: number }> {
  const totals = { reads: 0, damaged: 0, reopens: 0, checksumFailures: 0, md5Failures: 0 };
  const n = backend.objects.length;
  await fc.assert(
    fc.asyncProperty(configArb, fc.array(stepArb(n), { minLength: 5, maxLength: 60, size: 'medium' }), async (config, steps) => {
      const dir = await cacheDir();
      const options: BlockCacheOptions = {
        dir,
        source: backend.source,
        blockSize: MODEL_BLOCK,
        minFreeBytes: 0,
        prefetchMaxBytes: 8 * MODEL_BLOCK,
        prefetchBudgetBytes: 16 * MODEL_BLOCK,
        readDeadlineMs: 30_000,
        ...config,
        ...extra,
      };
      let cache = await BlockCache.open(options);
      let streams = new Map<number, ReadStreamHandle>();
      try {
        for (const step of steps) {
          if (step.kind === 'reopen') {
            await cache.close();
            totals.checksumFailures += cache.stats().checksumFailures;
            totals.md5Failures += cache.stats().md5Failures;
            cache = await BlockCache.open(options);
            streams = new Map();
            totals.reopens++;
          } else if (step.kind === 'damage') {
            const { obj, bytes } = backend.objects[step.o]!;
            const blocks = Math.ceil(obj.size / MODEL_BLOCK);
            if (blocks === 0) continue;
            const block = step.block % blocks;
            if (!(await damageBlock(dir, obj, block, step.how, options))) continue;
            totals.damaged++;
            // Read the damaged block back at once (from disk unless the memory tier still has it).
            const got = await cache.read(obj, block * MODEL_BLOCK, MODEL_BLOCK);
            if (!got.equals(bytes.subarray(block * MODEL_BLOCK, (block + 1) * MODEL_BLOCK))) {
              t.log(`object ${step.o} block ${block} (${step.how}): damaged bytes were served`);
              return false;
            }
          } else {
            const { obj, bytes } = backend.objects[step.o]!;
            const offset = step.offset % (obj.size + 2 * MODEL_BLOCK + 1);
            let stream = streams.get(step.o);
            if (step.stream && !stream) streams.set(step.o, (stream = cache.openStream(obj)));
            const got = await cache.read(obj, offset, step.length, step.stream ? { stream } : {});
            const want = bytes.subarray(Math.min(offset, bytes.length), Math.min(offset + step.length, bytes.length));
            totals.reads++;
            if (!got.equals(want)) {
              t.log(`object ${step.o} (size ${obj.size}) read(${offset}, ${step.length}): ${got.length} bytes differ from the source`);
              return false;
            }
            const { diskBytes } = cache.stats();
            if (diskBytes > options.diskBytes!) {
              t.log(`disk tier holds ${diskBytes} bytes over its cap ${options.diskBytes}`);
              return false;
            }
          }
        }
        return true;
      } finally {
        await cache.close();
        totals.checksumFailures += cache.stats().checksumFailures;
        totals.md5Failures += cache.stats().md5Failures;
        await rm(dir, { recursive: true, force: true });
      }
    }),
    { numRuns: runs, interruptAfterTimeLimit: 120_000 },
  );
  return totals;
}

/** The cache's sizes that decide where a block lives on disk (the defaults of BlockCache.open otherwise). */
export interface Layout {
  blockSize?: number;
  diskBytes?: number;
}

/** Where block `block` of obj lives on disk: its file and where in it the block starts (block-files.ts). */
export function blockLocation(dir: string, obj: Parameters<typeof objectKey>[0], block: number, layout: Layout = {}): { file: string; at: number } {
  const blockSize = layout.blockSize ?? MODEL_BLOCK;
  const files = new BlockFiles(path.join(layoutRoot(dir), 'blocks'), blockSize, segmentBytesFor(layout.diskBytes ?? DEFAULT_DISK_BYTES));
  const okey = objectKey(obj, blockSize);
  return { file: files.pathOf(okey, block), at: files.offsetOf(block) };
}

/**
 * Damages block `block` of obj on disk if its file holds it; true if it did. `delete` removes the
 * block's whole file (its segment), `truncate` cuts the file one byte into the block, `flip` inverts
 * the block's first byte.
 */
export async function damageBlock(dir: string, obj: Parameters<typeof objectKey>[0], block: number, how: 'flip' | 'truncate' | 'delete', layout: Layout = {}): Promise<boolean> {
  const { file, at } = blockLocation(dir, obj, block, layout);
  try {
    if ((await stat(file)).size <= at) return false;
    if (how === 'delete') await rm(file);
    else if (how === 'truncate') await truncate(file, at + 1);
    else {
      const fh = await open(file, 'r+');
      try {
        const b = Buffer.alloc(1);
        await fh.read(b, 0, 1, at);
        b[0]! ^= 0xff;
        await fh.write(b, 0, 1, at);
      } finally {
        await fh.close();
      }
    }
    return true;
  } catch {
    return false;
  }
}

/** The names of the files in obj's directory of the cache in `dir` (segment files, small ranges, strays). */
export async function objectFiles(dir: string, obj: Parameters<typeof objectKey>[0], blockSize = MODEL_BLOCK): Promise<string[]> {
  return (await readdir(path.dirname(blockLocation(dir, obj, 0, { blockSize }).file)).catch(() => [] as string[])).sort();
}

/** The blocks of obj the closed cache in `dir` holds (its index names), in order. */
export async function blocksHeld(dir: string, obj: Parameters<typeof objectKey>[0], blockSize = MODEL_BLOCK): Promise<number[]> {
  const index = await CacheIndex.open(path.join(layoutRoot(dir), 'index'));
  try {
    const held = [];
    for await (const [n] of index.blocksOf(objectKey(obj, blockSize))) if (!isRangeUnit(n)) held.push(n);
    return held;
  } finally {
    await index.close();
  }
}
