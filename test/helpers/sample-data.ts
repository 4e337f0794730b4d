// The sample data set (scripts/make-sample-data.sh), built once into .tmp/ and shared read-only by tests.
import { execFileSync } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { repoRoot } from './paths.js';

let built: string | undefined;

/** Returns DIR laid out as DIR/<studyId>/<analysisId>/<fileName>; tests must not write into it. */
export function sampleData(): string {
  if (!built) {
    const dir = path.join(repoRoot, '.tmp', 'sample-data');
    execFileSync('bash', [path.join(repoRoot, 'scripts', 'make-sample-data.sh'), dir], { stdio: 'ignore' });
    built = dir;
  }
  return built;
}

export const SAMPLE = {
  study: 'TEST-CA',
  bamAnalysis: 'AN-EX1-BAM',
  csiAnalysis: 'AN-EX1-CSI',
  cramAnalysis: 'AN-EX1-CRAM',
  cram31Analysis: 'AN-EX1-CRAM31',
  refAnalysis: 'AN-EX1-REF',
} as const;

export interface SourceFile {
  studyId: string;
  analysisId: string;
  fileName: string;
  path: string;
}

/** The files of a data directory laid out as DIR/<studyId>/<analysisId>/<fileName> (dot names left out, as `scorefs serve` does). */
export async function sourceFiles(dir: string): Promise<SourceFile[]> {
  const out: SourceFile[] = [];
  for (const studyId of await readdir(dir)) {
    if (studyId.startsWith('.')) continue;
    for (const analysisId of await readdir(path.join(dir, studyId))) {
      for (const fileName of await readdir(path.join(dir, studyId, analysisId))) {
        if (!fileName.startsWith('.')) out.push({ studyId, analysisId, fileName, path: path.join(dir, studyId, analysisId, fileName) });
      }
    }
  }
  return out;
}
