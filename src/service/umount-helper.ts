// The unmount helper: umount(8) runs `/sbin/umount.fuse.scorefs DIR [-flnrv] [-t fuse.scorefs]` for a
// mount of type fuse.scorefs. A bare umount(2) would leave the daemon running without its mount, so
// this runs `scorefs unmount DIR`: the daemon flushes its cache, unmounts and exits.
import { spawn } from 'node:child_process';
import { installation } from './paths.js';

export const UMOUNT_HELPER_NAME = 'umount.fuse.scorefs';

/** Set while `scorefs unmount` runs on our behalf: its own fallback `umount -l` must not come back here. */
const NESTED_ENV = 'SCOREFS_UMOUNT_HELPER';

/** umount(8)'s exit codes: 0 done, 1 bad usage, 32 the unmount failed. */
export async function runUmountHelper(argv: string[]): Promise<number> {
  const dirs = argv.filter((a, i) => !a.startsWith('-') && argv[i - 1] !== '-t' && argv[i - 1] !== '-N');
  if (dirs.length !== 1) {
    process.stderr.write(`${UMOUNT_HELPER_NAME}: usage: ${UMOUNT_HELPER_NAME} DIR [-flnrv] [-t fuse.scorefs]\n`);
    return 1;
  }
  const nested = process.env[NESTED_ENV] === '1';
  // nested: a plain detach, skipping helpers (-i)
  const [cmd, args] = nested ? ['umount', ['-i', '-l', dirs[0]!]] : [process.execPath, [installation.scorefsBin, 'unmount', dirs[0]!]];
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: 'inherit', env: { ...process.env, [NESTED_ENV]: '1' } });
    child.once('error', reject);
    child.once('exit', (c) => resolve(c));
  });
  return code === 0 ? 0 : 32;
}
