// What readers and `scorefs mount` get when things go wrong: EACCES for a controlled file the token
// may not read, EIO (not a hang) from a stalled server, and a failed mount — non-zero exit, one line
// saying why, nothing mounted — for a bad token, an unreachable server or a non-empty mountpoint.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { chmod, chown, cp, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import path from 'node:path';
import { exec } from './helpers/exec.js';
import { md5sum } from './helpers/md5.js';
import { isMounted, mountScorefs, mountWorkDir, runScorefs } from './helpers/mount.js';
import { scorefsBin } from './helpers/paths.js';
import { SAMPLE, sampleData } from './helpers/sample-data.js';
import { startServer } from './helpers/server.js';

/** Sample data plus a second study whose BAM is controlled. */
async function dataWithControlledStudy(work: string): Promise<string> {
  const data = path.join(work, 'data');
  await cp(path.join(sampleData(), SAMPLE.study), path.join(data, SAMPLE.study), { recursive: true });
  const secret = path.join(data, 'TEST-XX', 'AN-SECRET');
  await mkdir(secret, { recursive: true });
  await cp(path.join(sampleData(), SAMPLE.study, SAMPLE.bamAnalysis, 'ex1.bam'), path.join(secret, 'ex1.bam'));
  await writeFile(path.join(secret, '.analysis.json'), JSON.stringify({ analysisState: 'PUBLISHED', files: { 'ex1.bam': { fileAccess: 'controlled' } } }));
  return data;
}

async function tokenFile(dir: string, token: string): Promise<string> {
  const file = path.join(dir, `token-${token}`);
  await writeFile(file, token + '\n');
  await chmod(file, 0o600);
  return file;
}

async function scorefsDaemonsFor(mnt: string): Promise<number> {
  const r = await exec('pgrep', ['-f', `scorefs mount ${mnt}`]);
  return r.stdout.trim() ? r.stdout.trim().split('\n').length : 0;
}

test('a controlled file is EACCES for a token scoped to another study; open files still read', async (t) => {
  const work = await mountWorkDir(t);
  const data = await dataWithControlledStudy(work);
  const tokens = path.join(work, 'tokens.json');
  await writeFile(tokens, JSON.stringify({ 'tok-ca': [`PROGRAMDATA-${SAMPLE.study}.READ`] }));
  const server = await startServer(t, { data, tokens });
  const m = await mountScorefs(t, { serverUrl: server.url, extraArgs: ['--token-file', await tokenFile(work, 'tok-ca')] });

  const err = await readFile(path.join(m.mnt, 'AN-SECRET', 'ex1.bam')).then(
    () => undefined,
    (e: NodeJS.ErrnoException) => e.code,
  );
  t.is(err, 'EACCES');
  t.is(await md5sum(path.join(m.mnt, SAMPLE.bamAnalysis, 'ex1.bam')), await md5sum(path.join(data, SAMPLE.study, SAMPLE.bamAnalysis, 'ex1.bam')));
});

test('a stalled server makes reads fail with EIO after --read-deadline, not hang', async (t) => {
  const server = await startServer(t, { data: sampleData() });
  const m = await mountScorefs(t, { serverUrl: server.url, extraArgs: ['--read-deadline', '3'] });
  await server.setFaults({ route: 'object', stallRate: 1, stallMs: 600_000 });
  const r = await exec('cat', [path.join(m.mnt, SAMPLE.cramAnalysis, 'ex1.cram')], { timeoutMs: 60_000 });
  t.not(r.code, null, 'cat was not left hanging');
  t.regex(r.stderr, /Input\/output error/);
  t.true(await isMounted(m.mnt), 'the mount stays up');
  await server.clearFaults();
});

test('a store that lies in its Content-Range fails the read at once with EIO and a log line, not at the read deadline', async (t) => {
  const server = await startServer(t, { data: sampleData() });
  // A deadline far past the command's own bound: a read retried until it would leave cat hanging.
  const m = await mountScorefs(t, { serverUrl: server.url, extraArgs: ['--read-deadline', '3600'] });
  await server.setFaults({ route: 'object', badRangeRate: 1 });
  const r = await exec('cat', [path.join(m.mnt, SAMPLE.cramAnalysis, 'ex1.cram')], { timeoutMs: 60_000 });
  t.not(r.code, null, 'cat was not left waiting for the read deadline');
  t.regex(r.stderr, /Input\/output error/);
  const log = await readFile(m.logFile, 'utf8');
  t.regex(log, /the object store says the object has \d+ bytes/, 'the log says what the store got wrong');
  t.true(await isMounted(m.mnt), 'the mount stays up');
  await server.clearFaults();
  const again = await exec('cat', [path.join(m.mnt, SAMPLE.cramAnalysis, 'ex1.cram')], { timeoutMs: 60_000 });
  t.is(again.code, 0, 'an honest store is read again: the lie was not remembered');
});

