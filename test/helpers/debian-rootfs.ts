// A Debian 12 root filesystem with systemd, a user with linger, FUSE and samtools, made by mmdebstrap
// for booting with systemd-nspawn. Built once into a cache directory outside the repository and reused:
// its name holds a hash of how it is made, and it is built in a temporary directory renamed into place,
// so a killed build never leaves a half rootfs under the final name. Tests boot it with
// --volatile=overlay and never write into it.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { mkdir, readdir, rename, stat } from 'node:fs/promises';
import path from 'node:path';
import { exec } from './exec.js';
import { mountpointsUnder } from './mount.js';

const CACHE_DIR = '/var/cache/scorefs-test';
/** Cold builds took 12-81 s on the test machine; below ava's 5 min so the error is mmdebstrap's, not ava's timeout. */
const BUILD_TIMEOUT_MS = 4 * 60_000;

/** The user whose lingering user manager starts the user unit at boot. */
export const ROOTFS_USER = { name: 'scorefs-user', uid: 4711, home: '/home/scorefs-user' } as const;

const PACKAGES = ['systemd', 'systemd-sysv', 'dbus', 'dbus-user-session', 'libpam-systemd', 'fuse', 'libfuse2', 'samtools', 'passwd'];

/** mmdebstrap's options; the mirrors are its defaults for a stable suite (deb.debian.org, with updates and security). */
function mmdebstrapOptions(): string[] {
  const u = ROOTFS_USER;
  return [
    '--variant=minbase',
    `--include=${PACKAGES.join(',')}`,
    // no home directory: the test binds one from the host
    `--customize-hook=chroot "$1" useradd --uid ${u.uid} --user-group --shell /bin/bash --home-dir ${u.home} ${u.name}`,
    // what `loginctl enable-linger` writes: the user's manager starts at boot, without a login
    `--customize-hook=mkdir -p "$1/var/lib/systemd/linger" && touch "$1/var/lib/systemd/linger/${u.name}"`,
  ];
}

/** The cached rootfs, built first when missing. */
export async function debianRootfs(log: (line: string) => void): Promise<string> {
  const options = mmdebstrapOptions();
  const hash = createHash('sha256').update(JSON.stringify(['bookworm', options])).digest('hex').slice(0, 16);
  const rootfs = path.join(CACHE_DIR, `rootfs-${hash}`);
  if (await isDirectory(rootfs)) return rootfs;

  await mkdir(CACHE_DIR, { recursive: true });
  await removeAbandonedBuilds();
  const partial = `${rootfs}.partial-${process.pid}`;
  const started = Date.now();
  const r = await mmdebstrap([...options, 'bookworm', partial]);
  if (r.code !== 0) {
    await removeTree(partial);
    throw new Error(`mmdebstrap could not build the Debian 12 rootfs (${r.code === null ? `stopped after ${BUILD_TIMEOUT_MS / 1000} s` : `exit ${r.code}`}; it needs apt access to deb.debian.org):\n${r.stderr}`);
  }
  try {
    await rename(partial, rootfs);
  } catch (err) {
    // another test run built it meanwhile: use that one
    await removeTree(partial);
    if (!(await isDirectory(rootfs))) throw err;
  }
  log(`built ${rootfs} with mmdebstrap in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return rootfs;
}

/** Temporary directories of builds whose process is gone (killed, or the machine went down). */
async function removeAbandonedBuilds(): Promise<void> {
  for (const entry of await readdir(CACHE_DIR)) {
    const m = /\.partial-(\d+)$/.exec(entry);
    if (m && !(await isDirectory(`/proc/${m[1]}`))) await removeTree(path.join(CACHE_DIR, entry));
  }
}

/**
 * mmdebstrap in its own process group: its children (apt, dpkg, more mmdebstrap processes) outlive
 * a kill of the first process alone, and go on building; at the deadline the whole group is stopped
 * (SIGTERM lets mmdebstrap unmount what it mounted in the tree).
 */
async function mmdebstrap(args: string[]): Promise<{ code: number | null; stderr: string }> {
  const child = spawn('mmdebstrap', ['--quiet', ...args], { detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-16 * 1024)));
  const signalGroup = (signal: NodeJS.Signals): void => {
    try {
      process.kill(-child.pid!, signal);
    } catch {
      // the group is gone
    }
  };
  const term = setTimeout(() => signalGroup('SIGTERM'), BUILD_TIMEOUT_MS);
  const kill = setTimeout(() => signalGroup('SIGKILL'), BUILD_TIMEOUT_MS + 20_000);
  const [code] = (await once(child, 'close')) as [number | null];
  clearTimeout(term);
  clearTimeout(kill);
  return { code, stderr };
}

/**
 * A build killed midway (SIGKILL) leaves /proc, /sys, /dev/pts… mounted in its tree: those are
 * detached first, and rm does not cross into another filesystem anyway.
 */
async function removeTree(dir: string): Promise<void> {
  for (const mountpoint of (await mountpointsUnder(dir)).reverse()) await exec('umount', ['--lazy', mountpoint], { timeoutMs: 30_000 });
  await exec('rm', ['-rf', '--one-file-system', dir], { timeoutMs: 120_000 });
}

async function isDirectory(p: string): Promise<boolean> {
  return (await stat(p).catch(() => undefined))?.isDirectory() ?? false;
}
