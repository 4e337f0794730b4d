// Types for fuse-native 2.2.6 (the package ships none). Only src/fuse/ imports it.
declare module 'fuse-native' {
  type Cb = (err: number) => void;

  export interface FuseStat {
    mode: number;
    uid?: number;
    gid?: number;
    size?: number;
    dev?: number;
    nlink?: number;
    ino?: number;
    rdev?: number;
    blksize?: number;
    blocks?: number;
    atime?: Date | number;
    mtime?: Date | number;
    ctime?: Date | number;
  }

  export interface FuseStatfs {
    bsize?: number;
    frsize?: number;
    blocks?: number;
    bfree?: number;
    bavail?: number;
    files?: number;
    ffree?: number;
    favail?: number;
    fsid?: number;
    flag?: number;
    namemax?: number;
  }

  export interface FuseOps {
    init?(cb: Cb): void;
    getattr?(path: string, cb: (err: number, stat?: FuseStat) => void): void;
    fgetattr?(path: string, fd: number, cb: (err: number, stat?: FuseStat) => void): void;
    statfs?(path: string, cb: (err: number, statfs?: FuseStatfs) => void): void;
    readdir?(path: string, cb: (err: number, names?: string[], stats?: FuseStat[]) => void): void;
    open?(path: string, flags: number, cb: (err: number, fd?: number) => void): void;
    read?(path: string, fd: number, buf: Buffer, len: number, pos: number, cb: (bytesOrErr: number) => void): void;
    release?(path: string, fd: number, cb: Cb): void;
    write?(path: string, fd: number, buf: Buffer, len: number, pos: number, cb: (bytesOrErr: number) => void): void;
    create?(path: string, mode: number, cb: (err: number, fd?: number) => void): void;
    mknod?(path: string, mode: number, dev: number, cb: Cb): void;
    unlink?(path: string, cb: Cb): void;
    rename?(src: string, dest: string, cb: Cb): void;
    link?(src: string, dest: string, cb: Cb): void;
    symlink?(src: string, dest: string, cb: Cb): void;
    mkdir?(path: string, mode: number, cb: Cb): void;
    rmdir?(path: string, cb: Cb): void;
    truncate?(path: string, size: number, cb: Cb): void;
    ftruncate?(path: string, fd: number, size: number, cb: Cb): void;
    chmod?(path: string, mode: number, cb: Cb): void;
    chown?(path: string, uid: number, gid: number, cb: Cb): void;
    utimens?(path: string, atime: number, mtime: number, cb: Cb): void;
    setxattr?(path: string, name: string, value: Buffer, position: number, flags: number, cb: Cb): void;
    removexattr?(path: string, name: string, cb: Cb): void;
  }

  export interface FuseOptions {
    timeout?: false | number | Record<string, number | false>;
    force?: boolean;
    mkdir?: boolean;
    debug?: boolean;
    allowOther?: boolean;
    allowRoot?: boolean;
    autoUnmount?: boolean;
    defaultPermissions?: boolean;
    maxRead?: number;
    fsname?: string;
    subtype?: string;
    kernelCache?: boolean;
    autoCache?: boolean;
    uid?: number;
    gid?: number;
    entryTimeout?: number;
    attrTimeout?: number;
    acAttrTimeout?: number;
  }

  class Fuse {
    constructor(mnt: string, ops: FuseOps, opts?: FuseOptions);
    readonly mnt: string;
    mount(cb: (err: Error | null) => void): void;
    unmount(cb: (err: Error | null) => void): void;
    /** Builds the `-o` argument; subclasses append options fuse-native does not expose. */
    _fuseOptions(): string;
    static unmount(mnt: string, cb: (err: Error | null) => void): void;
    static readonly EPERM: number;
    static readonly ENOENT: number;
    static readonly EIO: number;
    static readonly EBADF: number;
    static readonly EACCES: number;
    static readonly EROFS: number;
    static readonly ENOTDIR: number;
    static readonly EISDIR: number;
    static readonly ENOSYS: number;
    static readonly ENOTCONN: number;
  }

  export default Fuse;
}