test('a rejected token fails the mount with a one-line reason and leaves nothing mounted', async (t) => {
  const work = await mountWorkDir(t);
  const tokens = path.join(work, 'tokens.json');
  await writeFile(tokens, JSON.stringify({ 'tok-good': ['score.READ'] }));
  const server = await startServer(t, { data: sampleData(), tokens });
  const mnt = path.join(work, 'mnt');
  await mkdir(mnt);
  const ways: { args: string[]; env: Record<string, string> }[] = [
    { args: [], env: { ACCESSTOKEN: 'tok-bad' } },
    { args: ['--token-file', await tokenFile(work, 'tok-bad')], env: {} },
  ];
  for (const how of ways) {
    const r = await runScorefs(['mount', mnt, '--storage-url', server.url, '--cache-dir', path.join(work, 'cache'), ...how.args], how.env);
    t.not(r.code, 0);
    t.is(r.stderr.trim().split('\n').length, 1, r.stderr);
    t.regex(r.stderr, /token/i);
    t.notRegex(r.stderr + r.stdout, /tok-bad/, 'the token is never printed');
    t.false(await isMounted(mnt));
    t.is(await scorefsDaemonsFor(mnt), 0, (await exec('ps', ['-eo', 'pid,stat,args'])).stdout);
  }
});

test('an unreachable server with nothing cached fails the mount and says so', async (t) => {
  const server = await startServer(t, { data: sampleData() });
  const url = server.url;
  await server.stop();
  const work = await mountWorkDir(t);
  const mnt = path.join(work, 'mnt');
  await mkdir(mnt);
  const r = await runScorefs(['mount', mnt, '--storage-url', url, '--cache-dir', path.join(work, 'cache'), '--read-deadline', '2']);
  t.not(r.code, 0);
  t.regex(r.stderr, /cannot reach .*no listing of this server is cached/);
  t.is(r.stderr.trim().split('\n').length, 1, r.stderr);
  t.false(await isMounted(mnt));
});

test('bad options and a non-empty mountpoint are refused before anything is mounted', async (t) => {
  const work = await mountWorkDir(t);
  const mnt = path.join(work, 'mnt');
  await mkdir(mnt);
  const cache = ['--cache-dir', path.join(work, 'cache')];
  const badUrl = await runScorefs(['mount', mnt, '--storage-url', 'ftp://example', ...cache]);
  t.not(badUrl.code, 0);
  t.regex(badUrl.stderr, /storage URL/);
  const badSize = await runScorefs(['mount', mnt, '--storage-url', 'http://127.0.0.1:9', '--cache-size', 'lots', ...cache]);
  t.not(badSize.code, 0);
  t.regex(badSize.stderr, /not a size/);
  const badLease = await runScorefs(['mount', mnt, '--storage-url', 'http://127.0.0.1:9', '--access-lease', 'a while', ...cache]);
  t.not(badLease.code, 0);
  t.regex(badLease.stderr, /access-lease must be a positive duration such as 12h.*"a while"/);

  await writeFile(path.join(mnt, 'keep-me'), 'x');
  const server = await startServer(t, { data: sampleData() });
  const r = await runScorefs(['mount', mnt, '--storage-url', server.url, ...cache]);
  t.not(r.code, 0);
  t.regex(r.stderr, /not empty/);
  t.false(await isMounted(mnt));
  t.is(await readFile(path.join(mnt, 'keep-me'), 'utf8'), 'x');
});

