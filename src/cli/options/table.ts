// The one table of scorefs' settings: the options that may come from a flag, the environment or the
// config file. To add an option, add a row here: its flag and --help text on the commands the row
// names, its environment variables, config keys (fstab's too), parser and default all follow. Then
// read it with `options.get(name)` in the command, and add its row to docs/configuration.md and its
// example values to test/helpers/option-examples.ts (the tests say so if either is missing).
// Precedence, for every command: flag, then environment, then config file, then default (resolve.ts).
import { CLIENT_DEFAULTS } from '../../score/config.js';
import { LAYOUTS } from '../../vfs/layout.js';
import { defaultCacheDir, LOG_LEVELS } from '../mount-options.js';
import { COUNT, PORT, SECONDS } from '../option-values.js';
import * as kind from './kinds.js';

/** The commands that take settings: `cache` is stats, verify and clear; `warm` is cache warm. */
export type Command = 'mount' | 'cache' | 'warm' | 'download';

export interface Row<T> {
  kind: kind.Kind<T>;
  /** Environment variables, the first set wins: SCOREFS_<NAME>, then score-client's name if it has one. */
  env: readonly string[];
  /** Config-file keys, the first set wins: the option's name, then score-client's key if it has one. */
  keys: readonly string[];
  /** The default, when it is not the command's own (see `defaultText`). */
  default?: (env: NodeJS.ProcessEnv) => T;
  /** The default as --help and docs/configuration.md say it. */
  defaultText: string;
  describe: string;
  commands: readonly Command[];
  /** No flag: the access token is never taken from argv (world-readable). */
  noFlag?: true;
}

const CONNECTION: Command[] = ['mount', 'warm', 'download'];

