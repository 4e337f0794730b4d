// Option values are checked before a command does anything: a negative, NaN or garbage number or
// size, a mistyped URL, or an option given twice, is refused (exit 2) naming the option and a valid example, and
// nothing is created, mounted or stopped.
import test from 'ava';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { isMounted, mountScorefs, mountWorkDir, runScorefs } from './helpers/mount.js';
import { sampleData } from './helpers/sample-data.js';
import { startServer } from './helpers/server.js';

test('bad numbers and sizes are refused naming the option and a valid value; nothing is created', async (t) => {
  const work = await mountWorkDir(t);
  const mount = ['mount', path.join(work, 'mnt'), '--storage-url', 'http://127.0.0.1:9', '--cache-dir', path.join(work, 'cache')];
  const cases: Array<[string[], RegExp]> = [
    [['mount', path.join(work, 'mnt'), '--storage-url', 'htp://127.0.0.1:9'], /invalid storage URL "htp:\/\/127.0.0.1:9": the scheme is "htp" \(a typo for http or https\?\)/],
    [['mount', path.join(work, 'mnt'), '--storage-url', 'http://127.0.0.1:99999'], /invalid storage URL "http:\/\/127.0.0.1:99999": port 99999 is out of range \(1-65535\)/],
    [[...mount, '--cache-size', '-5G'], /--cache-size: not a size: "-5G" \(examples: 50G/],
    [[...mount, '--memory-size', 'lots'], /--memory-size: not a size: "lots" \(examples: 50G/],
    [[...mount, '--read-deadline', 'abc'], /--read-deadline must be a positive number of seconds, not "abc" \(example: --read-deadline 60\)/],
    [[...mount, '--refresh-interval', '-1'], /--refresh-interval must be a positive number of seconds, not "-1" \(example: --refresh-interval 300\)/],
    [[...mount, '--metrics-port', '99999'], /--metrics-port must be a TCP port number \(1-65535\), not "99999" \(example: --metrics-port 9187\)/],
    [[...mount, '--ready-timeout', '0'], /--ready-timeout must be a positive number of seconds, not "0"/],
    [['cache', 'warm', '--storage-url', 'http://127.0.0.1:9', '--cache-dir', path.join(work, 'cache'), '--parallel', '2.5', 'x'], /--parallel must be a positive integer, not "2.5" \(example: --parallel 8\)/],
    [['download', '--storage-url', 'http://127.0.0.1:9', '--object-id', 'x', '--output-dir', path.join(work, 'out'), '--offset', '-3'], /--offset must be a byte offset/],
    [['download', '--storage-url', 'http://127.0.0.1:9', '--object-id', 'x', '--output-dir', path.join(work, 'out'), '--length', 'NaN'], /--length must be a byte count, or -1 for the rest, not "NaN"/],
  ];
  for (const [args, expected] of cases) {
    const r = await runScorefs(args);
    t.is(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    t.regex(r.stderr, expected);
  }
  t.deepEqual(await readdir(work), [], 'no cache, mountpoint or output directory was made');
});

test('an option given twice, or empty, is refused, saying so, not read as a missing one', async (t) => {
  const work = await mountWorkDir(t);
  const r = await runScorefs(['mount', path.join(work, 'mnt'), '--storage-url', 'http://127.0.0.1:9', '--storage-url', 'http://127.0.0.1:10']);
  t.is(r.code, 2);
  t.regex(r.stderr, /--storage-url was given 2 times \("http:\/\/127.0.0.1:9", "http:\/\/127.0.0.1:10"\): give it once/);
  const emptyId = await runScorefs(['download', '--storage-url', 'http://127.0.0.1:9', '--object-id', '', '--output-dir', path.join(work, 'out')]);
  t.is(emptyId.code, 2);
  t.regex(emptyId.stderr, /--object-id is empty: give it a value/);
  const emptyMountpoint = await runScorefs(['mount', '', '--storage-url', 'http://127.0.0.1:9']);
  t.is(emptyMountpoint.code, 2);
  t.regex(emptyMountpoint.stderr, /the mountpoint argument is empty: give it a value/);
  const twiceSize = await runScorefs(['mount', path.join(work, 'mnt'), '--storage-url', 'http://127.0.0.1:9', '--cache-size', '1G', '--cache-size', '2G']);
  t.is(twiceSize.code, 2);
  t.regex(twiceSize.stderr, /--cache-size was given 2 times/);
});

test('unmount --timeout 0, -1 or abc is refused before anything is stopped; a later unmount stops the daemon cleanly', async (t) => {
  const server = await startServer(t, { data: sampleData() });
  const m = await mountScorefs(t, { serverUrl: server.url });
  for (const bad of ['0', '-1', 'abc']) {
    const r = await runScorefs(['unmount', m.mnt, '--timeout', bad]);
    t.is(r.code, 2, r.stderr);
    t.regex(r.stderr, new RegExp(`--timeout must be a number of seconds ≥ 1, not "${bad}" \\(example: --timeout 20\\)`));
    t.true(await isMounted(m.mnt), `still mounted after --timeout ${bad}`);
  }
  const r = await runScorefs(['unmount', m.mnt, '--timeout', '20']);
  t.is(r.code, 0, r.stderr);
  t.false(await isMounted(m.mnt));
  const log = await readFile(m.logFile, 'utf8');
  t.regex(log, /"reason":"SIGTERM".*"msg":"stopping"/, 'the daemon was stopped, not killed');
});
