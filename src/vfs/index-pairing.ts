// Which catalog file is the index of which: SONG has no link, so (as every Score tool does) an
// index is the file of the same analysis named `<data fileName>.<ext>`.
import type { CatalogFile } from '../model.js';
import { indexFor } from '../score/catalog.js';

/** data file → its index (.bai, .crai, .csi, .tbi; the pairing score-client uses), for every file that has one. */
export function pairIndexes(files: readonly CatalogFile[]): Map<CatalogFile, CatalogFile> {
  const byAnalysis = groupByAnalysis(files);
  const pairs = new Map<CatalogFile, CatalogFile>();
  for (const data of files) {
    const index = indexFor(data, byAnalysis.get(data.analysisId)!);
    if (index) pairs.set(data, index);
  }
  return pairs;
}

/** Extensions tools look for beside a file: alignment indexes, and FASTA's .fai/.gzi (samtools -T). */
export const COMPANION_EXTENSIONS = ['bai', 'crai', 'csi', 'tbi', 'fai', 'gzi'] as const;

export interface Companion {
  of: CatalogFile;
  file: CatalogFile;
  /** Lower case, one of COMPANION_EXTENSIONS. */
  ext: string;
}

/** Every file named `<other fileName>.<ext>` in the same analysis as that other file. */
export function companions(files: readonly CatalogFile[]): Companion[] {
  const byName = new Map(files.map((f) => [`${f.analysisId}\u0000${f.fileName.toLowerCase()}`, f]));
  const found: Companion[] = [];
  for (const of of files) {
    for (const ext of COMPANION_EXTENSIONS) {
      const file = byName.get(`${of.analysisId}\u0000${of.fileName.toLowerCase()}.${ext}`);
      if (file) found.push({ of, file, ext });
    }
  }
  return found;
}

/** Formats whose header and index samtools reads on every region query. */
export function isAlignmentFile(fileName: string): boolean {
  return /\.(bam|cram)$/i.test(fileName);
}

function groupByAnalysis(files: readonly CatalogFile[]): Map<string, CatalogFile[]> {
  const groups = new Map<string, CatalogFile[]>();
  for (const f of files) {
    const group = groups.get(f.analysisId);
    if (group) group.push(f);
    else groups.set(f.analysisId, [f]);
  }
  return groups;
}
