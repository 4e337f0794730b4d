// The tree the mount shows now. A new catalog builds a whole new tree that replaces the old one in
// a single assignment: lookups see either tree, never a mix; open handles keep their old nodes.
import type { Catalog } from '../model.js';
import { buildTree, type TreeOptions } from './layout.js';
import type { DirNode } from './node.js';

export class MountTree {
  private current: DirNode;
  private currentCatalog: Catalog;

  constructor(catalog: Catalog, private readonly opts: TreeOptions) {
    this.current = buildTree(catalog, opts);
    this.currentCatalog = catalog;
  }

  get root(): DirNode {
    return this.current;
  }

  get catalog(): Catalog {
    return this.currentCatalog;
  }

  replace(catalog: Catalog): void {
    const next = buildTree(catalog, this.opts);
    this.current = next;
    this.currentCatalog = catalog;
  }
}