test('--metrics-port on a port in use fails the mount naming the port; nothing is mounted, no daemon is left', async (t) => {
  const busy = createServer();
  await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => busy.close(() => resolve())));
  const port = (busy.address() as AddressInfo).port;
  const server = await startServer(t, { data: sampleData() });
  const work = await mountWorkDir(t);
  const mnt = path.join(work, 'mnt');
  await mkdir(mnt);
  const r = await runScorefs(['mount', mnt, '--storage-url', server.url, '--cache-dir', path.join(work, 'cache'), '--metrics-port', String(port)]);
  t.is(r.code, 1, r.stdout + r.stderr);
  t.notRegex(r.stdout, /mounted/);
  t.regex(r.stderr, new RegExp(`mount failed: cannot serve metrics on 127.0.0.1:${port}: the port is in use by another program \\(EADDRINUSE\\): pick another --metrics-port`));
  t.false(await isMounted(mnt));
  t.is(await scorefsDaemonsFor(mnt), 0);
});

test('a token file that is not one token on one line is refused at once, saying what is wrong, never quoting it', async (t) => {
  const server = await startServer(t, { data: sampleData() });
  const work = await mountWorkDir(t);
  const mnt = path.join(work, 'mnt');
  await mkdir(mnt);
  const secret = 'tok-secret-123';
  const write = async (name: string, text: string, mode = 0o600): Promise<string> => {
    const file = path.join(work, name);
    await writeFile(file, text);
    await chmod(file, mode);
    return file;
  };
  const dirAsFile = path.join(work, 'tokendir');
  await mkdir(dirAsFile);
  const cases: Array<[string, RegExp]> = [
    [await write('two-lines', `${secret}\n${secret}-2\n`), /holds 2 lines: it must hold one token on one line \(a trailing newline is fine\)/],
    [await write('with-space', `${secret} x\n`), /has a space at position 15, which cannot be sent in an HTTP header/],
    [await write('with-control', `${secret}\u0007\n`), /has a control character at position 15/],
    [await write('non-ascii', `${secret}é\n`), /has a non-ASCII character at position 15/],
    [await write('empty-open', '', 0o644), /token file .*empty-open is empty: put your access token in it/],
    [dirAsFile, /token file .*tokendir is a directory: pass the file that holds the access token/],
    ['', /--token-file is empty: give it a value/],
  ];
  for (const [tokenFile, expected] of cases) {
    const r = await runScorefs(['mount', mnt, '--storage-url', server.url, '--cache-dir', path.join(work, 'cache'), '--token-file', tokenFile]);
    t.is(r.code, 2, `${tokenFile}: ${r.stderr}`);
    t.regex(r.stderr, expected);
    t.notRegex(r.stderr + r.stdout, /tok-secret/, 'the token is never printed');
    t.false(await isMounted(mnt));
  }
  const env = await runScorefs(['mount', mnt, '--storage-url', server.url, '--cache-dir', path.join(work, 'cache')], { ACCESSTOKEN: `${secret}\n${secret}` });
  t.is(env.code, 2, env.stderr);
  t.regex(env.stderr, /the access token from ACCESSTOKEN has a control character at position 15/);
  t.notRegex(env.stderr, /tok-secret/);
  // a trailing newline is fine: this one mounts
  const ok = await runScorefs(['mount', mnt, '--storage-url', server.url, '--cache-dir', path.join(work, 'cache'), '--token-file', await write('ok', `${secret}\n`)]);
  t.is(ok.code, 0, ok.stderr);
  t.is((await runScorefs(['unmount', mnt])).code, 0);
});

test('a cache dir or log file inside the mountpoint, or a cache dir that is a file, is refused before anything is written', async (t) => {
  const server = await startServer(t, { data: sampleData() });
  const work = await mountWorkDir(t);
  const mnt = path.join(work, 'mnt');
  await mkdir(mnt);
  const aFile = path.join(work, 'a-file');
  await writeFile(aFile, 'mine');
  const cases: Array<[string[], RegExp]> = [
    [['--cache-dir', path.join(mnt, 'cache')], new RegExp(`--cache-dir ${mnt}/cache is inside the mountpoint ${mnt}: put it elsewhere`)],
    [['--cache-dir', path.join(work, 'cache'), '--log-file', path.join(mnt, 'logs', 'x.log')], /--log-file .*x\.log is inside the mountpoint/],
    [['--cache-dir', aFile], new RegExp(`--cache-dir ${aFile} is a file, not a directory: pass a directory`)],
  ];
  for (const [args, expected] of cases) {
    const r = await runScorefs(['mount', mnt, '--storage-url', server.url, ...args]);
    t.is(r.code, 2, r.stderr);
    t.regex(r.stderr, expected);
    t.is(r.stderr.trim().split('\n').length, 1, r.stderr);
    t.false(await isMounted(mnt));
  }
  t.deepEqual(await readdir(mnt), [], 'nothing was written into the mountpoint');
  t.is(await readFile(aFile, 'utf8'), 'mine');
  // and the mountpoint is still good for a mount
  const ok = await runScorefs(['mount', mnt, '--storage-url', server.url, '--cache-dir', path.join(work, 'cache')]);
  t.is(ok.code, 0, ok.stderr);
  t.is((await runScorefs(['unmount', mnt])).code, 0);
});

