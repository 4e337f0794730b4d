// The settings of a command that talks to Score (mount, cache warm, download), from the resolved
// options, with the token found as it always was: the first of --token-file, SCOREFS_TOKEN_FILE,
// ACCESSTOKEN / CLIENT_ACCESSTOKEN, token-file in the config file, accessToken in the config file.
import { InvalidInput } from '../../errors.js';
import type { ClientConfig } from '../../score/config.js';
import type { ResolvedOptions, Source } from './resolve.js';
import { assertPrivate, checkToken, readTokenFile } from './token.js';

const ORDER: Source[] = ['flag', 'env', 'file', 'default'];

export async function clientConfig(opts: ResolvedOptions): Promise<ClientConfig> {
  const storageUrl = opts.get('storage-url');
  if (!storageUrl) throw new InvalidInput('no Score URL: pass --storage-url, set STORAGE_URL, or put storage-url in the config file');
  const token = await findToken(opts);
  return {
    storageUrl,
    metadataUrl: opts.get('metadata-url') ?? storageUrl,
    ...(token ? { token } : {}),
    readDeadlineMs: Math.round(opts.get('read-deadline') * 1000),
    stallTimeoutMs: Math.round(opts.get('stall-timeout') * 1000),
    connections: opts.get('connections'),
  };
}

/** A token file and a token from the same source: the file wins. */
async function findToken(opts: ResolvedOptions): Promise<string | undefined> {
  const tokenFile = opts.setting('token-file');
  const token = opts.setting('access-token');
  const rank = (from: Source | undefined): number => (from === undefined ? ORDER.length : ORDER.indexOf(from));
  if (tokenFile && rank(tokenFile.from) <= rank(token?.from)) return readTokenFile(tokenFile.value);
  if (!token) return undefined;
  if (token.from === 'file') {
    await assertPrivate(opts.configFile!, 'config file');
    checkToken(token.value, `config file ${opts.configFile}`);
  } else {
    checkToken(token.value, token.label);
  }
  return token.value;
}
