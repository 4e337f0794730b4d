// fstab support: mount(8) runs /sbin/mount.fuse.scorefs for type fuse.scorefs and umount(8) runs
// /sbin/umount.fuse.scorefs (for a mount that has a userspace option such as _netdev, which libmount
// records in /run/mount/utab; without one, umount(8) takes the type "fuse" from statfs and finds no
// helper). Real mounts through the real mount(8)/umount(8) (helpers installed into
// /sbin by `scorefs install-systemd`, the previous files restored afterwards), a temporary fstab via
// `mount -T`, the option mapping, and the refusals (a token as an option, an unknown option).
import test, { type ExecutionContext } from 'ava';
import { mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { exec, output } from './helpers/exec.js';
import { md5sum } from './helpers/md5.js';
import { isMounted, mountWorkDir, runScorefs } from './helpers/mount.js';
import { repoRoot } from './helpers/paths.js';
import { SAMPLE, sampleData } from './helpers/sample-data.js';
import { startServer } from './helpers/server.js';
import { parseHelperArgs } from '../src/service/mount-helper.js';

const SBIN = '/sbin';
const HELPERS = ['mount.fuse.scorefs', 'umount.fuse.scorefs'];

/** Installs the helpers into /sbin as `scorefs install-systemd` does; puts back whatever was there at teardown. */
async function installHelpers(t: ExecutionContext, work: string): Promise<void> {
  const previous = await Promise.all(HELPERS.map((h) => readFile(path.join(SBIN, h)).catch(() => undefined)));
  t.teardown(async () => {
    for (const [i, h] of HELPERS.entries()) {
      const before = previous[i];
      if (before === undefined) await rm(path.join(SBIN, h), { force: true });
      else await writeFile(path.join(SBIN, h), before, { mode: 0o755 });
    }
  });
  const r = await runScorefs(['install-systemd', '--unit-dir', path.join(work, 'units'), '--config', path.join(work, 'etc', 'main.conf'), '--helper-dir', SBIN]);
  t.is(r.code, 0, r.stderr);
  for (const h of HELPERS) t.regex(r.stdout, new RegExp(`(written|unchanged) ${SBIN}/${h}`));
}

/** The sample data served over HTTP, a work dir, and an empty mountpoint called `name` in it. */
async function servedSample(t: ExecutionContext, name: string) {
  const data = sampleData();
  const server = await startServer(t, { data });
  const work = await mountWorkDir(t);
  const mnt = path.join(work, name);
  await mkdir(mnt);
  return { data, server, work, mnt };
}

/** The daemon pid `scorefs mount` printed (mount(8) passes the helper's output through). */
function daemonPid(stdout: string): number {
  const pid = Number(/pid (\d+)/.exec(stdout)?.[1]);
  if (!pid) throw new Error(`no pid in: ${stdout}`);
  return pid;
}

/** Gone, or a zombie (this container's PID 1 does not reap). */
async function processEnded(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  return stat === '' || /\) [ZX] /.test(stat);
}

async function privateConfig(file: string, lines: string[]): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, lines.join('\n') + '\n', { mode: 0o600 });
}

test('mount options map to scorefs mount options; mount(8)/systemd options are ignored', (t) => {
  const inv = parseHelperArgs([
    'scorefs', '/mnt/score', '-o', 'rw,_netdev,nofail,defaults,noatime,x-systemd.automount,config=/etc/scorefs/main.conf,cache_dir=/var/cache/x,layout=study,allow_other', '-t', 'fuse.scorefs',
  ]);
  t.is(inv.mountpoint, '/mnt/score');
  t.deepEqual(inv.mountArgs, ['--config', '/etc/scorefs/main.conf', '--cache-dir', '/var/cache/x', '--layout', 'study', '--allow-other']);
  t.deepEqual(inv.ignored, ['rw', '_netdev', 'nofail', 'defaults', 'noatime', 'x-systemd.automount']);
  t.false(inv.fake);

  const url = parseHelperArgs(['https://score.example.org', '/mnt/s', '-fv', '-o', 'config="/etc/a,b.conf"']);
  t.deepEqual(url.mountArgs, ['--storage-url', 'https://score.example.org', '--config', '/etc/a,b.conf']);
  t.true(url.fake && url.verbose);

  const sloppy = parseHelperArgs(['scorefs', '/mnt/s', '-s', '-o', 'uid=1000,config=/c']);
  t.deepEqual(sloppy.mountArgs, ['--config', '/c']);
  t.deepEqual(sloppy.ignored, ['uid=1000']);

  for (const bad of ['token=abc', 'accessToken=abc', 'access_token=abc']) {
    t.throws(() => parseHelperArgs(['scorefs', '/mnt/s', '-o', bad]), { message: /never a mount option.*token-file/ }, bad);
  }
  t.throws(() => parseHelperArgs(['scorefs', '/mnt/s', '-o', 'uid=1000']), { message: /unknown mount option "uid"/ });
  t.throws(() => parseHelperArgs(['scorefs', '/mnt/s', '-o', 'config']), { message: /needs a value/ });
  t.throws(() => parseHelperArgs(['scorefs', '/mnt/s', '-t', 'fuse.sshfs']), { message: /not fuse\.sshfs/ });
  t.throws(() => parseHelperArgs(['/mnt/s']), { message: /usage/ });
});

