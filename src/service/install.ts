// What `scorefs install-systemd` writes, as a plan of files (so --dry-run shows exactly that), and
// applying it idempotently: units and the mount helper are replaced when they differ, a config file
// is only ever created (mode 600), never overwritten.
import { execFile } from 'node:child_process';
import { mkdir, open, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { InvalidInput } from '../errors.js';
import { HELPER_NAME } from './mount-helper.js';
import { UMOUNT_HELPER_NAME } from './umount-helper.js';
import {
  renderHelperWrapper,
  renderMountpointDropIn,
  renderSystemUnit,
  renderUserUnit,
  SYSTEM_UNIT,
  USER_UNIT,
  userUnitDefaults,
  type Executables,
  type UnitPath,
} from './units.js';

export interface PlannedFile {
  path: string;
  content: string;
  mode: number;
  /** Config files: created when absent, never replaced. */
  createOnly?: boolean;
  /** Directory mode when the parent has to be created. */
  dirMode?: number;
  /** Owner of a created config file (--run-as). */
  owner?: string;
}

export interface InstallPlan {
  files: PlannedFile[];
  /** The config the unit reads. */
  config: string;
  /** Commands to run next, one per line. */
  next: string[];
}

export interface UserInstallOptions {
  home: string;
  exe: Executables;
  unitDir?: string;
  config?: string;
  mountpoint?: string;
}

export function planUserInstall(o: UserInstallOptions): InstallPlan {
  const defaults = userUnitDefaults();
  const configPath = o.config ? path.resolve(o.config) : path.join(o.home, '.config', 'scorefs', 'scorefs.conf');
  const config: UnitPath = o.config ? { literal: configPath } : defaults.config;
  const mountpoint: UnitPath = o.mountpoint ? { literal: path.resolve(o.mountpoint) } : defaults.mountpoint;
  const unitDir = o.unitDir ? path.resolve(o.unitDir) : path.join(o.home, '.config', 'systemd', 'user');
  return {
    files: [
      { path: path.join(unitDir, USER_UNIT), content: renderUserUnit({ ...o.exe, config, mountpoint }), mode: 0o644 },
      {
        path: configPath,
        content: exampleConfig({
          unit: USER_UNIT,
          tokenFile: path.join(path.dirname(configPath), 'token'),
          cache: `# cache-dir = ${path.join(o.home, '.cache', 'scorefs')}`,
        }),
        mode: 0o600,
        dirMode: 0o700,
        createOnly: true,
      },
    ],
    config: configPath,
    next: ['systemctl --user daemon-reload && systemctl --user enable --now scorefs', 'loginctl enable-linger   # optional: mount at boot, not only while logged in'],
  };
}

export interface SystemInstallOptions {
  exe: Executables;
  /** <dir>/<instance>.conf; default /etc/scorefs/main.conf. */
  config?: string;
  unitDir?: string;
  /** Writes a drop-in moving this instance's mountpoint (default /mnt/scorefs/<instance>). */
  mountpoint?: string;
  runAs?: string;
  /** Where to install mount.fuse.scorefs and umount.fuse.scorefs (mount(8) looks in /sbin); undefined: not at all. */
  helperDir?: string;
  /** The compiled helper-main.js the installed wrappers run. */
  helperMain: string;
}

export function planSystemInstall(o: SystemInstallOptions): InstallPlan {
  const config = path.resolve(o.config ?? '/etc/scorefs/main.conf');
  const instance = instanceOf(config);
  const unitDir = path.resolve(o.unitDir ?? '/etc/systemd/system');
  const files: PlannedFile[] = [
    {
      path: path.join(unitDir, SYSTEM_UNIT),
      content: renderSystemUnit({ ...o.exe, configDir: path.dirname(config), ...(o.runAs ? { runAs: o.runAs } : {}) }),
      mode: 0o644,
    },
    {
      path: config,
      content: exampleConfig({
        unit: `scorefs@${instance}.service`,
        tokenFile: path.join(path.dirname(config), `${instance}.token`),
        cache: `# one cache per instance (systemd creates this directory):\ncache-dir = /var/cache/scorefs/${instance}`,
      }),
      mode: 0o600,
      dirMode: 0o755,
      createOnly: true,
      ...(o.runAs ? { owner: o.runAs } : {}),
    },
  ];
  if (o.mountpoint) {
    files.push({ path: path.join(unitDir, `scorefs@${instance}.service.d`, 'mountpoint.conf'), content: renderMountpointDropIn(path.resolve(o.mountpoint)), mode: 0o644 });
  }
  if (o.helperDir) {
    const dir = path.resolve(o.helperDir);
    files.push(
      { path: path.join(dir, HELPER_NAME), content: renderHelperWrapper({ node: o.exe.node, helperMain: o.helperMain, by: 'mount' }), mode: 0o755 },
      { path: path.join(dir, UMOUNT_HELPER_NAME), content: renderHelperWrapper({ node: o.exe.node, helperMain: o.helperMain, by: 'umount' }), mode: 0o755 },
    );
  }
  const mountpoint = o.mountpoint ? path.resolve(o.mountpoint) : `/mnt/scorefs/${instance}`;
  return {
    files,
    config,
    next: [
      `systemctl daemon-reload && systemctl enable --now scorefs@${instance}`,
      ...(o.helperDir ? [`# or, instead of the unit, this /etc/fstab line:  scorefs ${mountpoint} fuse.scorefs _netdev,config=${config} 0 0`] : []),
    ],
  };
}

export type FileOutcome = 'written' | 'unchanged' | 'kept' | 'would write' | 'would keep';

/** Writes the plan (atomically per file); with dryRun, only says what it would do. */
export async function applyPlan(plan: InstallPlan, opts: { dryRun: boolean }): Promise<Array<{ file: PlannedFile; outcome: FileOutcome }>> {
  const results: Array<{ file: PlannedFile; outcome: FileOutcome }> = [];
  // an unknown --run-as user fails before anything is written
  const owners = new Map<string, { uid: number; gid: number }>();
  for (const user of new Set(plan.files.flatMap((f) => (f.owner ? [f.owner] : [])))) owners.set(user, await userIds(user));
  for (const file of plan.files) {
    const current = await readFile(file.path, 'utf8').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return undefined;
      throw err;
    });
    if (current !== undefined && (file.createOnly || current === file.content)) {
      results.push({ file, outcome: opts.dryRun ? 'would keep' : file.createOnly ? 'kept' : 'unchanged' });
      continue;
    }
    if (opts.dryRun) {
      results.push({ file, outcome: 'would write' });
      continue;
    }
    await mkdir(path.dirname(file.path), { recursive: true, ...(file.dirMode !== undefined ? { mode: file.dirMode } : {}) });
    if (file.createOnly) await createExclusive(file, file.owner ? owners.get(file.owner) : undefined);
    else await replace(file);
    results.push({ file, outcome: 'written' });
  }
  return results;
}

