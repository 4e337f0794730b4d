// SONG's read API as score-client and Score use it: /entities (paged), /entities/{id}, /studies/….
import type { Analysis, AnalysisState, LegacyEntity, SongFile } from '../score/types.js';
import type { ChecksumStore } from './checksums.js';
import type { Handler } from './context.js';
import type { DatasetAnalysis, DatasetFile } from './dataset.js';
import { sendJson, sendSongError, type Exchange } from './exchange.js';
import { fileKindOf } from './file-types.js';
import { lenientInt } from './query-params.js';
import type { Router } from './router.js';

const DEFAULT_PAGE_SIZE = 20; // Spring Data's default
const MAX_PAGE_SIZE = 2000; // Spring Data's default maximum
const ENTITY_FILTERS = ['id', 'gnosId', 'fileName', 'projectCode', 'access'] as const;
const STATES: readonly AnalysisState[] = ['PUBLISHED', 'UNPUBLISHED', 'SUPPRESSED'];

export function addSongRoutes(router: Router<Handler>): void {
  router
    .add('/entities', entities)
    .add('/entities/:id', entity)
    .add('/studies/all', async (ctx, ex) => sendJson(ex, 200, [...(await ctx.dataset.current()).studies.keys()]))
    .add('/studies/:studyId/analysis', analysesOfStudy)
    .add('/studies/:studyId/analysis/:analysisId', analysis)
    .add('/studies/:studyId/analysis/:analysisId/files', analysisFiles)
    .add('/studies/:studyId/files/:objectId', studyFile);
}

function legacyEntity(f: DatasetFile): LegacyEntity {
  return { id: f.objectId, gnosId: f.analysisId, fileName: f.fileName, projectCode: f.studyId, access: f.access };
}

const entities: Handler = async (ctx, ex) => {
  const snapshot = await ctx.dataset.current();
  const q = ex.query;
  // Unfiltered (a mount's listing), a page costs its own entities, not the whole catalog's.
  const filtered = ENTITY_FILTERS.some((k) => q.has(k));
  const matching = filtered ? snapshot.files.filter((f) => ENTITY_FILTERS.every((k) => !q.has(k) || legacyEntity(f)[k] === q.get(k))) : snapshot.files;
  let size = lenientInt(q, 'size', DEFAULT_PAGE_SIZE);
  if (size < 1) size = DEFAULT_PAGE_SIZE;
  size = Math.min(size, MAX_PAGE_SIZE);
  const number = lenientInt(q, 'page', 0);
  const fields = q.getAll('fields').flatMap((f) => f.split(',')).map((f) => f.trim()).filter(Boolean);
  const content = matching.slice(number * size, number * size + size).map((f) => (fields.length ? pick(legacyEntity(f), fields) : legacyEntity(f)));
  const totalPages = Math.ceil(matching.length / size);
  const sort = { sorted: true, unsorted: false, empty: false };
  sendJson(ex, 200, {
    content,
    pageable: { sort, offset: number * size, pageNumber: number, pageSize: size, paged: true, unpaged: false },
    last: number + 1 >= totalPages,
    totalPages,
    totalElements: matching.length,
    number,
    size,
    sort,
    first: number === 0,
    numberOfElements: content.length,
    empty: content.length === 0,
  });
};

function pick(e: LegacyEntity, fields: string[]): Partial<LegacyEntity> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(e) as (keyof LegacyEntity)[]) if (fields.includes(key)) out[key] = e[key];
  return out as Partial<LegacyEntity>;
}

const entity: Handler = async (ctx, ex, { id }) => {
  const found = await ctx.dataset.find(id!);
  if (!found) return sendSongError(ex, 404, 'legacy.entity.not.found', `The LegacyEntity with id '${id}' does not exist`);
  sendJson(ex, 200, legacyEntity(found.file));
};

/** The study's analyses, or undefined after answering 404. */
async function studyOr404(ctx: Parameters<Handler>[0], ex: Exchange, studyId: string) {
  const study = (await ctx.dataset.current()).studies.get(studyId);
  if (!study) sendSongError(ex, 404, 'study.id.does.not.exist', `The studyId '${studyId}' does not exist`);
  return study;
}

async function analysisOr404(ctx: Parameters<Handler>[0], ex: Exchange, studyId: string, analysisId: string) {
  const study = await studyOr404(ctx, ex, studyId);
  if (!study) return undefined;
  const a = study.get(analysisId);
  if (!a) sendSongError(ex, 404, 'analysis.id.not.found', `The analysisId '${analysisId}' was not found`);
  return a;
}

async function songFile(checksums: ChecksumStore, f: DatasetFile): Promise<SongFile> {
  const { fileType, dataType } = fileKindOf(f.fileName);
  return {
    objectId: f.objectId,
    studyId: f.studyId,
    analysisId: f.analysisId,
    fileName: f.fileName,
    fileSize: f.size,
    fileType,
    fileMd5sum: (await checksums.get(f)).objectMd5,
    fileAccess: f.access,
    dataType,
  };
}

async function analysisJson(checksums: ChecksumStore, a: DatasetAnalysis): Promise<Analysis> {
  const created = new Date(a.createdMs).toISOString();
  const published = a.state === 'PUBLISHED' ? new Date(a.updatedMs).toISOString() : null;
  return {
    analysisId: a.analysisId,
    studyId: a.studyId,
    analysisState: a.state,
    analysisType: { name: 'scorefs_local', version: 1 },
    createdAt: created,
    updatedAt: new Date(a.updatedMs).toISOString(),
    firstPublishedAt: published,
    publishedAt: published,
    analysisStateHistory: [],
    samples: [],
    files: await Promise.all(a.files.map((f) => songFile(checksums, f))),
  };
}

const analysis: Handler = async (ctx, ex, { studyId, analysisId }) => {
  const a = await analysisOr404(ctx, ex, studyId!, analysisId!);
  if (a) sendJson(ex, 200, await analysisJson(ctx.checksums, a));
};

const analysisFiles: Handler = async (ctx, ex, { studyId, analysisId }) => {
  const a = await analysisOr404(ctx, ex, studyId!, analysisId!);
  if (a) sendJson(ex, 200, await Promise.all(a.files.map((f) => songFile(ctx.checksums, f))));
};

const analysesOfStudy: Handler = async (ctx, ex, { studyId }) => {
  const study = await studyOr404(ctx, ex, studyId!);
  if (!study) return;
  const wanted = (ex.query.get('analysisStates') ?? 'PUBLISHED').split(',').map((s) => s.trim().toUpperCase());
  const bad = wanted.find((s) => !STATES.includes(s as AnalysisState));
  if (bad !== undefined) return sendSongError(ex, 400, 'malformed.parameter', `The analysisState '${bad}' is not a valid analysisState`);
  const chosen = [...study.values()].filter((a) => wanted.includes(a.state));
  sendJson(ex, 200, await Promise.all(chosen.map((a) => analysisJson(ctx.checksums, a))));
};

const studyFile: Handler = async (ctx, ex, { studyId, objectId }) => {
  if (!(await studyOr404(ctx, ex, studyId!))) return;
  const found = await ctx.dataset.find(objectId!);
  if (!found || found.file.studyId !== studyId) {
    return sendSongError(ex, 404, 'file.not.found', `The File with objectId '${objectId}' and studyId '${studyId}' does not exist`);
  }
  sendJson(ex, 200, await songFile(ctx.checksums, found.file));
};
