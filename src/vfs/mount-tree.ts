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

  /**
   * Shows `catalog`; returns false when it lists what the tree shows already (a refresh of an unchanged
   * catalog), which keeps the tree (and the MD5s learned in it) and builds nothing.
   */
  replace(catalog: Catalog): boolean {
    if (sameListing(this.currentCatalog, catalog)) {
      this.currentCatalog = { ...this.currentCatalog, fetchedAt: catalog.fetchedAt };
      return false;
    }
    this.current = buildTree(catalog, this.opts);
    this.currentCatalog = catalog;
    return true;
  }
}

/** The same objects, in the same order, under the same names, sizes and times. */
function sameListing(a: Catalog, b: Catalog): boolean {
  if (a.files.length !== b.files.length) return false;
  return a.files.every((f, i) => {
    const g = b.files[i]!;
    return (
      f.id === g.id &&
      f.size === g.size &&
      f.lastModified === g.lastModified &&
      f.studyId === g.studyId &&
      f.analysisId === g.analysisId &&
      f.fileName === g.fileName &&
      f.access === g.access
    );
  });
}
