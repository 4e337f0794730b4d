// fuse-native's callbacks ↔ the vfs: path resolution, the table of open handles, attributes,
// read-only refusals. A read whose bytes are in memory is answered at once; everything else is async,
// and no handler blocks the event loop.
import type { FuseOps, FuseStat } from 'fuse-native';
import { NotFound } from '../errors.js';
import { logger } from '../util/log.js';
import type { DirNode, FileHandle, NodeStat } from '../vfs/node.js';
import { resolvePath } from '../vfs/resolve.js';
import { EBADF, EIO, ENOENT, EROFS, errnoFor } from './errno.js';

const log = logger('fuse');

export interface TreeSource {
  readonly root: DirNode;
}

export interface Owner {
  uid: number;
  gid: number;
}

/** Told of every completed read: how long it took, whether it succeeded, and the bytes the kernel asked for. */
export type ReadObserver = (seconds: number, ok: boolean, length: number) => void;

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const O_ACCMODE = 3;
const LOG_REPEAT_MS = 60_000;

export class VfsFuseOps {
  private readonly handles = new Map<number, FileHandle>();
  private nextFh = 1;
  private stopped = false;
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly lastLogged = new Map<string, number>();

  constructor(
    private readonly tree: TreeSource,
    private readonly owner: Owner,
    private readonly onRead?: ReadObserver,
  ) {}

  /** From now on every request fails with EIO; resolves when the requests already running end (or after `waitMs`). */
  async stop(waitMs: number): Promise<void> {
    this.stopped = true;
    const timeout = new Promise<void>((resolve) => setTimeout(resolve, waitMs).unref());
    await Promise.race([Promise.allSettled([...this.inFlight]), timeout]);
    for (const handle of this.handles.values()) handle.release();
    this.handles.clear();
  }

  ops(): FuseOps {
    const refuse = (...args: unknown[]): void => (args[args.length - 1] as (e: number) => void)(EROFS);
    return {
      getattr: (path, cb) => this.run(path, 'lookup', () => this.getattr(path), (stat) => cb(0, stat), cb),
      readdir: (path, cb) => this.run(path, 'lookup', () => this.readdir(path), (names) => cb(0, names), cb),
      open: (path, flags, cb) => {
        if ((flags & O_ACCMODE) !== 0) return cb(EROFS);
        this.run(path, 'lookup', () => this.open(path), (fh) => cb(0, fh), cb);
      },
      read: (path, fd, buf, len, pos, reply) => {
        const started = performance.now();
        const cb = (result: number): void => {
          this.onRead?.((performance.now() - started) / 1000, result >= 0, len);
          reply(result);
        };
        const handle = this.handles.get(fd);
        if (!handle) return cb(this.stopped ? EIO : EBADF);
        // The buffer is libfuse memory, valid only until cb: copy into it, then call cb once.
        const target = buf.length > len ? buf.subarray(0, len) : buf;
        if (handle.readInto) this.run(path, 'io', () => handle.readInto!(pos, target), (n) => cb(n), cb);
        else this.run(path, 'io', () => handle.read(pos, len), (data) => cb(data.copy(buf, 0, 0, Math.min(len, data.length))), cb);
      },
      release: (_path, fd, cb) => {
        this.handles.get(fd)?.release();
        this.handles.delete(fd);
        cb(0);
      },
      statfs: (_path, cb) => cb(0, { bsize: 4096, frsize: 4096, namemax: 255 }),
      write: refuse,
      create: refuse,
      mknod: refuse,
      unlink: refuse,
      rename: refuse,
      link: refuse,
      symlink: refuse,
      mkdir: refuse,
      rmdir: refuse,
      truncate: refuse,
      ftruncate: refuse,
      chmod: refuse,
      chown: refuse,
      utimens: refuse,
      setxattr: refuse,
      removexattr: refuse,
    };
  }

  private async getattr(path: string): Promise<FuseStat> {
    return this.toFuseStat(await (await resolvePath(this.tree.root, path)).stat());
  }

  private async readdir(path: string): Promise<string[]> {
    const node = await resolvePath(this.tree.root, path);
    if (node.kind !== 'dir') throw new NotFound(`not a directory: ${path}`);
    return ['.', '..', ...(await node.list())];
  }

  private async open(path: string): Promise<number> {
    const node = await resolvePath(this.tree.root, path);
    if (node.kind !== 'file') throw new NotFound(`not a file: ${path}`);
    const handle = await node.open();
    if (this.stopped) {
      handle.release();
      throw new Error('unmounting');
    }
    while (this.handles.has(this.nextFh) || this.nextFh === 0) this.nextFh = (this.nextFh + 1) >>> 0;
    const fh = this.nextFh;
    this.nextFh = (this.nextFh + 1) >>> 0;
    this.handles.set(fh, handle);
    return fh;
  }

  private toFuseStat(s: NodeStat): FuseStat {
    const time = new Date(s.mtimeMs);
    const dir = s.kind === 'dir';
    return {
      mode: dir ? S_IFDIR | 0o555 : S_IFREG | 0o444,
      nlink: dir ? 2 : 1,
      size: s.size,
      blocks: Math.ceil(s.size / 512),
      blksize: 4096,
      uid: this.owner.uid,
      gid: this.owner.gid,
      atime: time,
      mtime: time,
      ctime: time,
    };
  }

  /**
   * Runs one request: EIO once stopped, errno on failure (logged when it is not a plain ENOENT); answered
   * at once when `work` answers at once (a read from memory), else when it settles.
   */
  private run<T>(path: string, op: 'lookup' | 'io', work: () => T | Promise<T>, ok: (value: T) => void, fail: (errno: number) => void): void {
    if (this.stopped) return fail(EIO);
    const failed = (err: unknown): void => {
      const errno = errnoFor(err, op);
      this.logFailure(path, errno, err);
      fail(errno);
    };
    let result: T | Promise<T>;
    try {
      result = work();
    } catch (err) {
      return failed(err);
    }
    if (!(result instanceof Promise)) return ok(result);
    const p = result.then(ok, failed);
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p));
  }

  private logFailure(path: string, errno: number, err: unknown): void {
    if (errno === ENOENT) return; // the normal answer to probes (htslib looks for .csi before .bai)
    const key = `${errno}:${path}`;
    const now = Date.now();
    if ((this.lastLogged.get(key) ?? 0) > now - LOG_REPEAT_MS) return;
    if (this.lastLogged.size > 1000) this.lastLogged.clear();
    this.lastLogged.set(key, now);
    log.warn({ path, errno: -errno, err: err instanceof Error ? err.message : String(err) }, 'request failed');
  }
}
