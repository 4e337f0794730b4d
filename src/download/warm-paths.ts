// Which catalog files `scorefs cache warm PATH…` means. A PATH is matched by its last components, so
// the same rules serve an object id, `analysisId/fileName`, and a path under a scorefs mountpoint in
// any layout: …/<objectId>[.<companion ext>] (catalog-rules.ts), …/<analysisId>/<fileName>, or a
// directory …/<analysisId> or …/<studyId> (all of its files).
import { companionOf, splitCompanionName } from '../catalog-rules.js';
import { NotFound } from '../errors.js';
import type { Catalog, CatalogFile } from '../model.js';

export interface WarmSelection {
  files: CatalogFile[];
  /** Paths left out, and why. */
  notes: string[];
}

export function selectWarmPaths(catalog: Catalog, paths: readonly string[]): WarmSelection {
  const byId = new Map(catalog.files.map((f) => [f.id, f]));
  const picked = new Set<CatalogFile>();
  const notes: string[] = [];
  const unknown: string[] = [];
  for (const p of paths) {
    const parts = p.split('/').filter((s) => s !== '' && s !== '.');
    if (parts.some((s) => s.endsWith('.slices'))) {
      notes.push(`${p}: slice files are not warmed; warm the file they are cut from (its bytes serve every slice)`);
      continue;
    }
    if (parts.includes('.scorefs')) {
      notes.push(`${p}: not an object`);
      continue;
    }
    const found = match(catalog.files, byId, parts);
    if (found.length === 0) unknown.push(p);
    for (const f of found) picked.add(f);
  }
  if (unknown.length) throw new NotFound(`not in the Score catalog: ${unknown.join(', ')} (give object ids, analysisId/fileName, or paths under a scorefs mount)`);
  return { files: catalog.files.filter((f) => picked.has(f)), notes };
}

function match(files: readonly CatalogFile[], byId: ReadonlyMap<string, CatalogFile>, parts: string[]): CatalogFile[] {
  const last = parts[parts.length - 1];
  if (last === undefined) return [];
  const parent = parts[parts.length - 2];
  const byIdHit = byId.get(last);
  if (byIdHit) return [byIdHit];
  const alias = splitCompanionName(last);
  const data = alias && byId.get(alias.base);
  if (data) {
    const companion = companionOf(data, alias.ext, files);
    return companion ? [companion] : [];
  }
  if (parent !== undefined) {
    const file = files.find((f) => f.analysisId === parent && f.fileName === last);
    if (file) return [file];
  }
  const ofAnalysis = files.filter((f) => f.analysisId === last);
  if (ofAnalysis.length) return ofAnalysis;
  return files.filter((f) => f.studyId === last);
}
