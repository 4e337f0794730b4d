// The data directory as Score + SONG see it: DIR/<studyId>/<analysisId>/<fileName>, rescanned when stale.
import type { Stats } from 'node:fs';
import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import type { AnalysisState, FileAccess } from '../score/types.js';
import { logger } from '../util/log.js';
import { objectIdFor } from './object-id.js';

const log = logger('server.dataset');

/** The per-analysis metadata file; never listed as a file. */
export const ANALYSIS_META_FILE = '.analysis.json';

export interface DatasetFile {
  objectId: string;
  studyId: string;
  analysisId: string;
  fileName: string;
  /** Real path, checked to lie inside the data directory. */
  path: string;
  /** Device and inode: hardlinked names share checksums. */
  dev: number;
  ino: number;
  size: number;
  mtimeMs: number;
  access: FileAccess;
}

export interface DatasetAnalysis {
  studyId: string;
  analysisId: string;
  state: AnalysisState;
  /** Directory times, standing in for SONG's createdAt/updatedAt. */
  createdMs: number;
  updatedMs: number;
  files: DatasetFile[]; // sorted by fileName
}

export interface Snapshot {
  scannedAt: number;
  /** Every file, sorted by objectId (SONG's /entities order). */
  files: DatasetFile[];
  byId: ReadonlyMap<string, DatasetFile>;
  /** studyId → analysisId → analysis. */
  studies: ReadonlyMap<string, ReadonlyMap<string, DatasetAnalysis>>;
  analysisOf(file: DatasetFile): DatasetAnalysis;
}

interface AnalysisMeta {
  state: AnalysisState;
  access: Map<string, FileAccess>;
}

const STATES: readonly AnalysisState[] = ['PUBLISHED', 'UNPUBLISHED', 'SUPPRESSED'];

/** True if `candidate` (a real path) is `root` or lies below it. */
export function isInside(root: string, candidate: string): boolean {
  return candidate === root || candidate.startsWith(root.endsWith(path.sep) ? root : root + path.sep);
}

export class Dataset {
  private snapshot: Snapshot | undefined;
  private scanning: Promise<Snapshot> | undefined;
  /** How long a listing stays current: maxAgeMs, or ten scans if longer, so that a directory that
   * takes seconds to scan (100,000 files) is not scanned again and again while requests wait. */
  private freshForMs: number;

  private constructor(
    readonly root: string,
    private readonly maxAgeMs: number,
  ) {
    this.freshForMs = maxAgeMs;
  }

  /** Opens DIR (which must exist) and scans it once. */
  static async open(dir: string, maxAgeMs = 2000): Promise<Dataset> {
    const root = await realpath(dir);
    if (!(await stat(root)).isDirectory()) throw new Error(`not a directory: ${dir}`);
    const dataset = new Dataset(root, maxAgeMs);
    await dataset.current();
    return dataset;
  }

  /** The listing, rescanned first if older than freshForMs (one scan at a time). */
  async current(): Promise<Snapshot> {
    if (this.snapshot && Date.now() - this.snapshot.scannedAt <= this.freshForMs) return this.snapshot;
    return this.rescan();
  }

  /** A file by object id: the current listing, then a fresh scan if it is missing there. */
  async find(objectId: string): Promise<{ file: DatasetFile; snapshot: Snapshot } | undefined> {
    let snapshot = this.snapshot ?? (await this.current());
    let file = snapshot.byId.get(objectId);
    if (!file && Date.now() - snapshot.scannedAt > this.freshForMs) {
      snapshot = await this.rescan();
      file = snapshot.byId.get(objectId);
    }
    return file ? { file, snapshot } : undefined;
  }

  private rescan(): Promise<Snapshot> {
    const started = Date.now();
    this.scanning ??= scan(this.root)
      .then((s) => {
        this.freshForMs = Math.max(this.maxAgeMs, 10 * (Date.now() - started));
        return (this.snapshot = s);
      })
      .catch((err: unknown) => {
        if (!this.snapshot) throw err;
        log.warn({ err }, 'rescan of the data directory failed; keeping the last listing');
        return this.snapshot;
      })
      .finally(() => (this.scanning = undefined));
    return this.scanning;
  }
}

