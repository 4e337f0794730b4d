// The log: JSON lines in a file that never holds a token or a signature, bounded by rotation, and
// readable lines for a terminal.
import test from 'ava';
import { readFile, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { configureLogger, logger } from '../src/util/log.js';
import { humanLine } from '../src/util/log-human.js';
import { tempDir } from './helpers/tmp.js';

const TOKEN = 'f3a1c0de-5eed-4bad-9a11-0123456789ab';
const SIGNED = 'http://127.0.0.1:1/-/object/x?X-Amz-Date=20261126T000000Z&X-Amz-Signature=abcdef0123456789';

async function flushed(file: string, needle: string): Promise<string> {
  for (let i = 0; i < 100; i++) {
    const text = await readFile(file, 'utf8').catch(() => '');
    if (text.includes(needle)) return text;
    await sleep(20);
  }
  throw new Error(`log never got ${needle}`);
}

test('the log file gets JSON lines without tokens or URL signatures, and rotates past its bound; both files are 0600 under umask 022', async (t) => {
  const umask = process.umask(0o022);
  t.teardown(() => void process.umask(umask));
  const dir = await tempDir(t);
  const file = path.join(dir, 'scorefs.log');
  configureLogger({ level: 'info', file });
  const log = logger('test');
  log.warn(`fetch of ${SIGNED} with Bearer ${TOKEN} failed`);
  log.info({ url: SIGNED, token: TOKEN }, 'first');
  const text = await flushed(file, '"first"');
  t.false(text.includes(TOKEN));
  t.false(text.includes('abcdef0123456789'));
  const lines = text.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  t.is(lines[0]!.level, 'warn');
  t.is(lines[0]!.module, 'test');

  // Rotation: a grown file moves to .1 and the logger goes on writing into a fresh file.
  configureLogger({ level: 'info', file, rotation: { maxBytes: 10, keep: 2, checkEveryMs: 20 } });
  const rotated = await flushed(`${file}.1`, '"first"');
  t.true(rotated.includes('"first"'));
  configureLogger({ level: 'info', file }); // the default bound again: no further rotation
  logger('test').info('after rotation');
  const fresh = await flushed(file, 'after rotation');
  t.false(fresh.includes('"first"'));
  t.deepEqual((await readdir(dir)).sort(), ['scorefs.log', 'scorefs.log.1']);
  for (const name of ['scorefs.log', 'scorefs.log.1']) t.is((await stat(path.join(dir, name))).mode & 0o777, 0o600, name);
});

test('terminal lines are short and human', (t) => {
  const line = humanLine(JSON.stringify({ level: 'warn', time: Date.UTC(2026, 0, 1, 12, 34, 56), pid: 1, module: 'cache', msg: 'block evicted', object: 'abc' }));
  t.is(line, '12:34:56 WARN  cache: block evicted object=abc\n');
});
