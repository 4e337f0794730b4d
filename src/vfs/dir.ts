// A directory whose children are known when it is built (layout directories, /.scorefs).
import type { DirNode, NodeStat, VfsNode } from './node.js';

export class Dir implements DirNode {
  readonly kind = 'dir';
  private readonly shown = new Map<string, VfsNode>();
  /** Reachable by name but not listed (index aliases in the object-id layout); made on first use, as most directories have none. */
  private hidden: Map<string, VfsNode> | undefined;
  private listed: string[] | undefined;

  constructor(private mtimeMs: number) {}

  /** Adds a child; returns false (and keeps the first) when the name is taken. */
  add(name: string, node: VfsNode, opts: { hidden?: boolean } = {}): boolean {
    if (this.shown.has(name) || this.hidden?.has(name)) return false;
    (opts.hidden ? (this.hidden ??= new Map()) : this.shown).set(name, node);
    if (!opts.hidden) this.listed = undefined;
    return true;
  }

  /** The named child directory, created on first use. */
  subdir(name: string, mtimeMs: number): Dir {
    const existing = this.shown.get(name);
    if (existing instanceof Dir) {
      existing.mtimeMs = Math.max(existing.mtimeMs, mtimeMs);
      return existing;
    }
    const dir = new Dir(mtimeMs);
    this.add(name, dir);
    return dir;
  }

  /** Raises this directory's mtime to at least `mtimeMs`. */
  touch(mtimeMs: number): void {
    this.mtimeMs = Math.max(this.mtimeMs, mtimeMs);
  }

  async stat(): Promise<NodeStat> {
    return { kind: 'dir', size: 0, mtimeMs: this.mtimeMs };
  }

  async list(): Promise<string[]> {
    // sorted once: a directory of 50,000 analyses is listed again by every `ls`
    this.listed ??= [...this.shown.keys()].sort();
    return this.listed;
  }

  async lookup(name: string): Promise<VfsNode | undefined> {
    return this.shown.get(name) ?? this.hidden?.get(name);
  }
}
