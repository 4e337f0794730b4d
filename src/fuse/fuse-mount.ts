// Mounting the vfs with fuse-native (the only module that imports it), with the options that
// suit immutable remote objects, and unmounting it again.
import Fuse, { type FuseOptions } from 'fuse-native';
import { access, constants, readFile, stat, statfs } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { isMainThread } from 'node:worker_threads';
import { InvalidInput } from '../errors.js';
import { logger } from '../util/log.js';
import { clearMount } from './clear-mount.js';
import { VfsFuseOps, type ReadObserver, type TreeSource } from './fuse-ops.js';
import { mountMaxRead } from './max-pages.js';
import { raiseReadahead } from './readahead.js';

const log = logger('fuse');

export interface FuseMountOptions {
  /** Canonical path of an existing, empty directory. */
  mountpoint: string;
  allowOther?: boolean;
  /** Kernel readahead for the mount, KiB (0: none); default READAHEAD_KB. */
  readaheadKb?: number;
  debug?: boolean;
  /** How long mounting (fusermount + INIT) may take. */
  mountTimeoutMs?: number;
  /** Told of every completed read (the mount's latency metrics). */
  onRead?: ReadObserver;
}

/**
 * Kernel readahead of the mount by default, KiB (`--read-ahead`): the kernel's own default. A random read's readahead then grows
 * by 128 KiB at a time (64 then 128 KiB after a 4 KiB read) and stays close to what a region query
 * reads, which the cache fetches as small ranges; at 4096 its windows grow 512 KiB, 2 MiB... and a
 * region costs whole blocks. Sequential reading is prefetched by the daemon itself.
 */
const READAHEAD_KB = 128;
/** Seconds the kernel may cache names and attributes: the objects are immutable. */
const ATTR_TIMEOUT_S = 3600;
/** A name that was missing is asked again after this long (new files appear with catalog refreshes). */
const NEGATIVE_TIMEOUT_S = 5;

// fuse-native unmounts with `fusermount -uz` only; fall back to `umount -l` where fusermount is
// missing. Patched on the base class: its _close calls Fuse.unmount, not this.constructor.
Fuse.unmount = (mnt, cb) => void clearMount(mnt).then(() => cb(null), (err: Error) => cb(err));

/** fuse-native drops falsy option values and lacks some options: appended to its `-o` string. */
class ScorefsFuse extends Fuse {
  constructor(
    mnt: string,
    ops: ConstructorParameters<typeof Fuse>[1],
    opts: FuseOptions,
    private readonly extraOptions: string[],
  ) {
    super(mnt, ops, opts);
  }

  override _fuseOptions(): string {
    const base = super._fuseOptions();
    const extra = this.extraOptions.join(',');
    return base ? `${base},${extra}` : `-o${extra}`;
  }
}

export class FuseMount {
  private unmounting: Promise<void> | undefined;

  private constructor(
    readonly mountpoint: string,
    private readonly fuse: Fuse,
    private readonly ops: VfsFuseOps,
  ) {}

