// /proc/self/mountinfo: which filesystem is mounted where (and its device number, for readahead).
import { readFile, realpath } from 'node:fs/promises';
import path from 'node:path';

export interface MountEntry {
  /** major:minor of the mount's device, as /sys/class/bdi names it. */
  device: string;
  mountpoint: string;
  fstype: string;
  source: string;
}

export async function readMountinfo(): Promise<MountEntry[]> {
  const text = await readFile('/proc/self/mountinfo', 'utf8');
  const entries: MountEntry[] = [];
  for (const line of text.split('\n')) {
    const fields = line.split(' ');
    const sep = fields.indexOf('-');
    if (fields.length < 10 || sep < 6) continue;
    entries.push({ device: fields[2]!, mountpoint: unescape(fields[4]!), fstype: fields[sep + 1]!, source: unescape(fields[sep + 2]!) });
  }
  return entries;
}

/** The topmost mount at exactly `mountpoint` (a canonical path), if any. */
export async function findMount(mountpoint: string): Promise<MountEntry | undefined> {
  return (await readMountinfo()).filter((m) => m.mountpoint === mountpoint).pop();
}

export function isFuse(entry: MountEntry): boolean {
  return entry.fstype === 'fuse' || entry.fstype.startsWith('fuse.');
}

/**
 * The path mountinfo would show for `p`: the parent resolved through symlinks, the last component
 * kept as is (a dead FUSE mount at `p` itself cannot be stat'ed, so realpath(p) would fail).
 */
export async function canonicalMountpoint(p: string): Promise<string> {
  const abs = path.resolve(p);
  if (abs === '/') return abs;
  return path.join(await realpath(path.dirname(abs)), path.basename(abs));
}

function unescape(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}
