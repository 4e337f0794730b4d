// Who holds a cache directory's lock: the process with an open file named LOCK under it (found
// through /proc), and the mountpoint if that process is a scorefs mount. For error messages only.
import { readdir, readFile, readlink } from 'node:fs/promises';
import path from 'node:path';

export interface CacheHolder {
  pid: number;
  /** The holder's command line. */
  argv: string[];
  /** Set when the holder is `scorefs mount MOUNTPOINT …`. */
  mountpoint?: string;
}

export async function findCacheHolder(cacheDir: string): Promise<CacheHolder | undefined> {
  const prefix = path.resolve(cacheDir) + path.sep;
  const pids = (await readdir('/proc').catch(() => [] as string[])).filter((n) => /^\d+$/.test(n)).map(Number);
  for (const pid of pids) {
    if (pid === process.pid) continue;
    const fds = await readdir(`/proc/${pid}/fd`).catch(() => [] as string[]);
    for (const fd of fds) {
      const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
      if (target.startsWith(prefix) && path.basename(target) === 'LOCK') return describe(pid);
    }
  }
  return undefined;
}

async function describe(pid: number): Promise<CacheHolder> {
  const argv = (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).split('\0').filter((a) => a !== '');
  const at = argv.findIndex((a, i) => a === 'mount' && /scorefs/.test(argv[i - 1] ?? ''));
  const operand = at >= 0 ? firstOperand(argv.slice(at + 1)) : undefined;
  if (!operand) return { pid, argv };
  const cwd = await readlink(`/proc/${pid}/cwd`).catch(() => '/');
  return { pid, argv, mountpoint: path.resolve(cwd, operand) };
}

/** `scorefs mount`'s positional argument: the first word that is neither an option nor its value. */
function firstOperand(args: string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (!a.startsWith('-')) return a;
    if (!a.includes('=') && !MOUNT_SWITCHES.has(a.replace(/^--?/, ''))) i++; // skip the option's value
  }
  return undefined;
}

const MOUNT_SWITCHES = new Set(['foreground', 'allow-other', 'no-allow-other', 'no-foreground']);

/** The one-line reason a cache cannot be opened because `holder` uses it. */
export function inUseMessage(cacheDir: string, holder: CacheHolder | undefined): string {
  if (holder?.mountpoint) {
    return `the cache ${cacheDir} is in use by the mount at ${holder.mountpoint} (pid ${holder.pid}); unmount first (scorefs unmount ${holder.mountpoint}) or use another --cache-dir`;
  }
  if (holder) {
    const cmd = holder.argv.slice(holder.argv.findIndex((a) => /scorefs/.test(a)) + 1).join(' ');
    return `the cache ${cacheDir} is in use by another scorefs process (pid ${holder.pid}${cmd ? `: scorefs ${cmd}` : ''}); wait for it to end or use another --cache-dir`;
  }
  return `the cache ${cacheDir} is in use by another scorefs process; wait for it to end, unmount, or use another --cache-dir`;
}
