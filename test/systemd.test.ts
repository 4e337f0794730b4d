// The systemd units written by `scorefs install-systemd` pass `systemd-analyze verify`, and their exact
// ExecStartPre/ExecStart/ExecStop lines (specifiers and ${VARS} expanded as systemd does) mount, send
// READY=1 to a real NOTIFY_SOCKET only once the mount answers, and unmount with the daemon exiting 0.
// PID 1 here is not systemd, so the test plays the service manager: a python3 datagram socket that
// receives sd_notify messages (with the sender's credentials) and answers BARRIER=1 as systemd does.
import test, { type ExecutionContext } from 'ava';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { exec, output } from './helpers/exec.js';
import { md5sum } from './helpers/md5.js';
import { isMounted, mapsMaxPagesLibrary, mountWorkDir, runScorefs } from './helpers/mount.js';
import { repoRoot } from './helpers/paths.js';
import { SAMPLE, sampleData } from './helpers/sample-data.js';
import { startServer } from './helpers/server.js';
import { tempDir } from './helpers/tmp.js';
import { waitFor } from './helpers/wait.js';

const SYSTEMD_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

// ---- a stand-in for the service manager's notify socket ----

interface NotifyMessage {
  fields: Record<string, string>;
  /** Sender pid from SCM_CREDENTIALS. */
  pid: number;
  /** Whether `mountpoint` was a fuse.scorefs mount with entries when the message arrived. */
  mounted: boolean;
}

const LISTENER = String.raw`
import array, json, os, socket, struct, sys
path, mountpoint = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
s.bind('\0' + path[1:] if path.startswith('@') else path)
def mounted():
    with open('/proc/self/mountinfo') as f:
        for line in f:
            left, right = line.split(' - ', 1)
            if left.split()[4] == mountpoint and right.split()[0] == 'fuse.scorefs':
                return len(os.listdir(mountpoint)) > 0
    return False
print(json.dumps({'listening': True}), flush=True)
while True:
    msg, anc, _flags, _addr = s.recvmsg(65536, socket.CMSG_SPACE(12) + socket.CMSG_SPACE(4 * 16))
    pid, fds = None, []
    for level, kind, data in anc:
        if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
            pid = struct.unpack('iII', data[:12])[0]
        elif level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds = array.array('i', data[: len(data) - len(data) % 4]).tolist()
    text = msg.decode()
    fields = dict(l.split('=', 1) for l in text.split('\n') if '=' in l)
    print(json.dumps({'fields': fields, 'pid': pid, 'mounted': mounted() if 'READY' in fields else False}), flush=True)
    for fd in fds:  # BARRIER=1: closing the fd tells systemd-notify all earlier messages were seen
        os.close(fd)
`;

class NotifySocket {
  readonly messages: NotifyMessage[] = [];
  private constructor(
    readonly address: string,
    private readonly child: ChildProcess,
  ) {}

  static async listen(t: ExecutionContext, address: string, mountpoint = '/nonexistent'): Promise<NotifySocket> {
    const child = spawn('python3', ['-c', LISTENER, address, mountpoint], { stdio: ['ignore', 'pipe', 'inherit'] });
    t.teardown(() => {
      child.kill('SIGKILL');
    });
    const socket = new NotifySocket(address, child);
    const lines = createInterface({ input: child.stdout! });
    let listening: () => void;
    const ready = new Promise<void>((resolve) => (listening = resolve));
    lines.on('line', (line) => {
      const m = JSON.parse(line) as NotifyMessage & { listening?: boolean };
      if (m.listening) listening();
      else socket.messages.push(m);
    });
    await Promise.race([ready, once(child, 'exit').then(() => Promise.reject(new Error('the notify listener exited')))]);
    return socket;
  }

  /** The first message that has `field`, waiting for it. */
  async message(field: string, timeoutMs = 60_000): Promise<NotifyMessage> {
    await waitFor(`${field} on ${this.address}`, () => this.messages.some((m) => field in m.fields), timeoutMs);
    return this.messages.find((m) => field in m.fields)!;
  }
}

// ---- reading a unit as systemd does (the subset the scorefs units use) ----

