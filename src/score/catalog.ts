// The catalog a mount shows: every SONG entity joined with Score's /listing, optionally restricted to a
// manifest's objects. Two requests however many objects there are: an object's MD5s come later, from its
// metadata-only specification on first open (object-metadata.ts), so mounting does not grow with the catalog.
import { selectManifest } from '../catalog-rules.js';
import { ProtocolError } from '../errors.js';
import type { Catalog, CatalogFile } from '../model.js';
import { logger } from '../util/log.js';
import type { ScoreApi } from './api.js';
import type { CallOptions } from './retry.js';
import type { LegacyEntity, ObjectInfo } from './types.js';

const log = logger('score.catalog');

export interface CatalogOptions extends CallOptions {
  /** Keep only these objects (e.g. a manifest's ids) and the index files paired with them. */
  only?: ReadonlySet<string>;
  /**
   * An earlier catalog of the same server: an object listed with the same size and last-modified
   * time keeps the MD5s learned for it there, so they are not asked for again.
   */
  known?: Catalog;
  /** SONG page size (default 2000, Spring's maximum). */
  pageSize?: number;
}

const ENTITY_FIELDS = ['id', 'fileName', 'gnosId', 'projectCode', 'access'] as const;
const MAX_PAGES = 1_000_000;

export async function fetchCatalog(api: ScoreApi, opts: CatalogOptions = {}): Promise<Catalog> {
  const fetchedAt = Date.now();
  const [entities, listing] = await Promise.all([allEntities(api, opts), api.listing(opts)]);
  const stored = new Map<string, ObjectInfo>(listing.map((o) => [o.id, o]));
  let files: CatalogFile[] = [];
  for (const e of entities.values()) {
    const info = stored.get(e.id);
    if (!info) continue; // registered in SONG, never uploaded
    files.push({
      id: e.id,
      size: info.size,
      lastModified: info.lastModified,
      md5: null,
      studyId: e.projectCode,
      analysisId: e.gnosId,
      fileName: e.fileName,
      access: e.access,
    });
  }
  if (opts.only) files = selectManifest(files, opts.only);
  files.sort((a, b) => compare(a.studyId, b.studyId) || compare(a.analysisId, b.analysisId) || compare(a.fileName, b.fileName));
  const known = new Map((opts.known?.files ?? []).map((f) => [f.id, f]));
  for (const f of files) reuseChecksums(f, known.get(f.id));
  log.info({ files: files.length, entities: entities.size, objects: listing.length, ms: Date.now() - fetchedAt }, 'catalog fetched');
  return { files, fetchedAt, server: api.config.storageUrl };
}

/** Every SONG entity (all studies, published or not), deduplicated by id across pages. */
async function allEntities(api: ScoreApi, opts: CatalogOptions): Promise<Map<string, LegacyEntity>> {
  const entities = new Map<string, LegacyEntity>();
  for (let page = 0; page < MAX_PAGES; page++) {
    const p = await api.entitiesPage(page, opts.pageSize ?? 2000, { ...opts, fields: ENTITY_FIELDS });
    for (const e of p.content) entities.set(e.id, e);
    if (p.last) return entities;
    if (p.content.length === 0) throw new ProtocolError(`SONG /entities page ${page} is empty but not the last`);
  }
  throw new ProtocolError(`SONG /entities did not end after ${MAX_PAGES} pages`);
}

/** Copies the MD5s of the same object (same size and last-modified) from an earlier catalog. */
function reuseChecksums(file: CatalogFile, before: CatalogFile | undefined): void {
  if (!before || before.md5 === null || before.size !== file.size || before.lastModified !== file.lastModified) return;
  file.md5 = before.md5;
  if (before.parts) file.parts = before.parts;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
