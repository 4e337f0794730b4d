// The catalog as score-client's mount builds it at startup: every SONG entity joined with
// Score's /listing, optionally restricted to a manifest's objects, plus each object's MD5s from its
// metadata-only download specification.
import { AccessDenied, BadRequest, NotFound, ProtocolError } from '../errors.js';
import type { Catalog, CatalogFile, ObjectIdentity } from '../model.js';
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
   * time keeps the MD5s it had there, so a refresh asks Score for the specifications of new and
   * changed objects only (one request per object would make refreshing a large catalog slow).
   */
  known?: Catalog;
  /** Concurrent specification requests for MD5s (default 8). */
  concurrency?: number;
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
  if (opts.only) files = restrictTo(files, opts.only);
  files.sort((a, b) => compare(a.studyId, b.studyId) || compare(a.analysisId, b.analysisId) || compare(a.fileName, b.fileName));
  const known = new Map((opts.known?.files ?? []).map((f) => [f.id, f]));
  const unknown = files.filter((f) => !reuseChecksums(f, known.get(f.id)));
  await forEachConcurrently(unknown, opts.concurrency ?? 8, (f) => addChecksums(api, f, opts));
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

/** The objects in `ids`, plus the index files paired with them (as the mount shows them). */
function restrictTo(files: CatalogFile[], ids: ReadonlySet<string>): CatalogFile[] {
  const byAnalysis = groupBy(files, (f) => f.analysisId);
  const keep = new Set<CatalogFile>();
  for (const f of files) {
    if (!ids.has(f.id)) continue;
    keep.add(f);
    const index = indexFor(f, byAnalysis.get(f.analysisId) ?? []);
    if (index) keep.add(index);
  }
  return files.filter((f) => keep.has(f));
}

export const INDEX_EXTENSIONS = ['bai', 'crai', 'csi', 'tbi'] as const;

/**
 * The index of `file` among the files of its analysis: the one named `<fileName>.bai|.crai|.csi|.tbi`
 * (case-insensitive equality, as score-client download pairs them); the first extension wins.
 */
export function indexFor<T extends { fileName: string }>(file: T, filesOfSameAnalysis: readonly T[]): T | undefined {
  const wanted = file.fileName.toLowerCase();
  for (const ext of INDEX_EXTENSIONS) {
    const name = `${wanted}.${ext}`;
    const found = filesOfSameAnalysis.find((f) => f.fileName.toLowerCase() === name);
    if (found) return found;
  }
  return undefined;
}

/** Copies the MD5s of the same object (same size and last-modified) from an earlier catalog; true if it could. */
function reuseChecksums(file: CatalogFile, before: CatalogFile | undefined): boolean {
  if (!before || before.md5 === null || before.size !== file.size || before.lastModified !== file.lastModified) return false;
  file.md5 = before.md5;
  if (before.parts) file.parts = before.parts;
  return true;
}

/**
 * Object and part MD5s from the metadata-only specification. An object this token may not read, or
 * that Score cannot describe, stays in the catalog without MD5s (reads will say why).
 */
async function addChecksums(api: ScoreApi, file: CatalogFile, opts: CallOptions): Promise<void> {
  let spec;
  try {
    spec = await api.spec(file.id, { excludeUrls: true }, { ...opts, studyId: file.studyId });
  } catch (err) {
    if ((err instanceof AccessDenied && err.reason === 'scope') || err instanceof NotFound || err instanceof BadRequest) {
      log.debug({ object: file.id, err: err.message }, 'no checksums for object');
      return;
    }
    throw err;
  }
  if (spec.objectSize !== file.size) {
    log.warn({ object: file.id, listingSize: file.size, specSize: spec.objectSize }, 'Score specification and listing disagree on the size; checksums ignored');
    return;
  }
  file.md5 = spec.objectMd5;
  const parts: NonNullable<ObjectIdentity['parts']> = [];
  for (const p of spec.parts) {
    if (p.sourceMd5 && p.partSize > 0 && p.offset + p.partSize <= file.size) parts.push({ offset: p.offset, size: p.partSize, md5: p.sourceMd5 });
  }
  if (parts.length) file.parts = parts;
}

async function forEachConcurrently<T>(items: readonly T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    try {
      while (next < items.length) await work(items[next++]!);
    } catch (err) {
      next = items.length; // one failure fails the whole: stop the other workers too
      throw err;
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, worker));
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const list = groups.get(key(item));
    if (list) list.push(item);
    else groups.set(key(item), [item]);
  }
  return groups;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
