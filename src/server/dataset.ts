// The data directory as Score + SONG see it: DIR/<studyId>/<analysisId>/<fileName>, rescanned when stale.
import type { Stats } from 'node:fs';
import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { InvalidInput } from '../errors.js';
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

/** How long a request waits for a rescan before the last listing answers it. */
const STALE_ANSWER_MS = 1000;

export class Dataset {
  private snapshot: Snapshot | undefined;
  private scanning: Promise<Snapshot> | undefined;
  private readonly metaProblems = new MetaProblems();
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
    const usage = 'pass --data DIR, a directory laid out as DIR/<studyId>/<analysisId>/<fileName> (scripts/make-sample-data.sh DIR makes one)';
    const root = await realpath(dir).catch((err: NodeJS.ErrnoException) => {
      throw new InvalidInput(`data directory ${dir} ${err.code === 'ENOENT' ? 'does not exist' : `cannot be opened (${err.code})`}: ${usage}`);
    });
    if (!(await stat(root)).isDirectory()) throw new InvalidInput(`data directory ${dir} is not a directory: ${usage}`);
    const dataset = new Dataset(root, maxAgeMs);
    await dataset.current();
    return dataset;
  }

  /**
   * The listing, rescanned first if older than freshForMs (one scan at a time). A scan that takes longer
   * than STALE_ANSWER_MS (a directory of 100,000 files on a busy machine takes tens of seconds) goes on
   * in the background while the last listing answers, as a real SONG answers from its database at once.
   */
  async current(): Promise<Snapshot> {
    const last = this.snapshot;
    if (last && Date.now() - last.scannedAt <= this.freshForMs) return last;
    const fresh = this.rescan();
    if (!last) return fresh;
    let timer: NodeJS.Timeout | undefined;
    const stale = new Promise<Snapshot>((resolve) => (timer = setTimeout(() => resolve(last), STALE_ANSWER_MS)));
    try {
      return await Promise.race([fresh, stale]);
    } finally {
      clearTimeout(timer);
    }
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
    this.scanning ??= scan(this.root, this.metaProblems)
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

async function scan(root: string, problems: MetaProblems): Promise<Snapshot> {
  const studies = new Map<string, Map<string, DatasetAnalysis>>();
  const byId = new Map<string, DatasetFile>();
  for (const studyId of await childDirs(root, root)) {
    const analyses = new Map<string, DatasetAnalysis>();
    for (const analysisId of await childDirs(root, path.join(root, studyId))) {
      const analysis = await scanAnalysis(root, studyId, analysisId, problems);
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
  problems.endScan();
  const files = [...byId.values()].sort((a, b) => (a.objectId < b.objectId ? -1 : a.objectId > b.objectId ? 1 : 0));
  return {
    scannedAt: Date.now(),
    files,
    byId,
    studies,
    analysisOf: (f) => studies.get(f.studyId)!.get(f.analysisId)!,
  };
}

async function scanAnalysis(root: string, studyId: string, analysisId: string, problems: MetaProblems): Promise<DatasetAnalysis | undefined> {
  const dir = path.join(root, studyId, analysisId);
  const dirStat = await statOrUndefined(dir);
  if (!dirStat) return undefined;
  const read = await readAnalysisMeta(dir);
  if (!read.ok) {
    problems.report(path.join(dir, ANALYSIS_META_FILE), read.seen, read.problem);
    return undefined;
  }
  const { meta } = read;
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

type MetaRead = { ok: true; meta: AnalysisMeta } | { ok: false; problem: string; seen: string };

/**
 * The analysis's `.analysis.json`, or the defaults (PUBLISHED, every file open) when there is none.
 * A file that cannot be read, is not JSON or has an unexpected shape is a problem, never the defaults:
 * it may have been meant to restrict access.
 */
async function readAnalysisMeta(dir: string): Promise<MetaRead> {
  let text: string;
  try {
    text = await readFile(path.join(dir, ANALYSIS_META_FILE), 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { ok: true, meta: { state: 'PUBLISHED', access: new Map() } };
    return { ok: false, problem: `cannot be read (${code ?? String(err)})`, seen: `unreadable ${code}` };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return { ok: false, problem: `is not valid JSON (${(err as Error).message})`, seen: text };
  }
  const shape = parseAnalysisMeta(json);
  return typeof shape === 'string' ? { ok: false, problem: shape, seen: text } : { ok: true, meta: shape };
}

const META_EXAMPLE = `{"analysisState": "PUBLISHED", "files": {"x.bam": {"fileAccess": "controlled"}}}`;

/** The metadata of a parsed `.analysis.json`, or what is wrong with it. Unknown keys are wrong: a misspelt one would lose a restriction. */
function parseAnalysisMeta(json: unknown): AnalysisMeta | string {
  const meta: AnalysisMeta = { state: 'PUBLISHED', access: new Map() };
  if (!isObject(json)) return 'is not a JSON object';
  for (const [key, value] of Object.entries(json)) {
    if (key === 'analysisState') {
      if (!STATES.includes(value as AnalysisState)) return `has analysisState ${JSON.stringify(value)}, not one of ${STATES.join(', ')}`;
      meta.state = value as AnalysisState;
    } else if (key === 'files') {
      if (!isObject(value)) return 'has "files" that is not an object of file name → {"fileAccess": …}';
      for (const [name, entry] of Object.entries(value)) {
        const keys = isObject(entry) ? Object.keys(entry) : [];
        const access = isObject(entry) ? entry.fileAccess : undefined;
        if (keys.length !== 1 || (access !== 'open' && access !== 'controlled')) {
          return `has files[${JSON.stringify(name)}] = ${JSON.stringify(entry)}, not {"fileAccess": "open"} or {"fileAccess": "controlled"}`;
        }
        meta.access.set(name, access);
      }
    } else return `has an unknown key ${JSON.stringify(key)} (the keys are analysisState, files)`;
  }
  return meta;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Logs each broken `.analysis.json` once per change of its content, not at every rescan. */
class MetaProblems {
  private reported = new Map<string, string>();
  private current = new Map<string, string>();

  report(file: string, seen: string, problem: string): void {
    this.current.set(file, seen);
    if (this.reported.get(file) === seen) return;
    log.warn({ file }, `${file} ${problem}: its analysis is hidden (not listed, not downloadable) until the file is fixed; expected ${META_EXAMPLE}`);
  }

  /** Ends a scan: files fixed or gone are forgotten, so breaking them again is reported again. */
  endScan(): void {
    this.reported = this.current;
    this.current = new Map();
  }
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