interface ParsedUnit {
  /** Section → key → values in order (a drop-in's values follow the unit's). */
  sections: Map<string, Map<string, string[]>>;
}

function parseUnit(...texts: string[]): ParsedUnit {
  const sections = new Map<string, Map<string, string[]>>();
  for (const text of texts) {
    let section = '';
    for (const raw of text.split('\n')) {
      const line = raw.trim();
      if (!line || line.startsWith('#') || line.startsWith(';')) continue;
      const header = /^\[(.+)\]$/.exec(line);
      if (header) {
        section = header[1]!;
        if (!sections.has(section)) sections.set(section, new Map());
        continue;
      }
      const eq = line.indexOf('=');
      const key = line.slice(0, eq).trim();
      const values = sections.get(section)!;
      values.set(key, [...(values.get(key) ?? []), line.slice(eq + 1).trim()]);
    }
  }
  return { sections };
}

function values(unit: ParsedUnit, section: string, key: string): string[] {
  return unit.sections.get(section)?.get(key) ?? [];
}

/** systemd.unit(5) specifiers: %h home, %i instance, %% a percent sign. */
function expandSpecifiers(text: string, spec: { home: string; instance?: string }): string {
  return text.replace(/%(.)/g, (_m, c: string) => {
    if (c === '%') return '%';
    if (c === 'h') return spec.home;
    if (c === 'i' && spec.instance !== undefined) return spec.instance;
    throw new Error(`unexpected specifier %${c} in "${text}"`);
  });
}

/** Words of a command line or Environment= value: "…" quoted with C escapes, else split on spaces. */
function splitWords(text: string): string[] {
  const words: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|(\S+)/g;
  for (let m = re.exec(text); m; m = re.exec(text)) words.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2]!);
  return words;
}

function unitEnvironment(unit: ParsedUnit, spec: { home: string; instance?: string }): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of values(unit, 'Service', 'Environment')) {
    for (const assignment of splitWords(expandSpecifiers(line, spec))) {
      const eq = assignment.indexOf('=');
      env[assignment.slice(0, eq)] = assignment.slice(eq + 1); // a later assignment wins, as in systemd
    }
  }
  return env;
}

/** One Exec*= line as argv: "${VAR}" as a whole word is exactly one argument; "$$" is "$". */
function commandLine(line: string, spec: { home: string; instance?: string }, env: Record<string, string>): { argv: string[]; ignoreFailure: boolean } {
  const ignoreFailure = line.startsWith('-');
  const words = splitWords(expandSpecifiers(ignoreFailure ? line.slice(1) : line, spec));
  const argv = words.map((w) => {
    const whole = /^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$/.exec(w);
    if (whole) return env[whole[1]!] ?? '';
    if (/\$(?!\$)/.test(w.replace(/\$\$/g, ''))) throw new Error(`unexpected variable in "${w}"`);
    return w.replace(/\$\$/g, '$');
  });
  return { argv, ignoreFailure };
}

function execLine(unit: ParsedUnit, key: string): string {
  const lines = values(unit, 'Service', key).filter((l) => l !== '');
  if (lines.length !== 1) throw new Error(`expected one ${key}=, found ${lines.length}`);
  return lines[0]!;
}

function run(argv: string[], env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stderr }));
  });
}

async function verify(t: ExecutionContext, unitPath: string, mode: 'system' | 'user'): Promise<void> {
  const runtime = await tempDir(t, 'scorefs-xdg-');
  await chmod(runtime, 0o700);
  const r = await exec('systemd-analyze', [...(mode === 'user' ? ['--user'] : []), 'verify', unitPath], { env: { XDG_RUNTIME_DIR: runtime } });
  t.is(r.code, 0, r.stderr);
  t.is(r.stderr.trim(), '', `systemd-analyze verify ${unitPath} printed warnings`);
}

// ---- running a unit the way the service manager would ----

interface UnitRun {
  unit: ParsedUnit;
  spec: { home: string; instance?: string };
  /** The service's base environment (systemd's PATH, HOME, XDG_RUNTIME_DIR of a user manager). */
  baseEnv: Record<string, string>;
  mountpoint: string;
  data: string;
}