export const OPTIONS = {
  'storage-url': {
    kind: kind.url('storage URL'), env: ['SCOREFS_STORAGE_URL', 'STORAGE_URL'], keys: ['storage-url', 'storage.url'],
    defaultText: 'none (required)', describe: 'the Score server', commands: CONNECTION,
  },
  'metadata-url': {
    kind: kind.url('metadata URL'), env: ['SCOREFS_METADATA_URL', 'METADATA_URL'], keys: ['metadata-url', 'metadata.url'],
    defaultText: 'the Score URL', describe: 'the SONG server', commands: CONNECTION,
  },
  'token-file': {
    kind: kind.file, env: ['SCOREFS_TOKEN_FILE'], keys: ['token-file'],
    defaultText: 'no token', describe: 'file holding the access token, mode 600', commands: CONNECTION,
  },
  'access-token': {
    kind: kind.token, env: ['ACCESSTOKEN', 'CLIENT_ACCESSTOKEN'], keys: ['accessToken', 'client.accessToken'], noFlag: true,
    defaultText: 'no token', describe: 'the access token itself (score-client\'s names)', commands: CONNECTION,
  },
  config: {
    kind: kind.file, env: ['SCOREFS_CONFIG'], keys: [],
    defaultText: 'none', describe: 'config file of key = value lines, also application.properties', commands: ['mount', 'cache', 'warm', 'download'],
  },
  'cache-dir': {
    kind: kind.file, env: ['SCOREFS_CACHE_DIR'], keys: ['cache-dir'], default: (env) => defaultCacheDir(env),
    defaultText: '$XDG_CACHE_HOME/scorefs, else ~/.cache/scorefs', describe: 'the persistent cache', commands: ['mount', 'cache', 'warm'],
  },
  'cache-size': {
    kind: kind.size, env: ['SCOREFS_CACHE_SIZE'], keys: ['cache-size'],
    defaultText: '10G', describe: 'bound of the cache on disk, e.g. 50G, 512M', commands: ['mount', 'warm'],
  },
  'memory-size': {
    kind: kind.size, env: ['SCOREFS_MEMORY_SIZE'], keys: ['memory-size'],
    defaultText: '64M', describe: 'recently read blocks kept in memory, e.g. 256M; 0 for none', commands: ['mount'],
  },
  'read-ahead': {
    kind: kind.size, env: ['SCOREFS_READ_AHEAD'], keys: ['read-ahead'], default: () => 128 * 1024,
    defaultText: '128K', describe: 'the kernel\'s readahead on the mount (root only), e.g. 1M: more speeds up sequential reads (in requests of up to 1 MiB), and costs region queries bytes', commands: ['mount'],
  },
  layout: {
    kind: kind.oneOf(LAYOUTS), env: ['SCOREFS_LAYOUT'], keys: ['layout'], default: () => 'bundle' as const,
    defaultText: 'bundle', describe: 'bundle: /<analysisId>/<file>; study: /<studyId>/<analysisId>/<file>; object-id: /<objectId>', commands: ['mount'],
  },
  manifest: {
    kind: kind.file, env: ['SCOREFS_MANIFEST'], keys: ['manifest'],
    defaultText: 'everything', describe: 'score-client manifest (TSV): mount only its objects and their indexes', commands: ['mount'],
  },
  'allow-other': {
    kind: kind.flag, env: ['SCOREFS_ALLOW_OTHER'], keys: ['allow-other'], default: () => false,
    defaultText: 'off', describe: 'let other users read the mount (needs user_allow_other in /etc/fuse.conf)', commands: ['mount'],
  },
  'log-file': {
    kind: kind.file, env: ['SCOREFS_LOG_FILE'], keys: ['log-file'],
    defaultText: '<cache-dir>/scorefs.log', describe: 'the mount\'s log', commands: ['mount'],
  },
  'log-level': {
    kind: kind.oneOf(LOG_LEVELS), env: ['SCOREFS_LOG_LEVEL'], keys: ['log-level'], default: () => 'info' as const,
    defaultText: 'info', describe: 'log level', commands: ['mount'],
  },
  'read-deadline': {
    kind: kind.number('read-deadline', SECONDS, '60'), env: ['SCOREFS_READ_DEADLINE'], keys: ['read-deadline'], default: () => CLIENT_DEFAULTS.readDeadlineMs / 1000,
    defaultText: '60', describe: 'seconds one read may take, retries included', commands: CONNECTION,
  },
  'stall-timeout': {
    kind: kind.number('stall-timeout', SECONDS, '30'), env: ['SCOREFS_STALL_TIMEOUT'], keys: ['stall-timeout'], default: () => CLIENT_DEFAULTS.stallTimeoutMs / 1000,
    defaultText: '30', describe: 'seconds without a byte after which a request is stalled and retried', commands: CONNECTION,
  },
  connections: {
    kind: kind.number('connections', COUNT, '8'), env: ['SCOREFS_CONNECTIONS'], keys: ['connections'], default: () => CLIENT_DEFAULTS.connections,
    defaultText: '16', describe: 'HTTP connections to Score\'s object store (keep-alive, per origin; Score\'s API has 16 of its own): the most range GETs in flight; a sequential read uses as many as raise its throughput', commands: CONNECTION,
  },
  'refresh-interval': {
    kind: kind.number('refresh-interval', SECONDS, '300'), env: ['SCOREFS_REFRESH_INTERVAL'], keys: ['refresh-interval'], default: () => 300,
    defaultText: '300', describe: 'seconds between catalog refreshes', commands: ['mount'],
  },
  'access-lease': {
    kind: kind.duration, env: ['SCOREFS_ACCESS_LEASE'], keys: ['access-lease'], default: () => 86_400_000,
    defaultText: '24h', describe: 'how long Score\'s yes to a controlled file stands, also offline, e.g. 12h, 30m', commands: ['mount', 'warm'],
  },
  'metrics-port': {
    kind: kind.number('metrics-port', PORT, '9187'), env: ['SCOREFS_METRICS_PORT'], keys: ['metrics-port'],
    defaultText: 'off', describe: 'serve Prometheus metrics on 127.0.0.1:PORT/metrics', commands: ['mount'],
  },
  'ready-timeout': {
    kind: kind.number('ready-timeout', SECONDS, '60'), env: ['SCOREFS_READY_TIMEOUT'], keys: ['ready-timeout'], default: () => 60,
    defaultText: '60', describe: 'seconds to wait for the daemon to mount', commands: ['mount'],
  },
  parallel: {
    kind: kind.number('parallel', COUNT, '8'), env: ['SCOREFS_PARALLEL', 'TRANSPORT_PARALLEL'], keys: ['parallel'],
    defaultText: 'connections (16)', describe: 'transfers of 8 MiB in flight; range GETs: as many as the link rewards, up to connections', commands: ['warm', 'download'],
  },
} satisfies Record<string, Row<any>>; // any: each row has its own value type

export type OptionName = keyof typeof OPTIONS;
export type ValueOf<N extends OptionName> = ReturnType<(typeof OPTIONS)[N]['kind']['parse']>;
/** A row with a default always has a value; one without may have none. */
export type Resolved<N extends OptionName> = (typeof OPTIONS)[N] extends { default: unknown } ? ValueOf<N> : ValueOf<N> | undefined;

export const OPTION_NAMES = Object.keys(OPTIONS) as OptionName[];

/** The rows a command takes, in table order. */
export function optionsOf(command: Command): OptionName[] {
  return OPTION_NAMES.filter((n) => (OPTIONS[n].commands as readonly Command[]).includes(command));
}
