// `scorefs mount MOUNTPOINT`: resolves the options, then either starts the daemon and waits for it
// (default) or runs the mount in this process (--foreground, as systemd runs it).
import path from 'node:path';
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { InvalidInput } from '../errors.js';
import { readConfigFile, resolveClientConfig, type ClientConfig } from '../score/config.js';
import { configureLogger, type LogLevel } from '../util/log.js';
import { LAYOUTS, type Layout } from '../vfs/layout.js';
import { connectionFlags, connectionOptions, type ConnectionArgs } from './connection-options.js';
import { isDaemonChild, readDaemonSecret, reportToParent, startDaemon } from './mount-daemon.js';
import { checkCacheDirPath } from '../cache/cache-dir.js';
import { checkOutsideMountpoint, defaultCacheDir, LOG_LEVELS, parseDuration, parseLayout, parseSize } from './mount-options.js';
import { runMount } from './mount-run.js';
import { durationOption, numberOption, PORT, SECONDS, sizeOption } from './option-values.js';

interface MountArgs extends ConnectionArgs {
  mountpoint: string;
  cacheDir?: string;
  cacheSize?: string;
  memorySize?: string;
  layout?: string;
  manifest?: string;
  allowOther?: boolean;
  foreground: boolean;
  logFile?: string;
  logLevel?: string;
  refreshInterval?: number;
  accessLease?: string;
  metricsPort?: number;
  readyTimeout: number;
}

/** Everything a mount needs, resolved (flags > environment > config file) and made absolute. */
export interface MountSettings {
  mountpoint: string;
  client: ClientConfig;
  configFile?: string;
  cacheDir: string;
  cacheSizeBytes?: number;
  /** The memory tier's size (recently read blocks in the daemon). */
  memorySizeBytes?: number;
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
}

export const mountCommand: CommandModule<object, MountArgs> = {
  command: 'mount <mountpoint>',
  describe: 'Mount the objects of a Score server as a read-only filesystem',
  builder: (yargs: Argv) =>
    connectionOptions(yargs)
      .usage('$0 mount MOUNTPOINT [options]\n\nMounts Score objects read-only; returns once the mount is ready unless --foreground.')
      .positional('mountpoint', { type: 'string', demandOption: true, describe: 'an existing empty directory' })
      .option('cache-dir', { type: 'string', describe: 'persistent cache (default $XDG_CACHE_HOME/scorefs or ~/.cache/scorefs)' })
      .option('cache-size', sizeOption('cache-size', { describe: 'disk cache bound, e.g. 50G, 512M (default 10G)' }))
      .option('memory-size', sizeOption('memory-size', { describe: 'recently read blocks kept in memory, e.g. 256M; 0 for none (default 64M)' }))
      .option('layout', { type: 'string', choices: LAYOUTS, describe: 'bundle: /<analysisId>/<file>; study: /<studyId>/<analysisId>/<file>; object-id: /<objectId>' })
      .option('manifest', { type: 'string', describe: 'score-client manifest (TSV): mount only its objects and their indexes' })
      .option('allow-other', { type: 'boolean', describe: 'let other users read the mount (needs user_allow_other in /etc/fuse.conf)' })
      .option('foreground', { type: 'boolean', default: false, describe: 'stay attached (for systemd); SIGTERM unmounts' })
      .option('log-file', { type: 'string', describe: 'log file (default <cache-dir>/scorefs.log)' })
      .option('log-level', { type: 'string', choices: LOG_LEVELS, describe: 'log level (default info)' })
      .option('refresh-interval', numberOption('refresh-interval', SECONDS, '300', { describe: 'seconds between catalog refreshes (default 300)' }))
      .option('access-lease', durationOption('access-lease', { describe: 'how long Score\'s yes to a controlled file stands, also offline, e.g. 12h, 30m (default 24h)' }))
      .option('metrics-port', numberOption('metrics-port', PORT, '9187', { describe: 'serve Prometheus metrics on 127.0.0.1:PORT/metrics' }))
      .option('ready-timeout', numberOption('ready-timeout', SECONDS, '60', { default: 60, describe: 'seconds to wait for the daemon to mount' })) as unknown as Argv<MountArgs>,
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
    await daemonize(settings, args.readyTimeout * 1000);
  },
};

