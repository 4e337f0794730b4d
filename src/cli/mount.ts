// `scorefs mount MOUNTPOINT`: resolves the options, then either starts the daemon and waits for it
// (default) or runs the mount in this process (--foreground, as systemd runs it).
import path from 'node:path';
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { InvalidInput } from '../errors.js';
import type { ClientConfig } from '../score/config.js';
import { configureLogger, type LogLevel } from '../util/log.js';
import type { Layout } from '../vfs/layout.js';
import { isDaemonChild, readDaemonSecret, reportToParent, startDaemon } from './mount-daemon.js';
import { checkCacheDirPath } from '../cache/cache-dir.js';
import { checkOutsideMountpoint } from './mount-options.js';
import { runMount } from './mount-run.js';
import { clientConfig } from './options/client.js';
import { declareOptions } from './options/declare.js';
import type { Kind } from './options/kinds.js';
import { resolveOptions, type ResolvedOptions } from './options/resolve.js';
import { OPTIONS, optionsOf } from './options/table.js';

interface MountArgs {
  mountpoint: string;
  foreground: boolean;
}

/** Everything a mount needs, resolved (flags > environment > config file) and made absolute. */
export interface MountSettings {
  mountpoint: string;
  client: ClientConfig;
  cacheDir: string;
  cacheSizeBytes?: number;
  /** The memory tier's size (recently read blocks in the daemon). */
  memorySizeBytes?: number;
  /** The kernel's readahead on the mount, KiB. */
  readAheadKb: number;
  layout: Layout;
  manifest?: string;
  allowOther: boolean;
  logFile: string;
  logLevel: LogLevel;
  refreshIntervalMs: number;
  /** How long Score's yes to a controlled object stands (then it is asked again; offline, the limit). */
  accessLeaseMs: number;
  /** Serve Prometheus text of the mount's counters on 127.0.0.1:PORT/metrics. */
  metricsPort?: number;
  readyTimeoutMs: number;
  /** The options as resolved, for the daemon's command line. */
  options: ResolvedOptions;
}

export const mountCommand: CommandModule<object, MountArgs> = {
  command: 'mount <mountpoint>',
  describe: 'Mount the objects of a Score server as a read-only filesystem',
  builder: (yargs: Argv) =>
    declareOptions(yargs, 'mount')
      .usage('$0 mount MOUNTPOINT [options]\n\nMounts Score objects read-only; returns once the mount is ready unless --foreground.')
      .positional('mountpoint', { type: 'string', demandOption: true, describe: 'an existing empty directory' })
      .option('foreground', { type: 'boolean', default: false, describe: 'stay attached (for systemd); SIGTERM unmounts' }) as unknown as Argv<MountArgs>,
  handler: async (args: ArgumentsCamelCase<MountArgs>) => {
    const daemonChild = isDaemonChild();
    let settings: MountSettings;
    try {
      settings = await resolveMountSettings(args, process.env);
      if (daemonChild) {
        const secret = await readDaemonSecret();
        if (secret.token) settings.client.token = secret.token;
      }
    } catch (err) {
      await fail(err);
      return;
    }
    if (args.foreground) {
      process.umask(0o077); // the log, its directory and the cache's files: private (the mount writes nothing else)
      configureLogger({ level: settings.logLevel, file: settings.logFile });
      if (!daemonChild) process.stderr.write(`scorefs: logging to ${settings.logFile}\n`);
      await runMount(settings); // returns when unmounted by a signal; exits the process itself on failure
      return;
    }
    await daemonize(settings);
  },
};

async function daemonize(settings: MountSettings): Promise<void> {
  try {
    const ready = await startDaemon({
      args: childArgs(settings),
      secret: { token: settings.client.token },
      logFile: settings.logFile,
      timeoutMs: settings.readyTimeoutMs,
    });
    if (!ready.ok) throw new Error(ready.error ?? 'the daemon failed to mount');
    if (ready.offline) {
      const when = ready.catalogFetchedAt ? new Date(ready.catalogFetchedAt).toISOString() : 'an earlier run';
      process.stderr.write(`scorefs: ${settings.client.storageUrl} is unreachable: mounted offline from the listing of ${when}; only cached data can be read\n`);
    }
    process.stdout.write(
      `scorefs: mounted ${settings.client.storageUrl} at ${settings.mountpoint} (${ready.files ?? 0} files, layout ${settings.layout}, pid ${ready.pid}); log: ${settings.logFile}\n`,
    );
  } catch (err) {
    process.stderr.write(`scorefs: mount failed: ${message(err)} (log: ${settings.logFile})\n`);
    process.exitCode = 1;
  }
}

/**
 * The daemon's command line: every option of the table explicit, as resolved here (paths absolute),
 * so it reads no config file; never the token (it goes over a pipe), nor where it was.
 */
function childArgs(s: MountSettings): string[] {
  const args = ['mount', s.mountpoint, '--foreground'];
  for (const name of optionsOf('mount')) {
    if (name === 'config' || name === 'token-file' || 'noFlag' in OPTIONS[name]) continue;
    const value = s.options.get(name);
    if (value === undefined) continue;
    const kind: Kind<typeof value> = OPTIONS[name].kind as Kind<typeof value>;
    args.push(`--${name}`, kind.format ? kind.format(value) : String(value));
  }
  return args;
}

export async function resolveMountSettings(args: MountArgs, env: NodeJS.ProcessEnv): Promise<MountSettings> {
  const options = await resolveOptions('mount', args as unknown as Record<string, unknown>, env);
  const client = await clientConfig(options);
  const mountpoint = path.resolve(args.mountpoint);
  const cacheDir = options.get('cache-dir');
  const logFile = options.get('log-file') ?? path.join(cacheDir, 'scorefs.log');
  // before the daemon writes its log there
  await checkCacheDirPath(cacheDir);
  await checkOutsideMountpoint(mountpoint, [{ option: 'cache-dir', path: cacheDir }, { option: 'log-file', path: logFile }]);
  const optional = <N extends 'cache-size' | 'memory-size' | 'manifest' | 'metrics-port', K extends string>(name: N, key: K) => {
    const value = options.get(name);
    return (value === undefined ? {} : { [key]: value }) as Partial<Record<K, NonNullable<typeof value>>>;
  };
  return {
    mountpoint,
    client,
    cacheDir,
    ...optional('cache-size', 'cacheSizeBytes'),
    ...optional('memory-size', 'memorySizeBytes'),
    readAheadKb: Math.ceil(options.get('read-ahead') / 1024),
    layout: options.get('layout'),
    ...optional('manifest', 'manifest'),
    allowOther: options.get('allow-other'),
    logFile,
    logLevel: options.get('log-level'),
    refreshIntervalMs: options.get('refresh-interval') * 1000,
    accessLeaseMs: options.get('access-lease'),
    ...optional('metrics-port', 'metricsPort'),
    readyTimeoutMs: options.get('ready-timeout') * 1000,
    options,
  };
}

async function fail(err: unknown): Promise<void> {
  const text = message(err);
  await reportToParent({ ok: false, error: text });
  process.stderr.write(`scorefs: ${text}\n`);
  process.exitCode = err instanceof InvalidInput ? 2 : 1;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
