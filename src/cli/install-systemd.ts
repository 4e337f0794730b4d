// `scorefs install-systemd [--user]`: writes the systemd unit (user: mount at login; system: the
// templated scorefs@.service plus the fstab helpers /sbin/[u]mount.fuse.scorefs), an example config
// if there is none, and prints what to run next. Idempotent; --dry-run shows the files instead.
import os from 'node:os';
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { InvalidInput } from '../errors.js';
import { mountEnvironment } from '../fuse/mount-environment.js';
import { applyPlan, planSystemInstall, planUserInstall, type InstallPlan } from '../service/install.js';
import { installation } from '../service/paths.js';
import type { Executables } from '../service/units.js';

interface InstallArgs {
  user: boolean;
  mountpoint?: string;
  config?: string;
  runAs?: string;
  dryRun: boolean;
  unitDir?: string;
  helperDir: string;
  mountHelper: boolean;
}

export const installSystemdCommand: CommandModule<object, InstallArgs> = {
  command: 'install-systemd',
  describe: 'Write the systemd units (mount at login with --user, or the templated system unit scorefs@NAME)',
  builder: (yargs: Argv) =>
    yargs
      .usage(
        '$0 install-systemd [--user] [options]\n\n' +
          '--user: ~/.config/systemd/user/scorefs.service, mounting at login (default config ~/.config/scorefs/scorefs.conf, mountpoint ~/score).\n' +
          'Otherwise (as root): /etc/systemd/system/scorefs@.service, instance NAME reading /etc/scorefs/NAME.conf and mounting\n' +
          '/mnt/scorefs/NAME, and the fstab helpers /sbin/mount.fuse.scorefs and /sbin/umount.fuse.scorefs.',
      )
      .option('user', { type: 'boolean', default: false, describe: 'install the user unit (mount at login)' })
      .option('mountpoint', { type: 'string', describe: 'mount here (system: for the instance named by --config, via a drop-in)' })
      .option('config', { type: 'string', describe: 'config file (system: DIR/NAME.conf makes the unit read DIR/%i.conf; default /etc/scorefs/main.conf)' })
      .option('run-as', { type: 'string', describe: 'system unit: run as this user (User=) instead of root' })
      .option('dry-run', { type: 'boolean', default: false, describe: 'show what would be written, write nothing' })
      .option('unit-dir', { type: 'string', describe: 'write the unit here instead (default ~/.config/systemd/user or /etc/systemd/system)' })
      .option('helper-dir', { type: 'string', default: '/sbin', describe: 'system: where mount(8) finds mount.fuse.scorefs and umount.fuse.scorefs' })
      .option('mount-helper', { type: 'boolean', default: true, describe: 'system: install the fstab helpers (--no-mount-helper: skip)' }) as unknown as Argv<InstallArgs>,
  handler: async (args: ArgumentsCamelCase<InstallArgs>) => {
    try {
      const plan = makePlan(args);
      const results = await applyPlan(plan, { dryRun: args.dryRun });
      const out: string[] = [];
      for (const { file, outcome } of results) {
        out.push(`${outcome} ${file.path}`);
        if (outcome === 'would write') out.push(...file.content.trimEnd().split('\n').map((l) => `    ${l}`));
      }
      const created = results.some((r) => r.file.path === plan.config && (r.outcome === 'written' || r.outcome === 'would write'));
      out.push('', 'Next:');
      if (created) out.push(`  edit ${plan.config}   # set storage-url and token-file`);
      out.push(...plan.next.map((l) => `  ${l}`));
      process.stdout.write(out.join('\n') + '\n');
    } catch (err) {
      const text = err instanceof Error ? err.message : String(err);
      const hint = (err as NodeJS.ErrnoException).code === 'EACCES' ? ' (the system unit is installed as root: sudo scorefs install-systemd)' : '';
      process.stderr.write(`scorefs: ${text}${hint}\n`);
      process.exitCode = err instanceof InvalidInput ? 2 : 1;
    }
  },
};

function makePlan(args: InstallArgs): InstallPlan {
  const exe: Executables = {
    node: process.execPath,
    scorefs: installation.scorefsBin,
    environment: mountEnvironment(),
    docs: installation.docs,
  };
  if (args.user) {
    if (args.runAs) throw new InvalidInput('--run-as is for the system unit; the user unit runs as you');
    return planUserInstall({
      home: os.homedir(),
      exe,
      ...(args.unitDir ? { unitDir: args.unitDir } : {}),
      ...(args.config ? { config: args.config } : {}),
      ...(args.mountpoint ? { mountpoint: args.mountpoint } : {}),
    });
  }
  return planSystemInstall({
    exe,
    helperMain: installation.helperMain,
    ...(args.mountHelper ? { helperDir: args.helperDir } : {}),
    ...(args.unitDir ? { unitDir: args.unitDir } : {}),
    ...(args.config ? { config: args.config } : {}),
    ...(args.mountpoint ? { mountpoint: args.mountpoint } : {}),
    ...(args.runAs ? { runAs: args.runAs } : {}),
  });
}
