// The cache as `scorefs cache` opens it: the directory from --cache-dir, SCOREFS_CACHE_DIR, the config
// file or the default, and a clear word on who holds it when a mount (or another command) has it open.
import path from 'node:path';
import type { Argv } from 'yargs';
import { BlockCache, type BlockCacheOptions } from '../cache/block-cache.js';
import { Unavailable } from '../errors.js';
import type { RangeSource } from '../model.js';
import { readConfigFile } from '../score/config.js';
import { findCacheHolder, inUseMessage } from './cache-holder.js';
import { defaultCacheDir, parseSize } from './mount-options.js';

export interface CacheDirArgs {
  cacheDir?: string;
  cacheSize?: string;
  config?: string;
}

export interface CacheLocation {
  dir: string;
  /** --cache-size, when given (warm evicts against it as the mount would). */
  sizeBytes?: number;
}

export function cacheDirOption<T>(yargs: Argv<T>): Argv<T> {
  return yargs.option('cache-dir', { type: 'string', describe: 'the cache (default $XDG_CACHE_HOME/scorefs or ~/.cache/scorefs)' }) as Argv<T>;
}

/** Flags, then the environment (as `scorefs mount` reads it), then the config file, then the default. */
export async function resolveCacheLocation(args: CacheDirArgs, env: NodeJS.ProcessEnv): Promise<CacheLocation> {
  const configFile = args.config ?? (env.SCOREFS_CONFIG || undefined);
  const file = configFile ? await readConfigFile(configFile) : new Map<string, string>();
  const dir = path.resolve(args.cacheDir ?? (env.SCOREFS_CACHE_DIR || file.get('cache-dir') || undefined) ?? defaultCacheDir(env));
  const size = args.cacheSize ?? (env.SCOREFS_CACHE_SIZE || file.get('cache-size') || undefined);
  return { dir, ...(size !== undefined ? { sizeBytes: parseSize(size, 'cache-size') } : {}) };
}

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