async function replace(file: PlannedFile): Promise<void> {
  const tmp = `${file.path}.${process.pid}.tmp`;
  try {
    await writeFile(tmp, file.content, { mode: file.mode });
    await rename(tmp, file.path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/** Mode 600 from the first byte: the file may come to hold a token. */
async function createExclusive(file: PlannedFile, owner: { uid: number; gid: number } | undefined): Promise<void> {
  const handle = await open(file.path, 'wx', file.mode);
  try {
    await handle.writeFile(file.content);
    await handle.chmod(file.mode); // the umask may have taken bits off
    if (owner) await handle.chown(owner.uid, owner.gid);
  } finally {
    await handle.close();
  }
}

async function userIds(user: string): Promise<{ uid: number; gid: number }> {
  const id = async (flag: string): Promise<number> => {
    try {
      return Number((await promisify(execFile)('id', [flag, user])).stdout.trim());
    } catch {
      throw new InvalidInput(`no such user: ${user}`);
    }
  };
  return { uid: await id('-u'), gid: await id('-g') };
}

/** The instance a system config names: /etc/scorefs/main.conf → main. */
function instanceOf(config: string): string {
  const base = path.basename(config);
  const m = /^([A-Za-z0-9_][A-Za-z0-9_.-]*)\.conf$/.exec(base);
  if (!m) throw new InvalidInput(`the system unit reads <dir>/<instance>.conf: ${config} is not a NAME.conf file (NAME of letters, digits, _ . -)`);
  return m[1]!;
}

function exampleConfig(o: { unit: string; tokenFile: string; cache: string }): string {
  return [
    '# scorefs configuration: `key = value` lines, the keys are the long options of `scorefs mount`',
    `# (score-client's storage.url, metadata.url, accessToken work too). Read by ${o.unit}.`,
    '# Keep this file mode 600: it may name a token.',
    '',
    '# The Score server (required), and SONG if it is elsewhere:',
    '# storage-url = https://score.example.org',
    '# metadata-url = https://song.example.org',
    '',
    '# The access token: a mode 600 file holding only the token (never a command-line value):',
    `# token-file = ${o.tokenFile}`,
    '',
    o.cache,
    '# cache-size = 50G',
    '# memory-size = 64M',
    '# layout = bundle',
    '',
  ].join('\n');
}
