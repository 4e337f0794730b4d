// `scorefs unmount MOUNTPOINT`: asks the daemon serving it to stop (it flushes its cache and
// unmounts), and clears what is left: a stale mount of a killed daemon, or a daemon that did not
// stop in time. Idempotent: "not mounted" is success.
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { clearMount, mountState } from '../fuse/clear-mount.js';
import { isScorefsProcess, readMountRecord, removeMountRecord } from '../fuse/mount-registry.js';
import { canonicalMountpoint, findMount } from '../fuse/mountinfo.js';
import { numberOption, type NumberRule } from './option-values.js';

interface UnmountArgs {
  mountpoint: string;
  timeout: number;
}

/** The daemon needs a moment to flush its cache and unmount: a shorter wait would kill it mid-stop. */
const STOP_SECONDS: NumberRule = { what: 'a number of seconds ≥ 1', ok: (n) => n >= 1 };

/** The type mountinfo shows for a scorefs mount (fsname/subtype set in src/fuse/fuse-mount.ts). */
const SCOREFS_FSTYPE = 'fuse.scorefs';

export const unmountCommand: CommandModule<object, UnmountArgs> = {
  command: 'unmount <mountpoint>',
  aliases: ['umount'],
  describe: 'Unmount a scorefs mount (also clears a stale mount left by a killed daemon)',
  builder: (yargs: Argv) =>
    yargs
      .positional('mountpoint', { type: 'string', demandOption: true, describe: 'where scorefs is mounted' })
      .option('timeout', numberOption('timeout', STOP_SECONDS, '20', { default: 20, describe: 'seconds to wait for the daemon to stop (at least 1)' })) as unknown as Argv<UnmountArgs>,
  handler: async (args: ArgumentsCamelCase<UnmountArgs>) => {
    try {
      const outcome = await unmount(args.mountpoint, args.timeout * 1000);
      process.stdout.write(`scorefs: ${outcome}\n`);
    } catch (err) {
      process.stderr.write(`scorefs: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    }
  },
};

/** Returns a one-line outcome; throws when something is left mounted. */
export async function unmount(mountpointArg: string, timeoutMs: number): Promise<string> {
  const mountpoint = await canonicalMountpoint(mountpointArg);
  const entry = await findMount(mountpoint);
  if (entry && entry.fstype !== SCOREFS_FSTYPE) throw new Error(`${mountpoint} is a ${entry.fstype} mount, not scorefs; not touching it`);

  let stoppedDaemon = false;
  const record = await readMountRecord(mountpoint);
  const daemonAlive = record !== undefined && (await isScorefsProcess(record.pid));
  if (record && daemonAlive) {
    process.kill(record.pid, 'SIGTERM');
    stoppedDaemon = await waitForExit(record.pid, timeoutMs);
    if (!stoppedDaemon) {
      process.kill(record.pid, 'SIGKILL');
      await waitForExit(record.pid, 2000);
    }
  }

  const state = await mountState(mountpoint);
  let cleared = false;
  if (state === 'fuse' || state === 'stale' || state === 'unresponsive') {
    await clearMount(mountpoint);
    cleared = true;
  }
  await removeMountRecord(mountpoint);
  if (!daemonAlive && !cleared) return `${mountpoint} is not mounted`;
  if (cleared && !stoppedDaemon) return `cleared the ${state === 'fuse' ? '' : `${state} `}mount at ${mountpoint}`;
  return `unmounted ${mountpoint}`;
}

async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!(await isScorefsProcess(pid))) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}
