// Which daemon serves which mountpoint: one small JSON file per mount in the runtime directory
// ($XDG_RUNTIME_DIR/scorefs, else /tmp/scorefs-<uid>), so `scorefs unmount` can stop it cleanly.
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

export interface MountRecord {
  pid: number;
  mountpoint: string;
  logFile: string;
  startedAt: number;
}

export function runtimeDir(): string {
  const xdg = process.env.XDG_RUNTIME_DIR;
  return xdg ? path.join(xdg, 'scorefs') : path.join(os.tmpdir(), `scorefs-${process.getuid?.() ?? 'user'}`);
}

function recordPath(mountpoint: string): string {
  const key = createHash('sha256').update(mountpoint).digest('hex').slice(0, 24);
  return path.join(runtimeDir(), `mount-${key}.json`);
}

export async function writeMountRecord(record: MountRecord): Promise<void> {
  const file = recordPath(record.mountpoint);
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(record) + '\n', { mode: 0o600 });
  await rename(tmp, file);
}

export async function readMountRecord(mountpoint: string): Promise<MountRecord | undefined> {
  try {
    const record = JSON.parse(await readFile(recordPath(mountpoint), 'utf8')) as MountRecord;
    return record.mountpoint === mountpoint && Number.isInteger(record.pid) ? record : undefined;
  } catch {
    return undefined;
  }
}

/** Removes the record if it is (still) the one of `pid`. */
export async function removeMountRecord(mountpoint: string, pid?: number): Promise<void> {
  const record = await readMountRecord(mountpoint);
  if (record && pid !== undefined && record.pid !== pid) return;
  await rm(recordPath(mountpoint), { force: true });
}

/**
 * Whether `pid` is a running scorefs process (not gone, not a zombie; this machine's PID 1 may not
 * reap, so a killed daemon can linger as one).
 */
export async function isScorefsProcess(pid: number): Promise<boolean> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    if (state === 'Z' || state === 'X') return false;
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8');
    return cmdline.includes('scorefs');
  } catch {
    return false;
  }
}