async function scan(root: string): Promise<Snapshot> {
  const studies = new Map<string, Map<string, DatasetAnalysis>>();
  const byId = new Map<string, DatasetFile>();
  for (const studyId of await childDirs(root, root)) {
    const analyses = new Map<string, DatasetAnalysis>();
    for (const analysisId of await childDirs(root, path.join(root, studyId))) {
      const analysis = await scanAnalysis(root, studyId, analysisId);
      if (!analysis) continue;
      analysis.files = analysis.files.filter((f) => {
        const other = byId.get(f.objectId);
        if (other) {
          log.warn({ objectId: f.objectId, kept: other.path, skipped: f.path }, 'duplicate object id (analysis id reused across studies)');
          return false;
        }
        byId.set(f.objectId, f);
        return true;
      });
      analyses.set(analysisId, analysis);
    }
    if (analyses.size > 0) studies.set(studyId, analyses);
  }
  const files = [...byId.values()].sort((a, b) => (a.objectId < b.objectId ? -1 : a.objectId > b.objectId ? 1 : 0));
  return {
    scannedAt: Date.now(),
    files,
    byId,
    studies,
    analysisOf: (f) => studies.get(f.studyId)!.get(f.analysisId)!,
  };
}

async function scanAnalysis(root: string, studyId: string, analysisId: string): Promise<DatasetAnalysis | undefined> {
  const dir = path.join(root, studyId, analysisId);
  const dirStat = await statOrUndefined(dir);
  if (!dirStat) return undefined;
  const meta = await readAnalysisMeta(dir);
  const names = (await listOrEmpty(dir)).filter((n) => !n.startsWith('.')).sort();
  const entries = await Promise.all(
    names.map(async (fileName): Promise<DatasetFile | undefined> => {
      const real = await realInside(root, path.join(dir, fileName));
      const st = real && (await statOrUndefined(real));
      if (!real || !st || !st.isFile()) return undefined;
      return {
        objectId: objectIdFor(analysisId, fileName),
        studyId,
        analysisId,
        fileName,
        path: real,
        dev: st.dev,
        ino: st.ino,
        size: st.size,
        mtimeMs: Math.floor(st.mtimeMs),
        access: meta.access.get(fileName) ?? 'open',
      };
    }),
  );
  const files = entries.filter((f): f is DatasetFile => f !== undefined);
  return {
    studyId,
    analysisId,
    state: meta.state,
    createdMs: Math.floor(Math.min(dirStat.birthtimeMs || dirStat.mtimeMs, dirStat.mtimeMs)),
    updatedMs: Math.floor(dirStat.mtimeMs),
    files,
  };
}

async function readAnalysisMeta(dir: string): Promise<AnalysisMeta> {
  const meta: AnalysisMeta = { state: 'PUBLISHED', access: new Map() };
  let text: string;
  try {
    text = await readFile(path.join(dir, ANALYSIS_META_FILE), 'utf8');
  } catch {
    return meta;
  }
  try {
    const json = JSON.parse(text) as { analysisState?: unknown; files?: unknown };
    if (STATES.includes(json.analysisState as AnalysisState)) meta.state = json.analysisState as AnalysisState;
    if (json.files && typeof json.files === 'object') {
      for (const [name, value] of Object.entries(json.files as Record<string, unknown>)) {
        const access = (value as { fileAccess?: unknown } | null)?.fileAccess;
        if (access === 'open' || access === 'controlled') meta.access.set(name, access);
      }
    }
  } catch (err) {
    log.warn({ err, dir }, `${ANALYSIS_META_FILE} is not valid JSON; using the defaults (PUBLISHED, open)`);
  }
  return meta;
}

/** Names of the non-hidden subdirectories of `dir` whose real path stays inside `root`. */
async function childDirs(root: string, dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const name of (await listOrEmpty(dir)).sort()) {
    if (name.startsWith('.')) continue;
    const real = await realInside(root, path.join(dir, name));
    if (real && (await statOrUndefined(real))?.isDirectory()) out.push(name);
  }
  return out;
}

/** The real path of `p` if it lies inside `root` (symlinks out of the data directory are ignored). */
export async function realInside(root: string, p: string): Promise<string | undefined> {
  try {
    const real = await realpath(p);
    return isInside(root, real) ? real : undefined;
  } catch {
    return undefined;
  }
}

async function listOrEmpty(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch {
    return [];
  }
}

async function statOrUndefined(p: string): Promise<Stats | undefined> {
  try {
    return await stat(p);
  } catch {
    return undefined;
  }
}
