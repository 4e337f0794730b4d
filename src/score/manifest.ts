// score-client download manifests (as score-client's DownloadManifestReader reads them): a header line, then rows of
// exactly 11 tab-separated cells; the objects are the File UUID and Index file UUID columns.
import { readFile } from 'node:fs/promises';
import { InvalidInput } from '../errors.js';

const COLUMNS = 11;
const FILE_UUID = 2;
const INDEX_FILE_UUID = 7;

/** The object ids named by the manifest file at `path`. */
export async function readManifest(path: string): Promise<Set<string>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new InvalidInput(`cannot read manifest ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, { cause: err });
  }
  return parseManifest(text, path);
}

export function parseManifest(text: string, source: string): Set<string> {
  const lines = text.split(/\r?\n/);
  if (/\.xml/i.test(source) || /^\s*</.test(lines[0] ?? '')) throw new InvalidInput(`${source}: a GNOS XML manifest is not a score-client manifest`);
  const ids = new Set<string>();
  lines.forEach((line, i) => {
    if (i === 0 || line.trim() === '') return;
    const cells = line.split('\t').map((c) => c.trim());
    if (cells.length !== COLUMNS) throw new InvalidInput(`${source} line ${i + 1}: expected ${COLUMNS} tab-separated columns, found ${cells.length}`);
    if (cells[FILE_UUID]) ids.add(cells[FILE_UUID]);
    if (cells[INDEX_FILE_UUID]) ids.add(cells[INDEX_FILE_UUID]);
  });
  return ids;
}
