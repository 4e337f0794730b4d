// The fstab mount helper: mount(8) runs `/sbin/mount.fuse.scorefs SOURCE MOUNTPOINT [-sfnv] [-o OPTIONS]
// [-t fuse.scorefs]` for an fstab line of type fuse.scorefs. It maps the -o options to `scorefs mount`
// options and runs `scorefs mount` (daemon mode: returns once the mount answers, as mount(8) expects).
// A token is never an option: fstab and the process list are world-readable; it comes from the config.
import { spawn } from 'node:child_process';
import { InvalidInput } from '../errors.js';
import { OPTIONS, optionsOf } from '../cli/options/table.js';
import { installation } from './paths.js';

export const HELPER_NAME = 'mount.fuse.scorefs';

const MOUNT_OPTIONS = optionsOf('mount').filter((n) => !('noFlag' in OPTIONS[n]));
/** `key=value` options: the long option names of `scorefs mount` (underscores accepted for dashes). */
const VALUE_OPTIONS = new Set<string>(MOUNT_OPTIONS.filter((n) => !OPTIONS[n].kind.boolean));
/** Switches of `scorefs mount`, given without a value (allow_other). */
const FLAG_OPTIONS = new Set<string>(MOUNT_OPTIONS.filter((n) => OPTIONS[n].kind.boolean));

/**
 * Options for mount(8), systemd or the kernel's generic set that mean nothing to scorefs (it is always
 * read-only, nosuid and nodev): accepted and dropped. x-* and comment=… are dropped by prefix.
 */
const IGNORED = new Set([
  'defaults', '_netdev', 'nofail', 'auto', 'noauto', 'user', 'users', 'nouser', 'owner', 'group',
  'rw', 'ro', 'suid', 'nosuid', 'dev', 'nodev', 'exec', 'noexec',
  'atime', 'noatime', 'relatime', 'norelatime', 'strictatime', 'diratime', 'nodiratime', 'lazytime', 'async', 'sync',
]);

const TOKEN_OPTIONS = new Set(['token', 'accesstoken', 'access-token', 'client.accesstoken']);

export interface HelperInvocation {
  source: string;
  mountpoint: string;
  /** The `scorefs mount` arguments (after `mount MOUNTPOINT`). */
  mountArgs: string[];
  /** -f: do everything but mount. */
  fake: boolean;
  verbose: boolean;
  /** Options dropped as meaningless here, and unknown ones dropped because of -s. */
  ignored: string[];
}

/** Parses mount(8)'s helper command line; throws InvalidInput on an unknown option (unless -s). */
export function parseHelperArgs(argv: string[]): HelperInvocation {
  const positional: string[] = [];
  const optionLists: string[] = [];
  let sloppy = false;
  let fake = false;
  let verbose = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new InvalidInput(`${arg} needs a value`);
      return v;
    };
    if (arg === '-o') optionLists.push(value());
    else if (arg.startsWith('-o') && arg.length > 2) optionLists.push(arg.slice(2));
    else if (arg === '-t') checkType(value());
    else if (arg === '-N') throw new InvalidInput('-N (mount in another namespace) is not supported by scorefs');
    else if (/^-[sfnv]+$/.test(arg)) {
      sloppy ||= arg.includes('s');
      fake ||= arg.includes('f');
      verbose ||= arg.includes('v');
    } else if (arg.startsWith('-') && arg !== '-') throw new InvalidInput(`unknown argument ${arg}`);
    else positional.push(arg);
  }
  if (positional.length !== 2) throw new InvalidInput(`usage: ${HELPER_NAME} SOURCE MOUNTPOINT [-sfnv] [-o OPTIONS]`);
  const [source, mountpoint] = positional as [string, string];

  const mountArgs: string[] = [];
  const ignored: string[] = [];
  // SOURCE is a label (e.g. "scorefs"), or the Score URL itself
  if (/^https?:\/\//i.test(source)) mountArgs.push('--storage-url', source);
  for (const option of optionLists.flatMap(splitOptions)) {
    const eq = option.indexOf('=');
    const rawKey = eq < 0 ? option : option.slice(0, eq);
    const key = rawKey.replace(/_/g, '-').toLowerCase();
    const isIgnored = IGNORED.has(rawKey) || rawKey.startsWith('x-') || rawKey === 'comment';
    if (isIgnored) ignored.push(option);
    else if (TOKEN_OPTIONS.has(key)) {
      throw new InvalidInput(`a token is never a mount option (fstab and the process list are world-readable): put token-file = FILE in the config file`);
    } else if (VALUE_OPTIONS.has(key)) {
      if (eq < 0 || eq === option.length - 1) throw new InvalidInput(`mount option ${rawKey} needs a value: ${rawKey}=…`);
      mountArgs.push(`--${key}`, option.slice(eq + 1));
    } else if (FLAG_OPTIONS.has(key) && eq < 0) mountArgs.push(`--${key}`);
    else if (sloppy) ignored.push(option);
    else {
      throw new InvalidInput(
        `unknown mount option "${rawKey}"; scorefs takes ${[...VALUE_OPTIONS].map((k) => `${k}=…`).join(', ')}, ${[...FLAG_OPTIONS].map((k) => k.replace(/-/g, '_')).join(', ')} ` +
          `(and ignores ${[...IGNORED].slice(0, 4).join(', ')}, x-systemd.*, …)`,
      );
    }
  }
  return { source, mountpoint, mountArgs, fake, verbose, ignored };
}

/** mount(8)'s exit codes: 1 bad usage or permissions, 32 the mount failed. */
export async function runMountHelper(argv: string[]): Promise<number> {
  let inv: HelperInvocation;
  try {
    inv = parseHelperArgs(argv);
  } catch (err) {
    process.stderr.write(`${HELPER_NAME}: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
  const args = [installation.scorefsBin, 'mount', inv.mountpoint, ...inv.mountArgs];
  if (inv.verbose || inv.fake) process.stderr.write(`${HELPER_NAME}: ${[process.execPath, ...args].join(' ')}\n`);
  if (inv.fake) return 0;
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: 'inherit' });
    child.once('error', reject);
    child.once('exit', (c) => resolve(c));
  });
  if (code === 0) return 0;
  return code === 2 ? 1 : 32; // 2: scorefs rejected an option or the config
}

/** An option list split on commas, keeping a quoted value (mount(8) allows `config="/a,b.conf"`) whole. */
function splitOptions(list: string): string[] {
  const out: string[] = [];
  let current = '';
  let quoted = false;
  for (const c of list) {
    if (c === '"') quoted = !quoted;
    else if (c === ',' && !quoted) {
      if (current) out.push(current);
      current = '';
    } else current += c;
  }
  if (current) out.push(current);
  return out;
}

function checkType(type: string): void {
  if (type !== 'fuse.scorefs' && type !== 'scorefs') throw new InvalidInput(`${HELPER_NAME} mounts type fuse.scorefs, not ${type}`);
}
