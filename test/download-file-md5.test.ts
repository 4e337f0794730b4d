// The download's running MD5: chunks written in any order, some already there from an earlier run,
// give the MD5 of the whole file; a file shorter than its chunks say is an error, not a digest.
import test from 'ava';
import { createHash, randomBytes } from 'node:crypto';
import { open, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { RunningFileMd5 } from '../src/download/file-md5.js';
import { tempDir } from './helpers/tmp.js';

const CHUNK = 3 * 1024 * 1024 + 17; // not a multiple of the hasher's reads
const LENGTH = 7 * CHUNK + 12345;

test('chunks written out of order, after an earlier run wrote some, hash to the MD5 of the file', async (t) => {
  const bytes = randomBytes(LENGTH);
  const file = path.join(await tempDir(t), 'part');
  const chunks = Math.ceil(LENGTH / CHUNK);
  const earlier = [1, 4];
  const f = await open(file, 'w');
  await f.truncate(LENGTH);
  for (const i of earlier) await f.write(bytes, i * CHUNK, Math.min(CHUNK, LENGTH - i * CHUNK), i * CHUNK);
  const md5 = new RunningFileMd5(file, LENGTH, CHUNK, earlier);
  for (const i of [5, 0, 7, 3, 2, 6]) {
    await f.write(bytes, i * CHUNK, Math.min(CHUNK, LENGTH - i * CHUNK), i * CHUNK);
    md5.chunkWritten(i);
  }
  await f.close();
  t.is(chunks, 8);
  t.is(await md5.digest(), createHash('md5').update(bytes).digest('hex'));
});

test('a file shorter than its chunks fails the digest', async (t) => {
  const file = path.join(await tempDir(t), 'part');
  await writeFile(file, randomBytes(CHUNK));
  const md5 = new RunningFileMd5(file, 2 * CHUNK, CHUNK);
  md5.chunkWritten(0);
  md5.chunkWritten(1);
  await t.throwsAsync(md5.digest(), { message: /ends at/ });
  await md5.close();
});
