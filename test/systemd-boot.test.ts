// Mount at login and at boot, proven by systemd itself: a Debian 12 system (mmdebstrap rootfs, cached)
// booted with systemd-nspawn, where a user with linger has run `scorefs install-systemd --user` and
// `systemctl --user enable scorefs`, and root `scorefs install-systemd` and `systemctl enable scorefs@main`.
// At boot both units become active (READY=1) with their mounts up; samtools in the container reads each
// mount as samtools reads the source file; `systemctl [--user] stop` unmounts; the system powers off cleanly.
//
// scorefs is the npm tarball of this checkout installed into a prefix on the host (as in
// npm-install.test.ts) and bound read-only into the container with the host's node (Debian 12 has no
// Node 20). The server is `scorefs serve` on the host's 127.0.0.1: the container shares the host's network.
import test from 'ava';
import { appendFile, chown, mkdir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { exec, output, type ExecResult } from './helpers/exec.js';
import { debianRootfs, ROOTFS_USER } from './helpers/debian-rootfs.js';
import { packAndInstall } from './helpers/npm-package.js';
import { BootedContainer, runInRootfs, type ContainerUser, type RootfsOptions } from './helpers/nspawn.js';
import { SAMPLE, sampleData } from './helpers/sample-data.js';
import { startServer } from './helpers/server.js';
import { tempDir } from './helpers/tmp.js';
import { waitFor } from './helpers/wait.js';

const missing = await missingPrerequisites();
const bootTest = missing ? test.skip : test;
if (missing) console.log(`systemd-boot.test: skipped, ${missing}`);

const USER = ROOTFS_USER;
const ROOT: ContainerUser = { name: 'root', uid: 0, home: '/root' };
const SCOREFS = '/opt/scorefs/bin/scorefs';

/** A unit to check in the booted system: its systemctl (--user or not) and where it mounts. */
interface UnitUnderTest {
  unit: string;
  mountpoint: string;
  /** The user manager's unit, of this user; undefined: the system manager's. */
  user?: ContainerUser;
}

bootTest('at boot the user unit of a lingering user and the system unit scorefs@main mount; samtools reads them; systemctl stop unmounts', async (t) => {
  const pkg = await packAndInstall(t);
  const rootfs = await debianRootfs((line) => t.log(line));
  const data = sampleData();
  const server = await startServer(t, { data });

  const work = await tempDir(t, 'scorefs-boot-');
  const home = path.join(work, 'home');
  await mkdir(home);
  await chown(home, USER.uid, USER.uid);
  // what `install-systemd` writes as root must outlive the run that writes it (the rootfs itself is
  // an overlay discarded after each run): the system unit directory (a copy) and /etc/scorefs are binds
  const systemUnits = path.join(work, 'system-units');
  await output('cp', ['-a', path.join(rootfs, 'etc', 'systemd', 'system'), systemUnits]);
  const etcScorefs = path.join(work, 'etc-scorefs');
  await mkdir(etcScorefs);
  // The host's /dev/fuse may be 0600 root (it is on this project's test machine; Debian's udev makes it
  // 0666): the container gets its own node for the same device, 0666, so the host's stays as it is.
  const fuse = path.join(work, 'fuse');
  await output('mknod', ['-m', '666', fuse, 'c', '10', '229']);
  const container: RootfsOptions = {
    rootfs,
    binds: [
      { host: await realpath(process.execPath), container: '/usr/local/bin/node', readOnly: true },
      { host: pkg.prefix, container: '/opt/scorefs', readOnly: true },
      { host: home, container: USER.home },
      { host: systemUnits, container: '/etc/systemd/system' },
      { host: etcScorefs, container: '/etc/scorefs' },
      { host: fuse, container: '/dev/fuse' },
    ],
  };

  // what the user and the administrator do once: install and enable the units, point the configs at the server
  for (const [who, commands] of [
    [USER, `${SCOREFS} install-systemd --user && systemctl --user enable scorefs`],
    [ROOT, `${SCOREFS} install-systemd --no-mount-helper && systemctl enable scorefs@main`],
  ] as const) {
    const r = await runInRootfs(container, who, ['sh', '-c', commands]);
    t.is(r.code, 0, `${commands}: ${r.stdout}${r.stderr}`);
  }
  for (const config of [path.join(home, '.config', 'scorefs', 'scorefs.conf'), path.join(etcScorefs, 'main.conf')]) {
    await appendFile(config, `storage-url = ${server.url}\n`);
  }

  const booted = Date.now();
  const system = await BootedContainer.boot(t, container);
  const bam = path.join(data, SAMPLE.study, SAMPLE.bamAnalysis, 'ex1.bam');
  const want = await output('samtools', ['view', '-c', bam]);
  for (const u of [
    { unit: 'scorefs', mountpoint: path.join(USER.home, 'score'), user: USER }, // the defaults: %h/score
    { unit: 'scorefs@main', mountpoint: '/mnt/scorefs/main' },
  ] satisfies UnitUnderTest[]) {
    const run = (command: string[], timeoutMs?: number): Promise<ExecResult> =>
      system.run(command, { ...(u.user ? { user: u.user } : {}), ...(timeoutMs ? { timeoutMs } : {}) });
    const systemctl = (...args: string[]): Promise<ExecResult> => run(['systemctl', ...(u.user ? ['--user'] : []), ...args, u.unit], 90_000);
    const journal = async (): Promise<string> => (await run(['journalctl', ...(u.user ? ['--user'] : []), `--unit=${u.unit}`, '--no-pager', '--lines=30'])).stdout;

    let state = '';
    try {
      // before the user manager is up, systemctl --user cannot connect and prints nothing to stdout
      await waitFor(
        `${u.unit} to become active`,
        async () => {
          state = (await systemctl('is-active')).stdout.trim();
          return state === 'active' || state === 'failed';
        },
        150_000, // the unit's TimeoutStartSec is 120 s
      );
    } catch (err) {
      t.log(`console:\n${system.consoleTail()}\njournal of ${u.unit}:\n${await journal()}`);
      throw err;
    }
    t.is(state, 'active', `${u.unit} at boot; its journal:\n${await journal()}`);
    t.log(`${u.unit} was active ${((Date.now() - booted) / 1000).toFixed(1)} s after the boot began`);
    t.is(await system.mountType(u.mountpoint), 'fuse.scorefs', u.mountpoint);

    const got = await run(['samtools', 'view', '-c', path.join(u.mountpoint, SAMPLE.bamAnalysis, 'ex1.bam')]);
    t.is(got.code, 0, got.stderr);
    t.is(got.stdout, want, `samtools view -c on ${u.mountpoint} in the container, and on the source file`);

    const stop = await systemctl('stop');
    t.is(stop.code, 0, stop.stderr);
    t.is(await system.mountType(u.mountpoint), undefined, `${u.mountpoint} is unmounted after systemctl stop ${u.unit}`);
    t.is((await systemctl('is-active')).stdout.trim(), 'inactive', `${u.unit}; its journal:\n${await journal()}`);
  }

  t.is(await system.poweroff(), 0, 'systemd-nspawn exits 0 after the poweroff');
});

/** Why this test cannot run here, or undefined. */
async function missingPrerequisites(): Promise<string | undefined> {
  if (process.getuid?.() !== 0) return 'it needs root (mmdebstrap, systemd-nspawn, mknod)';
  for (const [tool, pkg] of [['mmdebstrap', 'mmdebstrap'], ['systemd-nspawn', 'systemd-container'], ['nsenter', 'util-linux']] as const) {
    if ((await exec('sh', ['-c', `command -v ${tool}`])).code !== 0) return `${tool} is not installed (Debian package ${pkg}; scripts/setup.sh installs it)`;
  }
  if (!(await stat('/dev/fuse').then((st) => st.isCharacterDevice(), () => false))) return 'there is no /dev/fuse';
  return undefined;
}
