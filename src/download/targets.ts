// What `scorefs download` fetches, resolved as score-client's download does:
// each named object's SONG entity, the files of a named analysis, and with --index the paired
// .bai/.crai/.csi/.tbi of each; then each object's size and MD5 from its metadata-only specification.
import { AccessDenied, InvalidInput, NotFound } from '../errors.js';
import type { ObjectIdentity } from '../model.js';
import type { ScoreApi } from '../score/api.js';
import { indexFor } from '../catalog-rules.js';
import type { CallOptions } from '../score/retry.js';
import { Limiter } from './limiter.js';

/** One object to download, with the names its output path is made of. */
export interface DownloadTarget extends ObjectIdentity {
  studyId: string;
  analysisId: string;
  fileName: string;
}

export interface TargetQuery {
  objectIds?: readonly string[];
  /** Analysis id; needs studyId. */
  analysisId?: string;
  studyId?: string;
  /** Also the index file paired with each object. */
  index: boolean;
}

interface FileRef {
  id: string;
  studyId: string;
  analysisId: string;
  fileName: string;
}

const LOOKUP_CONCURRENCY = 8;

export async function resolveTargets(api: ScoreApi, q: TargetQuery, opts: CallOptions = {}): Promise<DownloadTarget[]> {
  const limiter = new Limiter(LOOKUP_CONCURRENCY);
  const refs = new Map<string, FileRef>();
  const ids = [...new Set(q.objectIds ?? [])];
  const entities = await Promise.all(ids.map((id) => limiter.run(() => entityRef(api, id, opts))));
  for (const r of entities) refs.set(r.id, r);
  if (q.analysisId) {
    if (!q.studyId) throw new InvalidInput('--analysis-id needs --study-id');
    for (const r of await analysisFiles(api, q.studyId, q.analysisId, opts)) refs.set(r.id, r);
  }
  if (q.index) {
    const files = new Map<string, Promise<FileRef[]>>();
    const filesOf = (r: FileRef): Promise<FileRef[]> => {
      const key = `${r.studyId}\0${r.analysisId}`;
      let p = files.get(key);
      if (!p) files.set(key, (p = limiter.run(() => analysisFiles(api, r.studyId, r.analysisId, opts))));
      return p;
    };
    const indexes = await Promise.all([...refs.values()].map(async (r) => indexFor(r, await filesOf(r))));
    for (const r of indexes) if (r) refs.set(r.id, r);
  }
  return Promise.all([...refs.values()].map((r) => limiter.run(() => withChecksums(api, r, opts))));
}

async function entityRef(api: ScoreApi, id: string, opts: CallOptions): Promise<FileRef> {
  try {
    const e = await api.entity(id, opts);
    return { id: e.id, studyId: e.projectCode, analysisId: e.gnosId, fileName: e.fileName };
  } catch (err) {
    if (err instanceof NotFound) throw new NotFound(`object ${id} does not exist (SONG has no file with this object id)`, { cause: err });
    throw err;
  }
}

async function analysisFiles(api: ScoreApi, studyId: string, analysisId: string, opts: CallOptions): Promise<FileRef[]> {
  try {
    const a = await api.analysis(studyId, analysisId, opts);
    return a.files.map((f) => ({ id: f.objectId, studyId: f.studyId, analysisId: f.analysisId, fileName: f.fileName }));
  } catch (err) {
    if (err instanceof NotFound) throw new NotFound(`analysis ${analysisId} of study ${studyId} does not exist`, { cause: err });
    throw err;
  }
}

/** Size and MD5 from Score; this is also where a missing scope shows, before any byte is written. */
async function withChecksums(api: ScoreApi, r: FileRef, opts: CallOptions): Promise<DownloadTarget> {
  try {
    const spec = await api.spec(r.id, { excludeUrls: true }, { ...opts, studyId: r.studyId });
    return { ...r, size: spec.objectSize, md5: spec.objectMd5, lastModified: 0 };
  } catch (err) {
    if (err instanceof NotFound) throw new NotFound(`object ${r.id} (${r.analysisId}/${r.fileName}) is registered in SONG but Score has no such object`, { cause: err });
    if (err instanceof AccessDenied && err.reason === 'scope') throw new AccessDenied(`${r.analysisId}/${r.fileName}: ${err.message}`, 'scope', { cause: err });
    throw err;
  }
}
