// The vfs node interface: what the FUSE adapter and the slice directories build on.
// No FUSE types here: paths are resolved by lookup(), errors are the classes of src/errors.ts.

export interface NodeStat {
  kind: 'dir' | 'file';
  size: number;
  mtimeMs: number;
}

/** One open file: reads are independent and may run concurrently, in any order. */
export interface FileHandle {
  /** Bytes [offset, offset+length), short only at EOF. */
  read(offset: number, length: number): Promise<Buffer>;
  /** Where a file can copy straight into the caller's buffer: bytes [offset, offset+target.length), at once when it can (see ByteReader.readInto). */
  readInto?(offset: number, target: Buffer): number | Promise<number>;
  release(): void;
}

export interface DirNode {
  readonly kind: 'dir';
  stat(): Promise<NodeStat>;
  /** The names a listing shows. */
  list(): Promise<string[]>;
  /** The child called `name`, or undefined; may resolve names list() does not show. */
  lookup(name: string): Promise<VfsNode | undefined>;
}

export interface FileNode {
  readonly kind: 'file';
  stat(): Promise<NodeStat>;
  open(): Promise<FileHandle>;
}

export type VfsNode = DirNode | FileNode;
