// A bigger kernel readahead keeps more FUSE reads in flight (128 KiB: two; 1024 KiB: up to 12), and
// lets each grow past 128 KiB, to 1 MiB, where fuse-max-pages.so is loaded (max-pages.ts). The knob is
// /sys/class/bdi/<major:minor>/read_ahead_kb, root-writable.
import { writeFile } from 'node:fs/promises';
import { logger } from '../util/log.js';
import { findMount } from './mountinfo.js';

const log = logger('fuse');

/** Best effort: returns whether the value was written. */
export async function raiseReadahead(mountpoint: string, kb: number): Promise<boolean> {
  try {
    const entry = await findMount(mountpoint);
    if (!entry) return false;
    await writeFile(`/sys/class/bdi/${entry.device}/read_ahead_kb`, `${kb}\n`);
    log.debug({ mountpoint, kb, device: entry.device }, 'raised kernel readahead');
    return true;
  } catch (err) {
    log.debug({ mountpoint, err: String(err) }, 'could not raise kernel readahead');
    return false;
  }
}