test.serial('mount -t fuse.scorefs mounts through /sbin/mount.fuse.scorefs; umount stops the daemon', async (t) => {
  const { data, server, work, mnt } = await servedSample(t, 'mnt');
  await installHelpers(t, work);
  const config = path.join(work, 'etc', 'main.conf');
  await privateConfig(config, [`storage-url = ${server.url}`, `cache-dir = ${path.join(work, 'cache')}`]);

  const mounted = await exec('mount', ['-t', 'fuse.scorefs', 'scorefs', mnt, '-o', `_netdev,config=${config}`]);
  t.is(mounted.code, 0, mounted.stderr);
  t.true(await isMounted(mnt));
  const pid = daemonPid(mounted.stdout);
  t.deepEqual((await output('ls', [mnt])).trim().split('\n'), Object.values(SAMPLE).filter((v) => v.startsWith('AN-')).sort());
  const file = path.join(SAMPLE.bamAnalysis, 'ex1.bam');
  t.is(await md5sum(path.join(mnt, file)), await md5sum(path.join(data, SAMPLE.study, file)));
  t.regex(await readFile('/proc/self/mountinfo', 'utf8'), new RegExp(` ${mnt} .* - fuse\\.scorefs scorefs `));

  const unmounted = await exec('umount', [mnt]);
  t.is(unmounted.code, 0, unmounted.stderr);
  t.regex(unmounted.stdout, /unmounted/, 'umount(8) ran umount.fuse.scorefs, which ran scorefs unmount');
  t.false(await isMounted(mnt));
  t.true(await processEnded(pid), 'the daemon exited with its mount');
  t.notRegex(await readFile('/run/mount/utab', 'utf8').catch(() => ''), new RegExp(`TARGET=${mnt} `), 'no utab entry left behind');
});

test.serial('an fstab line (mount -T FILE): the Score URL as source, underscores, study layout; umount MOUNTPOINT', async (t) => {
  const { data, server, work, mnt } = await servedSample(t, 'score');
  await installHelpers(t, work);
  const fstab = path.join(work, 'fstab');
  await writeFile(fstab, `${server.url} ${mnt} fuse.scorefs _netdev,nofail,noauto,x-systemd.mount-timeout=30,cache_dir=${path.join(work, 'cache')},layout=study 0 0\n`);

  const mounted = await exec('mount', ['-T', fstab, mnt]);
  t.is(mounted.code, 0, mounted.stderr);
  const pid = daemonPid(mounted.stdout);
  t.deepEqual((await output('ls', [mnt])).trim().split('\n'), [SAMPLE.study]);
  const file = path.join(SAMPLE.study, SAMPLE.cramAnalysis, 'ex1.cram');
  t.is(await md5sum(path.join(mnt, file)), await md5sum(path.join(data, file)));

  const unmounted = await exec('umount', [mnt]);
  t.is(unmounted.code, 0, unmounted.stderr);
  t.regex(unmounted.stdout, /unmounted/);
  t.false(await isMounted(mnt));
  t.true(await processEnded(pid));
  t.notRegex(await readFile('/run/mount/utab', 'utf8').catch(() => ''), new RegExp(`TARGET=${mnt} `));
});

test.serial('mount(8) refuses a token option and an unknown option with a clear message, mounting nothing', async (t) => {
  const work = await mountWorkDir(t);
  await installHelpers(t, work);
  const mnt = path.join(work, 'mnt');
  await mkdir(mnt);
  const token = await exec('mount', ['-t', 'fuse.scorefs', 'scorefs', mnt, '-o', 'accessToken=secret-123']);
  t.is(token.code, 1);
  t.regex(token.stderr, /a token is never a mount option .*token-file/);
  t.notRegex(token.stderr, /secret-123/);
  const unknown = await exec('mount', ['-t', 'fuse.scorefs', 'scorefs', mnt, '-o', 'compress']);
  t.is(unknown.code, 1);
  t.regex(unknown.stderr, /unknown mount option "compress"/);
  const badConfig = await exec('mount', ['-t', 'fuse.scorefs', 'scorefs', mnt, '-o', `config=${path.join(work, 'missing.conf')}`]);
  t.is(badConfig.code, 1, 'a config scorefs cannot read is a usage error');
  t.regex(badConfig.stderr, /cannot read config file/);
  t.false(await isMounted(mnt));
});

test.serial('bin/mount.fuse.scorefs and bin/umount.fuse.scorefs work through a symlink (the ln -s install)', async (t) => {
  const { data, server, work, mnt } = await servedSample(t, 'mnt');
  const sbin = path.join(work, 'sbin');
  await mkdir(sbin);
  for (const h of HELPERS) await symlink(path.join(repoRoot, 'bin', h), path.join(sbin, h));
  const config = path.join(work, 'main.conf');
  await privateConfig(config, [`storage-url = ${server.url}`, `cache-dir = ${path.join(work, 'cache')}`]);

  const fake = await exec(path.join(sbin, 'mount.fuse.scorefs'), ['scorefs', mnt, '-f', '-o', `config=${config},_netdev`]);
  t.is(fake.code, 0, fake.stderr);
  t.regex(fake.stderr, /bin\/scorefs mount \S+ --config /, '-f prints the command');
  t.false(await isMounted(mnt), '-f mounts nothing');

  const mounted = await exec(path.join(sbin, 'mount.fuse.scorefs'), ['scorefs', mnt, '-o', `config=${config}`]);
  t.is(mounted.code, 0, mounted.stderr);
  t.true(await isMounted(mnt));
  const file = path.join(SAMPLE.refAnalysis, 'ex1.fa');
  t.is(await md5sum(path.join(mnt, file)), await md5sum(path.join(data, SAMPLE.study, file)));
  const unmounted = await exec(path.join(sbin, 'umount.fuse.scorefs'), [mnt, '-t', 'fuse.scorefs']);
  t.is(unmounted.code, 0, unmounted.stderr);
  t.false(await isMounted(mnt));
  t.true(await processEnded(daemonPid(mounted.stdout)));
});
