// Parsers of option texts (sizes, durations) and what `scorefs mount` checks of its paths.
import { realpath } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { InvalidInput } from '../errors.js';

const UNITS: Record<string, number> = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 };

/**
 * "50G", "512M", "1.5T", "4096" (bytes); K/M/G/T are binary (KiB, MiB, …), a trailing B or iB is
 * allowed. `label` (e.g. --cache-size) is named in the error.
 */
export function parseSize(text: string, label?: string): number {
  const named = label ? `${label}: ` : '';
  const m = /^\s*(\d+(?:\.\d+)?)\s*([KMGT]?)(?:i?B)?\s*$/i.exec(text);
  if (!m) throw new InvalidInput(`${named}not a size: "${text}" (examples: 50G, 512M, 1T; 0 for none)`);
  const bytes = Math.floor(Number(m[1]) * UNITS[m[2]!.toUpperCase()]!);
  if (!Number.isSafeInteger(bytes)) throw new InvalidInput(`${named}size too large: "${text}"`);
  return bytes;
}

const SECONDS: Record<string, number> = { '': 1, s: 1, m: 60, h: 3600, d: 86_400 };

/** "12h", "30m", "90s", "1d", "45" (seconds) as milliseconds; `what` names the option in the error. */
export function parseDuration(text: string, what: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$/i.exec(text);
  const ms = m ? Math.round(Number(m[1]) * SECONDS[m[2]!.toLowerCase()]! * 1000) : NaN;
  if (!(ms > 0) || !Number.isSafeInteger(ms)) throw new InvalidInput(`${what} must be a positive duration such as 12h, 30m or 90s (seconds without a unit), not "${text}"`);
  return ms;
}

export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'scorefs');
}

/**
 * The cache directory and the log cannot be inside the mountpoint: written there before mounting,
 * they make it non-empty (and every later mount fails); after, they would be hidden by the mount.
 */
export async function checkOutsideMountpoint(mountpoint: string, paths: Array<{ option: string; path: string }>): Promise<void> {
  const mnt = await realpath(mountpoint).catch(() => mountpoint);
  for (const { option, path: p } of paths) {
    const real = await realDeepest(p);
    for (const m of new Set([mountpoint, mnt])) {
      if (real === m || real.startsWith(m + path.sep) || p === m || p.startsWith(m + path.sep)) {
        throw new InvalidInput(`--${option} ${p} is inside the mountpoint ${mountpoint}: put it elsewhere (the mount would hide it)`);
      }
    }
  }
}

/** `p` with its deepest existing ancestor resolved through symlinks. */
async function realDeepest(p: string): Promise<string> {
  const rest: string[] = [];
  for (let dir = p; ; dir = path.dirname(dir)) {
    const real = await realpath(dir).catch(() => undefined);
    if (real !== undefined) return path.join(real, ...rest.reverse());
    if (dir === path.dirname(dir)) return p;
    rest.push(path.basename(dir));
  }
}

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