async function startStopUnit(t: ExecutionContext, u: UnitRun): Promise<void> {
  const notify = await NotifySocket.listen(t, path.join(await tempDir(t, 'scorefs-notify-'), 'notify.sock'), u.mountpoint);
  const env: Record<string, string> = { ...u.baseEnv, ...unitEnvironment(u.unit, u.spec), NOTIFY_SOCKET: notify.address };
  t.is(env.SCOREFS_MOUNTPOINT, u.mountpoint);

  const pre = commandLine(execLine(u.unit, 'ExecStartPre'), u.spec, env);
  const preRun = await run(pre.argv, env);
  t.true(preRun.code === 0 || pre.ignoreFailure, preRun.stderr);
  t.true((await stat(u.mountpoint)).isDirectory(), 'ExecStartPre creates the mountpoint');

  const start = commandLine(execLine(u.unit, 'ExecStart'), u.spec, env);
  t.deepEqual(start.argv.slice(2, 5), ['mount', u.mountpoint, '--foreground']);
  const main = spawn(start.argv[0]!, start.argv.slice(1), { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let mainStderr = '';
  main.stderr!.on('data', (d: Buffer) => (mainStderr += d.toString()));
  const exited = once(main, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  t.teardown(async () => {
    if (main.exitCode === null && main.signalCode === null) {
      main.kill('SIGKILL');
      await exited;
    }
    await runScorefs(['unmount', u.mountpoint], { XDG_RUNTIME_DIR: env.XDG_RUNTIME_DIR ?? '' }).catch(() => undefined);
  });

  const ready = await Promise.race([
    notify.message('READY'),
    exited.then(([code]) => Promise.reject(new Error(`ExecStart exited with ${code} before READY=1: ${mainStderr}`))),
  ]);
  t.true(ready.mounted, 'READY=1 arrives only once the mount answers');
  t.is(ready.pid, main.pid!, 'the sender is the main process (SCM_CREDENTIALS)');
  t.is(ready.fields.MAINPID, String(main.pid));
  t.true(await mapsMaxPagesLibrary(main.pid!), 'the unit preloads the library for FUSE requests of 1 MiB');
  const file = path.join(SAMPLE.bamAnalysis, 'ex1.bam');
  t.is(await md5sum(path.join(u.mountpoint, file)), await md5sum(path.join(u.data, SAMPLE.study, file)));

  const stop = commandLine(execLine(u.unit, 'ExecStop'), u.spec, env);
  t.deepEqual(stop.argv.slice(2), ['unmount', u.mountpoint]);
  const stopRun = await run(stop.argv, env);
  t.is(stopRun.code, 0, stopRun.stderr);
  const [code, signal] = await exited;
  t.is(code, 0, `the main process exits 0 (not ${signal ?? code}), so systemd records a clean stop`);
  t.false(await isMounted(u.mountpoint));
  t.truthy(notify.messages.find((m) => 'STOPPING' in m.fields), 'STOPPING=1 before it stops');
}

// ---- the tests ----

test('notifyReady sends READY=1, STATUS and MAINPID from our pid; notifyStopping STOPPING=1; to path and abstract sockets', async (t) => {
  const notifyModule = path.join(repoRoot, 'build', 'src', 'service', 'notify.js');
  const script = `const n = await import(${JSON.stringify(notifyModule)}); console.log(JSON.stringify([await n.notifyReady('mounted 10 files\\nat /x'), await n.notifyStopping()]));`;
  for (const address of [path.join(await tempDir(t, 'scorefs-notify-'), 'n.sock'), `@scorefs-test-${process.pid}`]) {
    const socket = await NotifySocket.listen(t, address);
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { env: { ...process.env, NOTIFY_SOCKET: address }, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    await once(child, 'exit');
    t.deepEqual(JSON.parse(out), [{ sent: true }, { sent: true }]);
    const ready = await socket.message('READY');
    t.is(ready.fields.READY, '1');
    t.is(ready.fields.STATUS, 'mounted 10 files at /x');
    t.is(ready.fields.MAINPID, String(child.pid));
    t.is(ready.pid, child.pid!);
    t.is((await socket.message('STOPPING')).fields.STOPPING, '1');
  }
});

test('notifyReady does nothing without NOTIFY_SOCKET, and reports a socket nobody listens on', async (t) => {
  const notifyModule = path.join(repoRoot, 'build', 'src', 'service', 'notify.js');
  const script = `const n = await import(${JSON.stringify(notifyModule)}); console.log(JSON.stringify(await n.notifyReady()));`;
  const dir = await tempDir(t, 'scorefs-notify-');
  for (const [socket, want] of [
    ['', { sent: false, reason: 'no-socket' }],
    [path.join(dir, 'nobody.sock'), { sent: false, reason: 'failed' }],
  ] as const) {
    const r = await exec(process.execPath, ['--input-type=module', '-e', script], { env: { NOTIFY_SOCKET: socket } });
    t.like(JSON.parse(r.stdout), want);
  }
});

test('install-systemd --user writes a unit that systemd-analyze verifies, an example config (600), and is idempotent', async (t) => {
  const home = await tempDir(t, 'scorefs-home-');
  const env = { HOME: home };
  const first = await runScorefs(['install-systemd', '--user'], env);
  t.is(first.code, 0, first.stderr);
  const unitPath = path.join(home, '.config/systemd/user/scorefs.service');
  const configPath = path.join(home, '.config/scorefs/scorefs.conf');
  t.regex(first.stdout, /systemctl --user enable --now scorefs/);
  t.is((await stat(configPath)).mode & 0o777, 0o600);
  await verify(t, unitPath, 'user');

  const unit = parseUnit(await readFile(unitPath, 'utf8'));
  for (const key of ['ExecStart', 'ExecStop']) {
    const argv = commandLine(execLine(unit, key), { home }, unitEnvironment(unit, { home })).argv;
    t.is(argv[0], process.execPath, 'node by absolute path');
    t.is(argv[1], path.join(repoRoot, 'bin', 'scorefs'));
  }
  t.deepEqual(values(unit, 'Service', 'Type'), ['notify']);
  t.deepEqual(values(unit, 'Install', 'WantedBy'), ['default.target']);

  await writeFile(configPath, 'storage-url = http://127.0.0.1:1\n'); // the user's edit
  const unitBefore = await readFile(unitPath, 'utf8');
  const again = await runScorefs(['install-systemd', '--user'], env);
  t.is(again.code, 0, again.stderr);
  t.regex(again.stdout, new RegExp(`unchanged ${unitPath}`));
  t.regex(again.stdout, new RegExp(`kept ${configPath}`));
  t.is(await readFile(configPath, 'utf8'), 'storage-url = http://127.0.0.1:1\n');
  t.is(await readFile(unitPath, 'utf8'), unitBefore);

  const dry = await runScorefs(['install-systemd', '--user', '--dry-run', '--unit-dir', path.join(home, 'elsewhere')], env);
  t.is(dry.code, 0, dry.stderr);
  t.regex(dry.stdout, /would write .*elsewhere\/scorefs\.service\n {4}# Written by/);
  await t.throwsAsync(stat(path.join(home, 'elsewhere')), { code: 'ENOENT' });
});

test('a mountpoint and config with spaces, % and $ reach the command line intact', async (t) => {
  const home = await tempDir(t, 'scorefs-home-');
  const odd = path.join(home, 'my 100% $HOME "data"');
  const r = await runScorefs(['install-systemd', '--user', '--mountpoint', odd, '--config', path.join(odd, 'a b.conf')], { HOME: home });
  t.is(r.code, 0, r.stderr);
  const unitPath = path.join(home, '.config/systemd/user/scorefs.service');
  await verify(t, unitPath, 'user');
  const unit = parseUnit(await readFile(unitPath, 'utf8'));
  const env = unitEnvironment(unit, { home });
  t.is(env.SCOREFS_MOUNTPOINT, odd);
  t.deepEqual(commandLine(execLine(unit, 'ExecStart'), { home }, env).argv.slice(2), ['mount', odd, '--foreground', '--config', path.join(odd, 'a b.conf')]);
});

test.serial('the user unit: ExecStart mounts at %h/score and sends READY=1 once it answers; ExecStop unmounts, exit 0', async (t) => {
  const data = sampleData();
  const server = await startServer(t, { data });
  const home = await mountWorkDir(t); // unmounts anything left under it at teardown
  const runtime = path.join(home, 'run');
  await mkdir(runtime, { mode: 0o700 });
  const installed = await runScorefs(['install-systemd', '--user'], { HOME: home });
  t.is(installed.code, 0, installed.stderr);
  await writeFile(path.join(home, '.config/scorefs/scorefs.conf'), `storage-url = ${server.url}\ncache-dir = ${path.join(home, 'cache')}\n`);

  const unit = parseUnit(await readFile(path.join(home, '.config/systemd/user/scorefs.service'), 'utf8'));
  await startStopUnit(t, {
    unit,
    spec: { home },
    baseEnv: { PATH: SYSTEMD_PATH, HOME: home, XDG_RUNTIME_DIR: runtime },
    mountpoint: path.join(home, 'score'),
    data,
  });
});

test.serial('the system unit scorefs@NAME: verified, reads DIR/NAME.conf, a drop-in moves the mountpoint; start, READY=1, stop', async (t) => {
  const data = sampleData();
  const server = await startServer(t, { data });
  const work = await mountWorkDir(t);
  const unitDir = path.join(work, 'system');
  const config = path.join(work, 'etc', 'archive.conf');
  const mountpoint = path.join(work, 'mnt', 'archive');
  const helperDir = path.join(work, 'sbin');
  const r = await runScorefs(['install-systemd', '--unit-dir', unitDir, '--config', config, '--mountpoint', mountpoint, '--helper-dir', helperDir]);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /systemctl daemon-reload && systemctl enable --now scorefs@archive/);
  t.regex(await readFile(config, 'utf8'), /^cache-dir = \/var\/cache\/scorefs\/archive$/m);
  t.is((await stat(config)).mode & 0o777, 0o600);
  for (const helper of ['mount.fuse.scorefs', 'umount.fuse.scorefs']) t.is((await stat(path.join(helperDir, helper))).mode & 0o777, 0o755);

  const template = await readFile(path.join(unitDir, 'scorefs@.service'), 'utf8');
  const dropIn = await readFile(path.join(unitDir, 'scorefs@archive.service.d', 'mountpoint.conf'), 'utf8');
  await verify(t, path.join(unitDir, 'scorefs@.service'), 'system');
  await verify(t, path.join(unitDir, 'scorefs@archive.service'), 'system');
  const unit = parseUnit(template, dropIn);
  t.deepEqual(values(unit, 'Install', 'WantedBy'), ['multi-user.target remote-fs.target']);
  t.is(unitEnvironment(parseUnit(template), { home: '/root', instance: 'other' }).SCOREFS_MOUNTPOINT, '/mnt/scorefs/other', 'the default without a drop-in');

  await writeFile(config, `storage-url = ${server.url}\ncache-dir = ${path.join(work, 'cache')}\n`);
  await startStopUnit(t, { unit, spec: { home: '/root', instance: 'archive' }, baseEnv: { PATH: SYSTEMD_PATH }, mountpoint, data });
});

test('install-systemd --run-as USER: User= in the unit, the created config owned by USER; an unknown user writes nothing', async (t) => {
  const work = await tempDir(t, 'scorefs-install-');
  const config = path.join(work, 'etc', 'data.conf');
  const r = await runScorefs(['install-systemd', '--unit-dir', path.join(work, 'units'), '--config', config, '--run-as', 'nobody', '--no-mount-helper']);
  t.is(r.code, 0, r.stderr);
  const unit = parseUnit(await readFile(path.join(work, 'units', 'scorefs@.service'), 'utf8'));
  t.deepEqual(values(unit, 'Service', 'User'), ['nobody']);
  const owner = await output('stat', ['-c', '%U %a', config]);
  t.is(owner.trim(), 'nobody 600');
  t.notRegex(r.stdout, /mount\.fuse\.scorefs/, '--no-mount-helper');

  const other = path.join(work, 'other');
  const bad = await runScorefs(['install-systemd', '--unit-dir', path.join(other, 'units'), '--config', path.join(other, 'x.conf'), '--run-as', 'no-such-user-here']);
  t.is(bad.code, 2);
  t.regex(bad.stderr, /no such user: no-such-user-here/);
  await t.throwsAsync(stat(other), { code: 'ENOENT' });
});
