// The cache as `scorefs cache` opens it, with a clear word on who holds it when a mount (or another
// command) has it open. Its directory is the table's cache-dir (src/cli/options/).
import { BlockCache, type BlockCacheOptions } from '../cache/block-cache.js';
import { Unavailable } from '../errors.js';
import type { RangeSource } from '../model.js';
import { findCacheHolder, inUseMessage } from './cache-holder.js';

/** For the commands that read no object bytes (stats, verify, clear). */
const noNetwork = (): Promise<never> => Promise.reject(new Unavailable('this command reads no object bytes from the network'));
export const NO_NETWORK: RangeSource = { fetchRange: noNetwork, fetchSegments: noNetwork };

/**
 * Opens the cache (`create: false`: only an existing one), naming the holder when it is in use.
 * Sets the process umask to 077 first, so the files the cache index writes, now and later, are
 * private too: every command that opens a cache writes no file of the user's (download, which does,
 * opens none).
 */
export async function openCache(opts: BlockCacheOptions): Promise<BlockCache> {
  process.umask(0o077);
  try {
    return await BlockCache.open(opts);
  } catch (err) {
    if (!isLocked(err)) throw err;
    throw new Unavailable(inUseMessage(opts.dir, await findCacheHolder(opts.dir)), { cause: err });
  }
}

/** Whether the failure is LevelDB's lock held by another process (somewhere in the cause chain). */
function isLocked(err: unknown): boolean {
  for (let e = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if ((e as { code?: unknown }).code === 'LEVEL_LOCKED') return true;
  }
  return false;
}
