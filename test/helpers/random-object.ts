// A data directory for `scorefs serve` holding one file of random bytes, written by head(1) from
// /dev/urandom (large objects, without holding them in the test's memory); removed when the test ends.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { ExecutionContext } from 'ava';
import { exec } from './exec.js';
import { tempDir } from './tmp.js';

/** DATA/<study>/<analysis>/<name> of `size` random bytes: the data directory and the file's path. */
export async function randomObject(t: ExecutionContext, study: string, analysis: string, name: string, size: number): Promise<{ data: string; file: string }> {
  const data = path.join(await tempDir(t), 'data');
  const dir = path.join(data, study, analysis);
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, name);
  const made = await exec('bash', ['-c', `head -c ${size} /dev/urandom > '${file}'`]);
  if (made.code !== 0) throw new Error(`writing ${file}: ${made.stderr}`);
  return { data, file };
}
