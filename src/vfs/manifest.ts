// `--manifest` applied to a catalog the server did not filter (an offline snapshot): the manifest's
// objects and the index files paired with them.
import type { Catalog } from '../model.js';
import { pairIndexes } from './index-pairing.js';

export function selectFromManifest(catalog: Catalog, ids: ReadonlySet<string>): Catalog {
  const keep = new Set(catalog.files.filter((f) => ids.has(f.id)));
  for (const [data, index] of pairIndexes(catalog.files)) {
    if (keep.has(data)) keep.add(index);
  }
  return { ...catalog, files: catalog.files.filter((f) => keep.has(f)) };
}