async function daemonize(settings: MountSettings, timeoutMs: number): Promise<void> {
  try {
    const ready = await startDaemon({ args: childArgs(settings), secret: { token: settings.client.token }, logFile: settings.logFile, timeoutMs });
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

/** The daemon's command line: every setting explicit, paths absolute, never the token. */
function childArgs(s: MountSettings): string[] {
  const args = ['mount', s.mountpoint, '--foreground'];
  args.push('--storage-url', s.client.storageUrl, '--metadata-url', s.client.metadataUrl);
  if (s.configFile) args.push('--config', s.configFile);
  args.push('--cache-dir', s.cacheDir, '--layout', s.layout, '--log-file', s.logFile, '--log-level', s.logLevel);
  if (s.cacheSizeBytes !== undefined) args.push('--cache-size', String(s.cacheSizeBytes));
  if (s.memorySizeBytes !== undefined) args.push('--memory-size', String(s.memorySizeBytes));
  if (s.manifest) args.push('--manifest', s.manifest);
  if (s.allowOther) args.push('--allow-other');
  if (s.metricsPort !== undefined) args.push('--metrics-port', String(s.metricsPort));
  args.push('--read-deadline', String(s.client.readDeadlineMs / 1000), '--refresh-interval', String(s.refreshIntervalMs / 1000));
  args.push('--access-lease', String(s.accessLeaseMs / 1000));
  args.push('--connections', String(s.client.connections));
  return args;
}

export async function resolveMountSettings(args: MountArgs, env: NodeJS.ProcessEnv): Promise<MountSettings> {
  const connection = connectionFlags(args, env);
  const configFile = connection.config;
  const file = configFile ? await readConfigFile(configFile) : new Map<string, string>();
  if (configFile) checkConfigKeys(file, configFile); // before the client settings, which a misspelt key may lack
  const client = await resolveClientConfig(connection, env);
  // flags, then the environment (SCOREFS_CACHE_DIR for cache-dir, …), then the config file
  const pick = (flag: string | undefined, key: string): string | undefined =>
    flag ?? (env[`SCOREFS_${key.toUpperCase().replace(/-/g, '_')}`] || file.get(key) || undefined);

  const cacheDir = path.resolve(pick(args.cacheDir, 'cache-dir') ?? defaultCacheDir(env));
  const cacheSize = pick(args.cacheSize, 'cache-size');
  const memorySize = pick(args.memorySize, 'memory-size');
  const logLevel = pick(args.logLevel, 'log-level') ?? 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) throw new InvalidInput(`log-level must be one of ${LOG_LEVELS.join(', ')}`);
  const refresh = args.refreshInterval ?? Number(pick(undefined, 'refresh-interval') ?? 300);
  const metricsPort = args.metricsPort ?? (pick(undefined, 'metrics-port') ? Number(pick(undefined, 'metrics-port')) : undefined);
  if (metricsPort !== undefined && !(Number.isInteger(metricsPort) && metricsPort > 0 && metricsPort < 65536)) {
    throw new InvalidInput('metrics-port must be a TCP port number (1-65535)');
  }
  if (!Number.isFinite(refresh) || refresh <= 0) throw new InvalidInput('refresh-interval must be a positive number of seconds');
  const mountpoint = path.resolve(args.mountpoint);
  const logFile = path.resolve(pick(args.logFile, 'log-file') ?? path.join(cacheDir, 'scorefs.log'));
  // before the daemon writes its log there
  await checkCacheDirPath(cacheDir);
  await checkOutsideMountpoint(mountpoint, [{ option: 'cache-dir', path: cacheDir }, { option: 'log-file', path: logFile }]);
  return {
    mountpoint,
    client,
    ...(configFile ? { configFile } : {}),
    cacheDir,
    ...(cacheSize !== undefined ? { cacheSizeBytes: parseSize(cacheSize, 'cache-size') } : {}),
    ...(memorySize !== undefined ? { memorySizeBytes: parseSize(memorySize, 'memory-size') } : {}),
    layout: parseLayout(pick(args.layout, 'layout') ?? 'bundle'),
    ...(pick(args.manifest, 'manifest') ? { manifest: path.resolve(pick(args.manifest, 'manifest')!) } : {}),
    allowOther: args.allowOther ?? parseBoolean(pick(undefined, 'allow-other'), 'allow-other'),
    logFile,
    logLevel: logLevel as LogLevel,
    refreshIntervalMs: refresh * 1000,
    accessLeaseMs: parseDuration(pick(args.accessLease, 'access-lease') ?? '24h', 'access-lease'),
    ...(metricsPort !== undefined ? { metricsPort } : {}),
  };
}

/** The keys a config file may hold: the long options of `scorefs mount` that make sense in a file. */
const CONFIG_KEYS = [
  'storage-url', 'metadata-url', 'token-file', 'cache-dir', 'cache-size', 'memory-size', 'layout', 'manifest', 'allow-other',
  'log-file', 'log-level', 'read-deadline', 'refresh-interval', 'access-lease', 'metrics-port', 'stall-timeout', 'connections',
] as const;
/** score-client's application.properties keys that scorefs reads; its other (dotted) keys are ignored. */
const SCORE_CLIENT_KEYS = ['storage.url', 'metadata.url', 'accessToken', 'client.accessToken'];

/** A misspelt key would silently fall back to a default: refuse it, naming it. */
function checkConfigKeys(file: Map<string, string>, source: string): void {
  for (const key of file.keys()) {
    if ((CONFIG_KEYS as readonly string[]).includes(key) || SCORE_CLIENT_KEYS.includes(key) || key.includes('.')) continue;
    const hint = (CONFIG_KEYS as readonly string[]).includes(key.replace(/_/g, '-')) ? ` (did you mean ${key.replace(/_/g, '-')}?)` : '';
    throw new InvalidInput(`${source}: unknown key "${key}"${hint}; the keys are ${CONFIG_KEYS.join(', ')}`);
  }
}

function parseBoolean(value: string | undefined, key: string): boolean {
  if (value === undefined || value === 'false') return false;
  if (value === 'true') return true;
  throw new InvalidInput(`${key} must be true or false, not "${value}"`);
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
