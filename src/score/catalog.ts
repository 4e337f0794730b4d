// The catalog a mount shows: every SONG entity joined with Score's /listing, optionally restricted to a
// manifest's objects. One request per SONG page of 2000 entities (a few at a time) and one Score /listing:
// an object's MD5s come later, from its metadata-only specification on first open (object-metadata.ts), so
// mounting does not grow with the catalog beyond its pages.
import { selectManifest } from '../catalog-rules.js';
import { ProtocolError } from '../errors.js';
import type { Catalog, CatalogFile } from '../model.js';
import { logger } from '../util/log.js';
import type { ScoreApi } from './api.js';
import type { CallOptions } from './retry.js';
import type { LegacyEntity } from './types.js';

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
  // Joined in place: each entity Score lists gets its size and time; one never uploaded stays unlisted.
  let objects = 0;
  for (const o of listing) {
    objects++;
    const f = entities.get(o.id);
    if (!f) continue;
    f.size = o.size;
    f.lastModified = o.lastModified;
  }
  let files: CatalogFile[] = [];
  for (const f of entities.values()) if (f.size !== UNLISTED) files.push(f);
  if (opts.only) files = selectManifest(files, opts.only);
  files.sort((a, b) => compare(a.studyId, b.studyId) || compare(a.analysisId, b.analysisId) || compare(a.fileName, b.fileName));
  const known = new Map((opts.known?.files ?? []).filter((f) => f.md5 !== null).map((f) => [f.id, f]));
  for (const f of files) reuseChecksums(f, known.get(f.id));
  log.info({ files: files.length, entities: entities.size, objects, ms: Date.now() - fetchedAt }, 'catalog fetched');
  return { files, fetchedAt, server: api.config.storageUrl };
}

/** SONG pages asked for at once after the first: a catalog of 100,000 entities is 50 pages of 2000. */
export const PAGE_CONCURRENCY = 4;

/** The size and time of a file before Score's listing is joined. */
const UNLISTED = -1;

/**
 * Every SONG entity (all studies, published or not) as a catalog file not yet listed, by id (the last
 * page's wins). Page 0 says how many pages there are; the rest are fetched PAGE_CONCURRENCY at a time,
 * then, should the catalog have grown meanwhile, one after another until SONG says `last`. Each page
 * becomes catalog files as it arrives, its shared names one copy each, so no page is kept whole.
 */
async function allEntities(api: ScoreApi, opts: CatalogOptions): Promise<Map<string, CatalogFile>> {
  const names = new Map<string, string>();
  const intern = (name: string): string => names.get(name) ?? (names.set(name, name), name);
  const size = opts.pageSize ?? 2000;
  const fetchPage = async (page: number): Promise<{ files: CatalogFile[]; last: boolean; totalPages: number }> => {
    const p = await api.entitiesPage(page, size, { ...opts, fields: ENTITY_FIELDS, intern });
    if (!p.last && p.content.length === 0) throw new ProtocolError(`SONG /entities page ${page} is empty but not the last`);
    return { files: p.content.map(unlisted), last: p.last, totalPages: p.totalPages };
  };
  const first = await fetchPage(0);
  const pages = [first];
  if (!first.last) pages.push(...(await inParallel(1, Math.min(first.totalPages, MAX_PAGES), PAGE_CONCURRENCY, fetchPage)));
  for (let page = pages.length; !pages.some((p) => p.last); page++) {
    if (page >= MAX_PAGES) throw new ProtocolError(`SONG /entities did not end after ${MAX_PAGES} pages`);
    pages.push(await fetchPage(page));
  }
  const entities = new Map<string, CatalogFile>();
  for (const p of pages) for (const f of p.files) entities.set(f.id, f);
  return entities;
}

function unlisted(e: LegacyEntity): CatalogFile {
  return {
    id: e.id,
    size: UNLISTED,
    lastModified: UNLISTED,
    md5: null,
    studyId: e.projectCode,
    analysisId: e.gnosId,
    fileName: e.fileName,
    access: e.access,
  };
}

/** fn(from) … fn(to - 1), at most `limit` at a time; the results in order. */
async function inParallel<T>(from: number, to: number, limit: number, fn: (i: number) => Promise<T>): Promise<T[]> {
  const results: T[] = [];
  let next = from;
  const worker = async (): Promise<void> => {
    while (next < to) {
      const i = next++;
      try {
        results[i - from] = await fn(i);
      } catch (err) {
        next = to; // the others stop too: the whole result fails
        throw err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, Math.max(0, to - from)) }, worker));
  return results;
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
