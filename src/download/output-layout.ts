// Where a downloaded object lands (score-client's --output-layout): filename: <out>/<fileName>;
// bundle: <out>/<analysisId>/<fileName>; id: <out>/<objectId>.
import path from 'node:path';
import { InvalidInput } from '../errors.js';
import type { DownloadTarget } from './targets.js';

export const OUTPUT_LAYOUTS = ['filename', 'bundle', 'id'] as const;
export type OutputLayout = (typeof OUTPUT_LAYOUTS)[number];

export function outputPath(outDir: string, layout: OutputLayout, t: DownloadTarget): string {
  switch (layout) {
    case 'filename':
      return path.join(outDir, component(t.fileName, t));
    case 'bundle':
      return path.join(outDir, component(t.analysisId, t), component(t.fileName, t));
    case 'id':
      return path.join(outDir, component(t.id, t));
  }
}

/** A name from the server used as one path component: never a way out of the output directory. */
function component(name: string, t: DownloadTarget): string {
  if (name === '' || name === '.' || name === '..' || name.includes('/') || name.includes('\0')) {
    throw new InvalidInput(`object ${t.id}: "${name}" cannot be a file name`);
  }
  return name;
}
