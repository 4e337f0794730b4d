// The options that reach Score and SONG (resolved by src/score/config.ts: flags, environment, config file).
import type { Argv } from 'yargs';

export interface ConnectionArgs {
  storageUrl?: string;
  metadataUrl?: string;
  tokenFile?: string;
  config?: string;
  readDeadline?: number;
}

export function connectionOptions<T>(yargs: Argv<T>): Argv<T & ConnectionArgs> {
  return yargs
    .option('storage-url', { type: 'string', describe: 'Score URL (env STORAGE_URL)' })
    .option('metadata-url', { type: 'string', describe: 'SONG URL (env METADATA_URL; default: the Score URL)' })
    .option('token-file', { type: 'string', describe: 'file holding the access token, mode 600 (or env ACCESSTOKEN)' })
    .option('config', { type: 'string', describe: 'config file of key = value lines (also application.properties)' })
    .option('read-deadline', { type: 'number', describe: 'seconds one read may take, retries included (default 60)' }) as unknown as Argv<T & ConnectionArgs>;
}
