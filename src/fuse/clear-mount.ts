// Detaching a mount: `fusermount -uz` (works for the unprivileged too), else `umount -l` (root).
import { execFile } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { findMount, isFuse } from './mountinfo.js';

const COMMAND_TIMEOUT_MS = 10_000;

export async function clearMount(mountpoint: string): Promise<void> {
  try {
    await run('fusermount', ['-uz', mountpoint]);
  } catch (first) {
    try {
      await run('umount', ['-i', '-l', mountpoint]); // -i: never loop through our own umount helper
    } catch (second) {
      throw new Error(`cannot unmount ${mountpoint}: ${message(first)}; ${message(second)}`);
    }
  }
}

export type MountState = 'none' | 'fuse' | 'stale' | 'unresponsive' | 'other';

/**
 * What is mounted at `mountpoint` (canonical): nothing, a FUSE mount that answers, a dead one
 * (ENOTCONN: its daemon is gone), one that does not answer a stat within `timeoutMs`, or a non-FUSE mount.
 */
export async function mountState(mountpoint: string, timeoutMs = 5000): Promise<MountState> {
  const entry = await findMount(mountpoint);
  const probe = stat(mountpoint).then(
    () => 'ok' as const,
    (err: NodeJS.ErrnoException) => (err.code === 'ENOTCONN' || err.code === 'ECONNABORTED' ? ('dead' as const) : ('error' as const)),
  );
  const timer = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), timeoutMs).unref());
  const answer = await Promise.race([probe, timer]);
  if (answer === 'dead') return 'stale';
  if (!entry) return 'none';
  if (!isFuse(entry)) return 'other';
  return answer === 'timeout' ? 'unresponsive' : 'fuse';
}

function run(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) =>
    execFile(cmd, args, { timeout: COMMAND_TIMEOUT_MS }, (err, _stdout, stderr) =>
      err ? reject(new Error(`${cmd} ${args.join(' ')}: ${stderr.trim() || err.message}`)) : resolve(),
    ),
  );
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