  static async mount(tree: TreeSource, opts: FuseMountOptions): Promise<FuseMount> {
    // fuse-native's threads use the default libuv loop: mounting from a worker thread segfaults.
    if (!isMainThread) throw new Error('scorefs cannot mount from a worker thread');
    const ops = new VfsFuseOps(tree, { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 }, opts.onRead);
    const autoUnmount = await hasFusermount();
    if (!autoUnmount) log.warn('fusermount not found: mounting without auto_unmount (a killed daemon leaves a stale mount)');
    const fuseOpts: FuseOptions = {
      timeout: false, // our read deadlines bound every request; fuse-native's 15 s would pre-empt them
      fsname: 'scorefs',
      subtype: 'scorefs',
      autoUnmount, // fusermount unmounts when this process dies, even by kill -9
      allowOther: opts.allowOther ?? false,
      defaultPermissions: true, // the kernel checks the 0444/0555 modes; no access() round trips
      // auto_cache rather than kernel_cache: pages are kept across opens while a file's size and
      // mtime stay the same (always, for objects), and dropped when they change (stats.json).
      autoCache: true,
      entryTimeout: ATTR_TIMEOUT_S,
      attrTimeout: ATTR_TIMEOUT_S,
      debug: opts.debug ?? false,
    };
    const maxRead = mountMaxRead(); // 1 MiB when fuse-max-pages.so is loaded, else libfuse's 128 KiB
    const extra = [
      'ro',
      `negative_timeout=${NEGATIVE_TIMEOUT_S}`,
      'ac_attr_timeout=0', // auto_cache re-checks size/mtime at every open (in memory, cheap)
      `max_read=${maxRead}`,
      'max_background=64',
      'congestion_threshold=48',
    ];
    const fuse = new ScorefsFuse(opts.mountpoint, ops.ops(), fuseOpts, extra);
    await withTimeout(
      new Promise<void>((resolve, reject) => fuse.mount((err) => (err ? reject(err) : resolve()))),
      opts.mountTimeoutMs ?? 30_000,
      `mounting ${opts.mountpoint} did not finish`,
    );
    const mounted = new FuseMount(opts.mountpoint, fuse, ops);
    // fuse-native calls back on the kernel's INIT request, before its reply is sent, and the kernel
    // caps the readahead to the reply's when it takes it: a readahead raised before then is undone.
    // A statfs waits for that reply to be taken. (Not a stat: the kernel would keep the root's
    // attributes, and a stat of a mount whose daemon died would no longer fail with ENOTCONN.)
    await withTimeout(statfs(opts.mountpoint), opts.mountTimeoutMs ?? 30_000, `the mount at ${opts.mountpoint} did not answer`).catch((err: unknown) =>
      log.warn({ err }, 'the new mount did not answer a statfs'),
    );
    await raiseReadahead(opts.mountpoint, opts.readaheadKb ?? READAHEAD_KB);
    log.info({ mountpoint: opts.mountpoint, autoUnmount, maxRead }, 'mounted');
    return mounted;
  }

  /** Fails new requests with EIO, lets running ones finish (up to `drainMs`), then detaches the mount. */
  unmount(drainMs = 2000): Promise<void> {
    this.unmounting ??= (async () => {
      await this.ops.stop(drainMs);
      await new Promise<void>((resolve, reject) => this.fuse.unmount((err) => (err ? reject(err) : resolve())));
      log.info({ mountpoint: this.mountpoint }, 'unmounted');
    })();
    return this.unmounting;
  }
}

async function hasFusermount(): Promise<boolean> {
  for (const dir of (process.env.PATH ?? '/usr/bin:/bin').split(':')) {
    try {
      await access(path.join(dir || '.', 'fusermount'), constants.X_OK);
      return true;
    } catch {
      // not in this directory
    }
  }
  return false;
}

function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} in ${ms / 1000} s`)), ms)));
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

const FUSE_DEVICE = '/dev/fuse';

/**
 * Throws InvalidInput, saying how to fix it, when this user cannot open /dev/fuse (some systems make
 * it 0600 root): fuse-native would only say "fuse failed", and only after the catalog was fetched.
 */
export async function checkFuseDevice(): Promise<void> {
  try {
    await access(FUSE_DEVICE, constants.R_OK | constants.W_OK);
    return;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new InvalidInput(`${FUSE_DEVICE} does not exist: load the FUSE module (modprobe fuse), or in a container pass the device (docker run --device /dev/fuse)`);
    }
  }
  const st = await stat(FUSE_DEVICE);
  const user = os.userInfo().username;
  const group = (await readIdName('/etc/group', st.gid)) ?? String(st.gid);
  const ownerName = (await readIdName('/etc/passwd', st.uid)) ?? String(st.uid);
  const groupMay = (st.mode & 0o060) === 0o060 && st.gid !== 0;
  const fix = groupMay
    ? `add ${user} to the group ${group} (usermod -aG ${group} ${user}, then log in again)`
    : `make it usable by all (chmod 0666 ${FUSE_DEVICE}, the usual mode; a udev rule keeps it across reboots)`;
  throw new InvalidInput(
    `${user} may not open ${FUSE_DEVICE} (mode ${(st.mode & 0o777).toString(8).padStart(4, '0')}, owner ${ownerName}:${group}), which mounting needs: ask an administrator to ${fix}`,
  );
}

/** The name of an id in /etc/passwd or /etc/group (name:x:id:…), for a message only. */
async function readIdName(file: string, id: number): Promise<string | undefined> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text.split('\n').find((l) => l.split(':')[2] === String(id))?.split(':')[0];
}
