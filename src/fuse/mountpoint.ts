// Checks before mounting: the mountpoint is an empty directory with nothing (alive) mounted on it;
// a dead mount left by a killed daemon is cleared first.
import { readdir, stat } from 'node:fs/promises';
import { InvalidInput } from '../errors.js';
import { clearMount, mountState } from './clear-mount.js';
import { isScorefsProcess, readMountRecord } from './mount-registry.js';
import { canonicalMountpoint } from './mountinfo.js';

/** Returns the canonical mountpoint, ready to mount on; throws InvalidInput saying why not. */
export async function prepareMountpoint(mountpointArg: string): Promise<string> {
  let mountpoint: string;
  try {
    mountpoint = await canonicalMountpoint(mountpointArg);
  } catch {
    throw new InvalidInput(`mountpoint ${mountpointArg}: its parent directory does not exist`);
  }
  const state = await mountState(mountpoint);
  if (state === 'stale' || state === 'unresponsive') {
    await clearMount(mountpoint);
  } else if (state === 'fuse' || state === 'other') {
    const record = await readMountRecord(mountpoint);
    if (record && (await isScorefsProcess(record.pid))) {
      throw new InvalidInput(`${mountpoint} is already mounted by scorefs (pid ${record.pid}); run: scorefs unmount ${mountpoint}`);
    }
    throw new InvalidInput(`something is already mounted at ${mountpoint}`);
  }
  let isDir: boolean;
  try {
    isDir = (await stat(mountpoint)).isDirectory();
  } catch (err) {
    throw new InvalidInput(`mountpoint ${mountpoint} does not exist (${(err as NodeJS.ErrnoException).code}): create it with mkdir`);
  }
  if (!isDir) throw new InvalidInput(`mountpoint ${mountpoint} is not a directory`);
  if ((await readdir(mountpoint)).length > 0) {
    throw new InvalidInput(`mountpoint ${mountpoint} is not empty: scorefs mounts only on an empty directory (the files would be hidden)`);
  }
  return mountpoint;
}
