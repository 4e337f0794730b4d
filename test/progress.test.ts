// The progress bar of `scorefs download` as a user sees it: drawn in place on a terminal (here a
// pseudo-terminal from `script`) with notes above it and a summary line at the end; on a pipe, only
// the notes, with no terminal control sequences.
import test from 'ava';
import path from 'node:path';
import { objectIdFor } from '../src/server/object-id.js';
import { exec } from './helpers/exec.js';
import { runScorefs } from './helpers/mount.js';
import { checkoutScorefs } from './helpers/paths.js';
import { SAMPLE, sampleData } from './helpers/sample-data.js';
import { startServer } from './helpers/server.js';
import { tempDir } from './helpers/tmp.js';

const BAM = objectIdFor(SAMPLE.bamAnalysis, 'ex1.bam');
/** Slow enough that the 125 KB BAM takes about two seconds: the bar is redrawn several times. */
const BYTES_PER_SECOND = 64 * 1024;

const quote = (word: string): string => `'${word.replace(/'/g, `'\\''`)}'`;

/** Runs the CLI on a pseudo-terminal; returns what the terminal received. */
async function onTerminal(args: string[]): Promise<{ code: number | null; screen: string }> {
  const command = [...checkoutScorefs, ...args].map(quote).join(' ');
  const r = await exec('script', ['--quiet', '--return', '--command', command, '/dev/null'], { env: { COLUMNS: '120', LINES: '40' } });
  return { code: r.code, screen: r.stdout };
}

test('on a terminal the download shows a bar, notes above it, and a summary; on a pipe only notes', async (t) => {
  const server = await startServer(t, { data: sampleData() });
  await server.setFaults({ route: 'object', bytesPerSecond: BYTES_PER_SECOND });
  const out = await tempDir(t);
  const args = ['download', '--storage-url', server.url, '--object-id', BAM, '--output-dir', out];

  const first = await onTerminal(args);
  t.is(first.code, 0, first.screen);
  t.regex(first.screen, /download \[[#.]{24}\] \d+% [\d.]+ KiB\/[\d.]+ KiB {2}[\d.]+ (B|KiB)\/s/, 'a bar with bytes done, total and rate');
  t.regex(first.screen, /download: [\d.]+ KiB in [\d.]+ s \([\d.]+ KiB\/s\)/, 'a summary line');
  t.true((first.screen.match(/download \[/g) ?? []).length >= 2, 'the bar is redrawn as bytes arrive');

  // The file is there now: the note that it is skipped is shown (above the bar, before the summary).
  const again = await onTerminal(args);
  t.is(again.code, 0, again.screen);
  const skipped = again.screen.indexOf(`skipped ${path.join(out, 'ex1.bam')}: exists`);
  t.true(skipped >= 0 && skipped < again.screen.indexOf('download: 0 B in'), again.screen);

  const piped = await runScorefs([...args, '--force']);
  t.is(piped.code, 0, piped.stderr);
  t.false(/[\r\x1b]/.test(piped.stderr), `no terminal control on a pipe: ${JSON.stringify(piped.stderr)}`);
  t.false(piped.stderr.includes('[#'), 'no bar on a pipe');
});
