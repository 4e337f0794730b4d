// A Debian 12 root filesystem with systemd, a user with linger, FUSE and samtools, made by mmdebstrap
// for booting with systemd-nspawn. Built once into a cache directory outside the repository and reused:
// its name holds a hash of how it is made, and it is built in a temporary directory renamed into place,
// so a killed build never leaves a half rootfs under the final name. Tests boot it with
// --volatile=overlay and never write into it.
import { createHash } from 'node:crypto';
import { mkdir, readdir, rename, stat } from 'node:fs/promises';
import path from 'node:path';
import { exec } from './exec.js';

const CACHE_DIR = '/var/cache/scorefs-test';
const BUILD_TIMEOUT_MS = 15 * 60_000;

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
  const r = await exec('mmdebstrap', ['--quiet', ...options, 'bookworm', partial], { timeoutMs: BUILD_TIMEOUT_MS });
  if (r.code !== 0) {
    await removeTree(partial);
    throw new Error(`mmdebstrap could not build the Debian 12 rootfs (exit ${r.code}; it needs apt access to deb.debian.org):\n${r.stderr}`);
  }
  await rename(partial, rootfs);
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

/** --one-file-system: a build killed midway may leave /proc, /sys or /dev mounted inside it. */
async function removeTree(dir: string): Promise<void> {
  await exec('rm', ['-rf', '--one-file-system', dir], { timeoutMs: 120_000 });
}

async function isDirectory(p: string): Promise<boolean> {
  return (await stat(p).catch(() => undefined))?.isDirectory() ?? false;
}
