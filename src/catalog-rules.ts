// The rules that tie catalog files together by name, in one place for every layer (score builds the
// catalog, vfs shows it, download and cache warm pick from it): which file is the index of which, which
// files sit beside a file as its companions, and which files a manifest selects. SONG records no link
// between a data file and its index, so (as every Score tool does, score-client download included) an
// index is the file of the same analysis named `<data fileName>.<ext>`, compared case-insensitively.
// It sits beside model.ts, below every layer, so score need not import vfs to use it.
import type { CatalogFile } from './model.js';

/** Index extensions, in the order that picks one when a file has several. */
export const INDEX_EXTENSIONS = ['bai', 'crai', 'csi', 'tbi'] as const;

/** Extensions tools look for beside a file: alignment indexes, and FASTA's .fai/.gzi (samtools -T). */
export const COMPANION_EXTENSIONS = [...INDEX_EXTENSIONS, 'fai', 'gzi'] as const;

const INDEX_SET: ReadonlySet<string> = new Set(INDEX_EXTENSIONS);
const COMPANION_NAME = new RegExp(`^(.+)\\.(${COMPANION_EXTENSIONS.join('|')})$`, 'i');

/** The index of `file` among the files of its analysis; the first of INDEX_EXTENSIONS wins. */
export function indexFor<T extends { fileName: string }>(file: T, filesOfSameAnalysis: readonly T[]): T | undefined {
  const wanted = file.fileName.toLowerCase();
  for (const ext of INDEX_EXTENSIONS) {
    const name = `${wanted}.${ext}`;
    const found = filesOfSameAnalysis.find((f) => f.fileName.toLowerCase() === name);
    if (found) return found;
  }
  return undefined;
}

export interface Companion {
  of: CatalogFile;
  file: CatalogFile;
  /** Lower case, one of COMPANION_EXTENSIONS. */
  ext: string;
}

/**
 * Every file named `<other fileName>.<ext>` in the same analysis as that other file. Only a name that
 * ends in a companion extension can be one, so those are indexed by what they name first: a catalog of
 * 100,000 files costs one lookup a file, not one a file and extension.
 */
export function companions(files: readonly CatalogFile[]): Companion[] {
  const byBase = new Map<string, Map<string, CatalogFile>>(); // analysis and base name → ext → first such file
  for (const f of files) {
    const split = splitCompanionName(f.fileName);
    if (!split) continue;
    const key = nameKey(f.analysisId, split.base);
    let exts = byBase.get(key);
    if (!exts) byBase.set(key, (exts = new Map()));
    if (!exts.has(split.ext)) exts.set(split.ext, f);
  }
  const found: Companion[] = [];
  if (byBase.size === 0) return found;
  for (const of of files) {
    const exts = byBase.get(nameKey(of.analysisId, of.fileName));
    if (!exts) continue;
    for (const ext of COMPANION_EXTENSIONS) {
      const file = exts.get(ext);
      if (file) found.push({ of, file, ext });
    }
  }
  return found;
}

/** data file → its index, for every file that has one. */
export function pairIndexes(files: readonly CatalogFile[]): Map<CatalogFile, CatalogFile> {
  const pairs = new Map<CatalogFile, CatalogFile>();
  for (const { of, file, ext } of companions(files)) {
    if (INDEX_SET.has(ext) && !pairs.has(of)) pairs.set(of, file);
  }
  return pairs;
}

/** The companion of `of` with extension `ext` (any case), if the catalog has it. */
export function companionOf(of: CatalogFile, ext: string, files: readonly CatalogFile[]): CatalogFile | undefined {
  const name = `${of.fileName}.${ext}`.toLowerCase();
  return files.find((f) => f.analysisId === of.analysisId && f.fileName.toLowerCase() === name);
}

/**
 * A name `<base>.<companion ext>` split in two: how the object-id layout names a file's companion
 * (`<objectId>.bai`), and how `cache warm` recognises such a path.
 */
export function splitCompanionName(name: string): { base: string; ext: string } | undefined {
  const m = COMPANION_NAME.exec(name);
  return m ? { base: m[1]!, ext: m[2]!.toLowerCase() } : undefined;
}

/** What a manifest selects: its objects, plus the index paired with each (in catalog order). */
export function selectManifest(files: readonly CatalogFile[], ids: ReadonlySet<string>): CatalogFile[] {
  const pairs = pairIndexes(files);
  const keep = new Set<CatalogFile>();
  for (const f of files) {
    if (!ids.has(f.id)) continue;
    keep.add(f);
    const index = pairs.get(f);
    if (index) keep.add(index);
  }
  return files.filter((f) => keep.has(f));
}

/** Formats whose header and index samtools reads on every region query. */
export function isAlignmentFile(fileName: string): boolean {
  return /\.(bam|cram)$/i.test(fileName);
}

function nameKey(analysisId: string, fileName: string): string {
  return `${analysisId}\u0000${fileName.toLowerCase()}`;
}
