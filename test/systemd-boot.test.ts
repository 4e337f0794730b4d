// Mount at login, proven by systemd itself: a Debian 12 system (mmdebstrap rootfs, cached) booted with
// systemd-nspawn, where a user with linger has run `scorefs install-systemd --user` and
// `systemctl --user enable scorefs`. At boot the user manager starts the unit, which becomes active
// (READY=1) with the mount up; samtools in the container reads it as samtools reads the source file;
// `systemctl --user stop` unmounts; the system powers off cleanly.
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
import { BootedContainer, runInRootfs, type RootfsOptions } from './helpers/nspawn.js';
import { SAMPLE, sampleData } from './helpers/sample-data.js';
import { startServer } from './helpers/server.js';
import { tempDir } from './helpers/tmp.js';
import { waitFor } from './helpers/wait.js';

const missing = await missingPrerequisites();
const bootTest = missing ? test.skip : test;
if (missing) console.log(`systemd-boot.test: skipped, ${missing}`);

const USER = ROOTFS_USER;
const SCOREFS = '/opt/scorefs/bin/scorefs';
const MOUNTPOINT = path.join(USER.home, 'score'); // the unit's default, %h/score

bootTest('at boot the user unit of a lingering user mounts; samtools reads it; systemctl --user stop unmounts', async (t) => {
  const pkg = await packAndInstall(t);
  const rootfs = await debianRootfs((line) => t.log(line));
  const data = sampleData();
  const server = await startServer(t, { data });

  const work = await tempDir(t, 'scorefs-boot-');
  const home = path.join(work, 'home');
  await mkdir(home);
  await chown(home, USER.uid, USER.uid);
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
      { host: fuse, container: '/dev/fuse' },
    ],
  };

  // what the user does once: install and enable the unit, point the config at the server
  const install = await runInRootfs(container, USER, ['sh', '-c', `${SCOREFS} install-systemd --user && systemctl --user enable scorefs`]);
  t.is(install.code, 0, `install-systemd --user && systemctl --user enable: ${install.stdout}${install.stderr}`);
  await appendFile(path.join(home, '.config', 'scorefs', 'scorefs.conf'), `storage-url = ${server.url}\n`);

  const booted = Date.now();
  const system = await BootedContainer.boot(t, container);
  const user = (command: string[], timeoutMs?: number): Promise<ExecResult> => system.run(command, { user: USER, ...(timeoutMs ? { timeoutMs } : {}) });
  const journal = async (): Promise<string> => (await user(['journalctl', '--user', '--unit=scorefs', '--no-pager', '--lines=30'])).stdout;

  let state = '';
  try {
    // before the user manager is up, systemctl --user cannot connect and prints nothing to stdout
    await waitFor(
      'the user unit to become active',
      async () => {
        state = (await user(['systemctl', '--user', 'is-active', 'scorefs'], 10_000)).stdout.trim();
        return state === 'active' || state === 'failed';
      },
      150_000, // the unit's TimeoutStartSec is 120 s
    );
  } catch (err) {
    t.log(`console:\n${system.consoleTail()}\njournal:\n${await journal()}`);
    throw err;
  }
  t.is(state, 'active', `the user unit at boot; its journal:\n${await journal()}`);
  t.log(`the user unit was active ${((Date.now() - booted) / 1000).toFixed(1)} s after the boot began`);
  t.is(await system.mountType(MOUNTPOINT), 'fuse.scorefs');

  const bam = path.join(data, SAMPLE.study, SAMPLE.bamAnalysis, 'ex1.bam');
  const want = await output('samtools', ['view', '-c', bam]);
  const got = await user(['samtools', 'view', '-c', path.join(MOUNTPOINT, SAMPLE.bamAnalysis, 'ex1.bam')]);
  t.is(got.code, 0, got.stderr);
  t.is(got.stdout, want, 'samtools view -c on the mount in the container, and on the source file');

  const stop = await user(['systemctl', '--user', 'stop', 'scorefs'], 90_000);
  t.is(stop.code, 0, stop.stderr);
  t.is(await system.mountType(MOUNTPOINT), undefined, 'the mount is gone after systemctl --user stop');
  t.is((await user(['systemctl', '--user', 'is-active', 'scorefs'])).stdout.trim(), 'inactive', `its journal:\n${await journal()}`);

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