test('a URL that answers HTML, or plain HTTP to https://, fails the mount at once saying which URL and what to change', async (t) => {
  const server = await startServer(t, { data: sampleData() });
  // a web portal: a Score-like /profile, and an HTML page everywhere else
  const portal = createHttpServer((req, res) => {
    if (req.url === '/profile') res.writeHead(200, { 'content-type': 'text/plain' }).end('s3');
    else res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><html><body>Data portal</body></html>');
  });
  await new Promise<void>((resolve) => portal.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => portal.close(() => resolve())));
  const portalUrl = `http://127.0.0.1:${(portal.address() as AddressInfo).port}`;
  const work = await mountWorkDir(t);
  const mnt = path.join(work, 'mnt');
  await mkdir(mnt);
  const mount = (...args: string[]) => runScorefs(['mount', mnt, '--cache-dir', path.join(work, 'cache'), ...args]);

  const defaulted = await mount('--storage-url', portalUrl);
  t.is(defaulted.code, 1, defaulted.stderr);
  t.true(defaulted.stderr.includes(`${portalUrl}/entities answered with an HTML page, not the API`), defaulted.stderr);
  t.regex(defaulted.stderr, /SONG is looked for at the storage URL unless --metadata-url .* names it/);

  const explicit = await mount('--storage-url', server.url, '--metadata-url', portalUrl);
  t.is(explicit.code, 1, explicit.stderr);
  t.true(explicit.stderr.includes(`${portalUrl}/entities answered with an HTML page`), explicit.stderr);
  t.regex(explicit.stderr, /check --metadata-url/);

  const tls = await mount('--storage-url', server.url.replace('http:', 'https:'));
  t.not(tls.code, 0);
  t.true(tls.stderr.includes(`answers plain HTTP, not TLS: is the server http, not https? Try ${server.url}`), tls.stderr);
  t.false(await isMounted(mnt));
});

/** A user who may not open /dev/fuse: `nobody`, when this runs as root and /dev/fuse is 0600 (as here). */
const NOBODY = ['--reuid=65534', '--regid=65534', '--clear-groups'];
const fuseProbe = process.getuid?.() === 0 ? spawnSync('setpriv', [...NOBODY, 'sh', '-c', 'exec 3<>/dev/fuse'], { stdio: 'ignore' }) : undefined;
const nobodyLacksFuse = fuseProbe !== undefined && fuseProbe.error === undefined && fuseProbe.status !== 0;
if (!nobodyLacksFuse) console.log('skipped: the /dev/fuse permission test needs root, setpriv, and a /dev/fuse that nobody may not open');
(nobodyLacksFuse ? test : test.skip)('a user who may not open /dev/fuse is told which device, its mode and the fix; nothing is mounted', async (t) => {
  const server = await startServer(t, { data: sampleData() });
  const work = await mountWorkDir(t);
  await chmod(work, 0o755);
  const mnt = path.join(work, 'mnt');
  const cache = path.join(work, 'cache');
  for (const dir of [mnt, cache]) {
    await mkdir(dir);
    await chown(dir, 65534, 65534);
  }
  const r = await exec('setpriv', [...NOBODY, 'env', 'HOME=/nonexistent', process.execPath, scorefsBin, 'mount', mnt, '--storage-url', server.url, '--cache-dir', cache]);
  t.is(r.code, 1, r.stderr);
  t.regex(r.stderr, /mount failed: nobody may not open \/dev\/fuse \(mode 0600, owner root:root\), which mounting needs: ask an administrator to make it usable by all \(chmod 0666 \/dev\/fuse/);
  t.false(await isMounted(mnt));
});
