// The sample data set (scripts/make-sample-data.sh), built once into .tmp/ and shared read-only by tests.
import { execFileSync } from 'node:child_process';
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
