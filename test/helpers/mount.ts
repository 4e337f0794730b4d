// Runs `scorefs mount` (daemon mode) on a fresh temporary mountpoint and always unmounts at
// teardown: `scorefs unmount`, then `fusermount -uz` / `umount -l` if anything is left.
import { execFile, spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ExecutionContext } from 'ava';
import type { ExecResult } from './exec.js';
import { checkoutScorefs } from './paths.js';

export interface MountOptions {
  serverUrl: string;
  /** Default: a new directory removed at teardown. Pass one to share a cache between mounts. */
  cacheDir?: string;
  layout?: 'bundle' | 'study' | 'object-id';
  extraArgs?: string[];
  /** Added to the environment of `scorefs mount` (e.g. ACCESSTOKEN). */
  env?: Record<string, string>;
  /** Default: a new empty directory. Pass one to mount again on the same place. */
  mountpoint?: string;
  /** The command that runs scorefs; default this checkout's. */
  scorefs?: readonly string[];
  /** Run `scorefs mount` under this umask (e.g. '022'). */
  umask?: string;
}

export interface MountedScorefs {
  mnt: string;
  pid: number;
  cacheDir: string;
  logFile: string;
  /** What `scorefs mount` printed. */
  stdout: string;
  stderr: string;
  /** Unmounts (idempotent); also runs at teardown. */
  stop(): Promise<void>;
}

/**
 * Runs the CLI (this checkout's, or `opts.scorefs`) to completion (60 s at most); with `opts.umask`
 * (e.g. '022'), under that umask as a shell sets it.
 */
export function runScorefs(args: string[], env: Record<string, string> = {}, opts: { scorefs?: readonly string[]; umask?: string } = {}): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const scorefs = opts.scorefs ?? checkoutScorefs;
    const [cmd, argv] = opts.umask
      ? ['sh', ['-c', `umask ${opts.umask} && exec "$0" "$@"`, ...scorefs, ...args]]
      : [scorefs[0]!, [...scorefs.slice(1), ...args]];
    const child = spawn(cmd, argv, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** A temporary directory for mountpoints and caches, removed at teardown (with `t`) after every mount under it is gone. */
export async function mountWorkDir(t: ExecutionContext | undefined): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'scorefs-mount-'));
  const cleanup = async (): Promise<void> => {
    await forceUnmountUnder(dir);
    await rm(dir, { recursive: true, force: true });
  };
  t?.teardown(cleanup);
  return dir;
}

/**
 * Mounts; throws (with the CLI's stderr and the log's tail) when `scorefs mount` fails. With `t`
 * undefined (shared mounts in test.before), call stop() in test.after.always.
 */
export async function mountScorefs(t: ExecutionContext | undefined, opts: MountOptions): Promise<MountedScorefs> {
  const work = await mountWorkDir(t);
  const mnt = opts.mountpoint ?? path.join(work, 'mnt');
  const cacheDir = opts.cacheDir ?? path.join(work, 'cache');
  // a stale mount left there (ENOTCONN) is for `scorefs mount` to clear
  await mkdir(mnt, { recursive: true }).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOTCONN') throw err;
  });
  const logFile = path.join(cacheDir, 'scorefs.log');
  const args = ['mount', mnt, '--storage-url', opts.serverUrl, '--cache-dir', cacheDir, '--layout', opts.layout ?? 'bundle', ...(opts.extraArgs ?? [])];
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await runScorefs(['unmount', mnt], {}, opts.scorefs ? { scorefs: opts.scorefs } : {}).catch(() => undefined);
    await forceUnmount(mnt);
  };
  if (t) t.teardown(stop);
  const result = await runScorefs(args, opts.env, { ...(opts.scorefs ? { scorefs: opts.scorefs } : {}), ...(opts.umask ? { umask: opts.umask } : {}) });
  if (result.code !== 0) {
    await stop();
    if (!t) await rm(work, { recursive: true, force: true });
    const log = await readFile(logFile, 'utf8').catch(() => '');
    throw new Error(`scorefs mount failed (${result.code}): ${result.stderr}\nlog tail:\n${log.split('\n').slice(-10).join('\n')}`);
  }
  const pid = Number(/pid (\d+)/.exec(result.stdout)?.[1]);
  return {
    mnt,
    pid,
    cacheDir,
    logFile,
    stdout: result.stdout,
    stderr: result.stderr,
    stop: async () => {
      await stop();
      if (!t) await rm(work, { recursive: true, force: true });
    },
  };
}

/** Whether anything is mounted at `mnt` (per /proc/self/mountinfo). */
export async function isMounted(mnt: string): Promise<boolean> {
  return (await mountpointsUnder(mnt)).includes(mnt);
}

/** Mountpoints at or under `dir` (per /proc/self/mountinfo). */
export async function mountpointsUnder(dir: string): Promise<string[]> {
  const text = await readFile('/proc/self/mountinfo', 'utf8');
  return text
    .split('\n')
    .map((l) => l.split(' ')[4])
    .filter((m): m is string => !!m && (m === dir || m.startsWith(dir + '/')))
    .map((m) => m.replace(/\\040/g, ' '));
}

async function forceUnmountUnder(dir: string): Promise<void> {
  for (const m of await mountpointsUnder(dir)) await forceUnmount(m);
}

async function forceUnmount(mnt: string): Promise<void> {
  for (const [cmd, args] of [['fusermount', ['-uz', mnt]], ['umount', ['-l', mnt]]] as const) {
    if (!(await isMounted(mnt))) return;
    await new Promise<void>((resolve) => execFile(cmd, [...args], { timeout: 10_000 }, () => resolve()));
  }
}

/** Whether process `pid` has fuse-max-pages.so mapped (a mount made in the mount environment). */
export async function mapsMaxPagesLibrary(pid: number): Promise<boolean> {
  return /\/fuse-max-pages\.so$/m.test(await readFile(`/proc/${pid}/maps`, 'utf8'));
}
