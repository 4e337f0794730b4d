// Running a rootfs with systemd-nspawn: one command in it, or booting it with systemd as its PID 1 and
// running commands in the booted system through nsenter. Every step has a deadline, and a booted
// container is always terminated at teardown.
//
// Flags every run takes:
// - --register=no --keep-unit: nspawn would otherwise register with systemd-machined and put itself in a
//   scope unit, both over the host's system bus; a host whose PID 1 is not systemd (this project's test
//   machine) has neither, and nspawn fails with "Failed to open system bus". So the container is not
//   known to machinectl, and commands enter it with nsenter instead of `systemd-run -M`.
// - --volatile=overlay: writes go to a tmpfs over the rootfs, which stays untouched for the next run.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import type { ExecutionContext } from 'ava';
import { exec, type ExecResult } from './exec.js';
import { waitFor } from './wait.js';

export interface Bind {
  host: string;
  container: string;
  readOnly?: boolean;
}

export interface RootfsOptions {
  rootfs: string;
  binds: Bind[];
}

export interface ContainerUser {
  name: string;
  uid: number;
  home: string;
}

const CONTAINER_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

function nspawnArgs(o: RootfsOptions): string[] {
  return [
    '--quiet',
    '--register=no',
    '--keep-unit',
    '--volatile=overlay',
    `--directory=${o.rootfs}`,
    ...o.binds.map((b) => `--bind${b.readOnly ? '-ro' : ''}=${b.host}:${b.container}`),
  ];
}

/** Runs `command` as `user` in the rootfs, not booted (HOME and PATH from its passwd entry). */
export function runInRootfs(o: RootfsOptions, user: ContainerUser, command: string[], timeoutMs = 60_000): Promise<ExecResult> {
  return exec('systemd-nspawn', [...nspawnArgs(o), `--user=${user.name}`, `--chdir=${user.home}`, '--', ...command], { timeoutMs });
}

export class BootedContainer {
  private constructor(
    private readonly nspawn: ChildProcess,
    /** The container's PID 1 (systemd), as the host numbers it. */
    readonly initPid: number,
    /** The console: systemd's boot and shutdown messages, the last 64 KiB. */
    private readonly out: { text: string },
  ) {}

  /** Boots the rootfs (systemd as PID 1) and returns once its PID 1 runs; teardown terminates it. */
  static async boot(t: ExecutionContext, o: RootfsOptions): Promise<BootedContainer> {
    const nspawn = spawn('systemd-nspawn', [...nspawnArgs(o), '--boot', '--console=read-only'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const out = { text: '' };
    const collect = (d: Buffer): void => void (out.text = (out.text + d.toString()).slice(-64 * 1024));
    nspawn.stdout!.on('data', collect);
    nspawn.stderr!.on('data', collect);
    let container: BootedContainer | undefined;
    t.teardown(async () => {
      if (nspawn.exitCode !== null || nspawn.signalCode !== null) return;
      // killing the container's PID 1 ends its PID namespace; nspawn then cleans up and exits
      const exited = once(nspawn, 'exit');
      try {
        if (container) process.kill(container.initPid, 'SIGKILL');
        else nspawn.kill('SIGKILL');
      } catch {
        // PID 1 already gone: nspawn is on its way out
      }
      const timer = setTimeout(() => nspawn.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    });
    let initPid: number | undefined;
    await waitFor(
      'the container to start systemd',
      async () => {
        if (nspawn.exitCode !== null) throw new Error(`systemd-nspawn exited with ${nspawn.exitCode}:\n${out.text}`);
        initPid = await childNamed(nspawn.pid!, 'systemd');
        return initPid !== undefined;
      },
      30_000,
    );
    container = new BootedContainer(nspawn, initPid!, out);
    return container;
  }

  consoleTail(lines = 40): string {
    return this.out.text.split('\n').slice(-lines).join('\n');
  }

  /** Runs a command in the booted container: as root, or as `user` with what its user manager needs. */
  run(command: string[], opts: { user?: ContainerUser; timeoutMs?: number } = {}): Promise<ExecResult> {
    const u = opts.user;
    const as = u
      ? ['setpriv', `--reuid=${u.uid}`, `--regid=${u.uid}`, '--init-groups', 'env', '-i', `HOME=${u.home}`, `XDG_RUNTIME_DIR=/run/user/${u.uid}`, `PATH=${CONTAINER_PATH}`]
      : ['env', '-i', `PATH=${CONTAINER_PATH}`];
    return exec('nsenter', [`--target=${this.initPid}`, '--all', ...as, ...command], { timeoutMs: opts.timeoutMs ?? 60_000 });
  }

  /** The filesystem type mounted at `mountpoint` in the container, if any. */
  async mountType(mountpoint: string): Promise<string | undefined> {
    const text = await readFile(`/proc/${this.initPid}/mountinfo`, 'utf8');
    for (const line of text.split('\n')) {
      const [left, right] = line.split(' - ');
      if (left?.split(' ')[4] === mountpoint) return right!.split(' ')[0];
    }
    return undefined;
  }

  /** `systemctl poweroff` in the container; resolves with nspawn's exit code once it has exited. */
  async poweroff(timeoutMs = 60_000): Promise<number | null> {
    const exited = once(this.nspawn, 'exit');
    const r = await this.run(['systemctl', 'poweroff'], { timeoutMs: 20_000 });
    if (r.code !== 0) throw new Error(`systemctl poweroff exited ${r.code}: ${r.stderr}`);
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`the container did not power off in ${timeoutMs} ms:\n${this.consoleTail()}`)), timeoutMs);
    });
    try {
      await Promise.race([exited, deadline]);
    } finally {
      clearTimeout(timer);
    }
    return this.nspawn.exitCode;
  }
}

async function childNamed(pid: number, name: string): Promise<number | undefined> {
  const children = await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8').catch(() => '');
  for (const child of children.split(' ').filter(Boolean).map(Number)) {
    const comm = await readFile(`/proc/${child}/comm`, 'utf8').catch(() => '');
    if (comm.trim() === name) return child;
  }
  return undefined;
}
