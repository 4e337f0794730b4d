// The options that reach Score and SONG, declared and resolved once for every command that talks to
// Score (mount, cache warm, download): flags, then the environment, then the config file.
import path from 'node:path';
import type { Argv } from 'yargs';
import { resolveClientConfig, type ClientConfig } from '../score/config.js';
import { COUNT, numberOption, SECONDS } from './option-values.js';

export interface ConnectionArgs {
  storageUrl?: string;
  metadataUrl?: string;
  tokenFile?: string;
  config?: string;
  readDeadline?: number;
  connections?: number;
}

/** The connection options after the SCOREFS_ environment: what resolveClientConfig takes as flags. */
export type ConnectionFlags = {
  storageUrl: string | undefined;
  metadataUrl: string | undefined;
  /** Absolute, so the mount daemon (started elsewhere) reads the same file. */
  tokenFile: string | undefined;
  /** Absolute, from --config or SCOREFS_CONFIG. */
  config: string | undefined;
  /** Seconds; a string when it came from SCOREFS_READ_DEADLINE (resolveClientConfig checks it). */
  readDeadline: number | string | undefined;
  /** A string when it came from SCOREFS_CONNECTIONS (resolveClientConfig checks it). */
  connections: number | string | undefined;
};

export function connectionOptions<T>(yargs: Argv<T>): Argv<T & ConnectionArgs> {
  return yargs
    .option('storage-url', { type: 'string', describe: 'Score URL (env STORAGE_URL)' })
    .option('metadata-url', { type: 'string', describe: 'SONG URL (env METADATA_URL; default: the Score URL)' })
    .option('token-file', { type: 'string', describe: 'file holding the access token, mode 600 (env SCOREFS_TOKEN_FILE, or the token in ACCESSTOKEN)' })
    .option('config', { type: 'string', describe: 'config file of key = value lines, also application.properties (env SCOREFS_CONFIG)' })
    .option('read-deadline', numberOption('read-deadline', SECONDS, '60', { describe: 'seconds one read may take, retries included (env SCOREFS_READ_DEADLINE; default 60)' }))
    .option('connections', numberOption('connections', COUNT, '8', { describe: 'HTTP connections to the object store: the most range GETs in flight (env SCOREFS_CONNECTIONS; default 8)' })) as unknown as Argv<T & ConnectionArgs>;
}

/**
 * Each connection flag, else its SCOREFS_ environment variable. STORAGE_URL, METADATA_URL, ACCESSTOKEN
 * and the config file are resolveClientConfig's to read, after these.
 */
export function connectionFlags(args: ConnectionArgs, env: NodeJS.ProcessEnv): ConnectionFlags {
  const fromEnv = (name: string): string | undefined => (env[name]?.trim() ? env[name] : undefined);
  const absolute = (p: string | undefined): string | undefined => (p === undefined ? undefined : path.resolve(p));
  return {
    storageUrl: args.storageUrl,
    metadataUrl: args.metadataUrl,
    tokenFile: absolute(args.tokenFile ?? fromEnv('SCOREFS_TOKEN_FILE')),
    config: absolute(args.config ?? fromEnv('SCOREFS_CONFIG')),
    readDeadline: args.readDeadline ?? fromEnv('SCOREFS_READ_DEADLINE'),
    connections: args.connections ?? fromEnv('SCOREFS_CONNECTIONS'),
  };
}

/** The client settings of a command that talks to Score: flags > environment > config file. */
export function resolveConnection(args: ConnectionArgs, env: NodeJS.ProcessEnv): Promise<ClientConfig> {
  return resolveClientConfig(connectionFlags(args, env), env);
}
