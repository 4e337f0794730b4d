// A directory whose children are known when it is built (layout directories, /.scorefs).
import type { DirNode, NodeStat, VfsNode } from './node.js';

/**
 * Children kept in one flat array ([name, node, name, node, …]) up to this many, a Map beyond: most of
 * a large catalog's directories are analyses of a few files, and a Map costs ~180 bytes even when empty.
 */
const FEW = 8;
const NONE: ReadonlyArray<string | VfsNode> = []; // shared: a few children's array is replaced, never changed

export class Dir implements DirNode {
  /** The few children, or all of them (as a Map) once there are more than FEW. */
  private shown: ReadonlyArray<string | VfsNode> | Map<string, VfsNode> = NONE;
  /** Reachable by name but not listed (index aliases in the object-id layout); made on first use, as most directories have none. */
  private hidden: Map<string, VfsNode> | undefined;
  private listed: string[] | undefined;

  constructor(private mtimeMs: number) {}

  get kind(): 'dir' {
    return 'dir';
  }

  /** Adds a child; returns false (and keeps the first) when the name is taken. */
  add(name: string, node: VfsNode, opts: { hidden?: boolean } = {}): boolean {
    if (this.shownChild(name) || this.hidden?.has(name)) return false;
    if (opts.hidden) {
      (this.hidden ??= new Map()).set(name, node);
      return true;
    }
    const shown = this.shown;
    if (shown instanceof Map) shown.set(name, node);
    else if (shown.length < 2 * FEW) this.shown = shown.concat(name, node); // a new array of just that length
    else {
      const all = new Map<string, VfsNode>();
      for (let i = 0; i < shown.length; i += 2) all.set(shown[i] as string, shown[i + 1] as VfsNode);
      this.shown = all.set(name, node);
    }
    this.listed = undefined;
    return true;
  }

  /** The named child directory, created on first use. */
  subdir(name: string, mtimeMs: number): Dir {
    const existing = this.shownChild(name);
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
    const shown = this.shown;
    this.listed ??= (shown instanceof Map ? [...shown.keys()] : (shown.filter((_, i) => i % 2 === 0) as string[])).sort();
    return this.listed;
  }

  async lookup(name: string): Promise<VfsNode | undefined> {
    return this.shownChild(name) ?? this.hidden?.get(name);
  }

  private shownChild(name: string): VfsNode | undefined {
    const shown = this.shown;
    if (shown instanceof Map) return shown.get(name);
    for (let i = 0; i < shown.length; i += 2) if (shown[i] === name) return shown[i + 1] as VfsNode;
    return undefined;
  }
}
