// Client settings: flags, then environment, then a config file (docs/configuration.md). The token
// never comes from argv, and a token file or config file that others can read is refused.
import { readFile, stat } from 'node:fs/promises';
import { InvalidInput } from '../errors.js';

export interface ClientConfig {
  /** Score base URL, without a trailing slash. */
  storageUrl: string;
  /** SONG base URL, without a trailing slash (default: storageUrl). */
  metadataUrl: string;
  token?: string;
  /** Overall deadline of one read (or API call) including retries. */
  readDeadlineMs: number;
  /** A request that receives no byte for this long is a stall (undici headers/body timeout). */
  stallTimeoutMs: number;
  /** Keep-alive connections per origin. */
  connections: number;
}

export const CLIENT_DEFAULTS = { readDeadlineMs: 60_000, stallTimeoutMs: 30_000, connections: 8 } as const;

/**
 * Generic `key = value` config file (also score-client's application.properties `key=value`):
 * `#` and `!` start comment lines, blank lines are skipped, a later key wins.
 */
export async function readConfigFile(path: string): Promise<Map<string, string>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new InvalidInput(`cannot read config file ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, { cause: err });
  }
  return parseConfigText(text, path);
}

export function parseConfigText(text: string, source: string): Map<string, string> {
  const entries = new Map<string, string>();
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith('!')) return;
    const eq = line.indexOf('=');
    const key = eq > 0 ? line.slice(0, eq).trim() : '';
    // The line may hold a token, so it is never quoted back.
    if (!key || /\s/.test(key)) throw new InvalidInput(`${source} line ${i + 1}: expected "key = value"`);
    entries.set(key, unquote(line.slice(eq + 1).trim()));
  });
  return entries;
}

function unquote(value: string): string {
  const m = /^(["'])(.*)\1$/.exec(value);
  return m ? m[2]! : value;
}

/**
 * Reads a token file: one token on one line (surrounding whitespace, a trailing newline, is
 * dropped), refusing a file that group or others may read. Never quotes what the file holds.
 */
export async function readTokenFile(path: string): Promise<string> {
  const what = `token file ${path}`;
  const st = await stat(path).catch((err: NodeJS.ErrnoException) => {
    throw new InvalidInput(`cannot read ${what}: ${err.code ?? String(err)}`, { cause: err });
  });
  if (!st.isFile()) throw new InvalidInput(`${what} is ${st.isDirectory() ? 'a directory' : 'not a regular file'}: pass the file that holds the access token`);
  let token: string;
  try {
    token = (await readFile(path, 'utf8')).trim();
  } catch (err) {
    throw new InvalidInput(`cannot read ${what}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, { cause: err });
  }
  if (!token) throw new InvalidInput(`${what} is empty: put your access token in it (one line)`);
  const lines = token.split(/\r?\n/).length;
  if (lines > 1) throw new InvalidInput(`${what} holds ${lines} lines: it must hold one token on one line (a trailing newline is fine)`);
  checkToken(token, what);
  await assertPrivate(path, 'token file');
  return token;
}

/**
 * A token goes in an HTTP header: a character that cannot (a space, a control or non-ASCII
 * character) is refused now, naming where it is, rather than failing every request later.
 */
export function checkToken(token: string, source: string): void {
  const at = token.search(/[^\x21-\x7e]/);
  if (at < 0) return;
  const code = token.charCodeAt(at);
  const kind = code === 0x20 ? 'a space' : code < 0x20 || code === 0x7f ? 'a control character' : 'a non-ASCII character';
  throw new InvalidInput(
    `the access token from ${source} has ${kind} at position ${at + 1}, which cannot be sent in an HTTP header: a token is one word of printable ASCII; check that the right text was copied`,
  );
}

async function assertPrivate(path: string, what: string): Promise<void> {
  let mode: number;
  try {
    mode = (await stat(path)).mode;
  } catch (err) {
    throw new InvalidInput(`cannot read ${what} ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, { cause: err });
  }
  if (mode & 0o077) {
    throw new InvalidInput(
      `${what} ${path} holds an access token but is readable by group or others (mode ${(mode & 0o777).toString(8)}): run chmod 600 ${path}`,
    );
  }
}

/**
 * Resolves the client settings. `flags` are yargs' parsed options (kebab or camel case); `env` is
 * usually process.env. Keys read: storage-url, metadata-url, token-file, config, read-deadline and
 * stall-timeout (seconds), connections.
 */
export async function resolveClientConfig(flags: Record<string, unknown>, env: NodeJS.ProcessEnv): Promise<ClientConfig> {
  if (flags.token !== undefined || flags['access-token'] !== undefined || flags.accessToken !== undefined) {
    throw new InvalidInput('a token is never accepted on the command line (argv is world-readable): use --token-file FILE or ACCESSTOKEN');
  }
  const configPath = flagString(flags, 'config') ?? nonEmpty(env.SCOREFS_CONFIG);
  const file = configPath ? await readConfigFile(configPath) : new Map<string, string>();
  const fromFile = (...keys: string[]): string | undefined => keys.map((k) => nonEmpty(file.get(k))).find((v) => v !== undefined);

  const storage = flagString(flags, 'storage-url') ?? nonEmpty(env.STORAGE_URL) ?? fromFile('storage-url', 'storage.url');
  if (!storage) throw new InvalidInput('no Score URL: pass --storage-url, set STORAGE_URL, or put storage-url in the config file');
  const storageUrl = baseUrl(storage, 'storage URL');
  const metadata = flagString(flags, 'metadata-url') ?? nonEmpty(env.METADATA_URL) ?? fromFile('metadata-url', 'metadata.url');
  const metadataUrl = metadata ? baseUrl(metadata, 'metadata URL') : storageUrl;

  let token: string | undefined;
  const tokenFile = flagString(flags, 'token-file');
  if (tokenFile) token = await readTokenFile(tokenFile);
  else {
    for (const name of ['ACCESSTOKEN', 'CLIENT_ACCESSTOKEN']) {
      token = nonEmpty(env[name]?.trim());
      if (token === undefined) continue;
      checkToken(token, name);
      break;
    }
  }
  if (token === undefined) {
    const fileTokenFile = fromFile('token-file');
    const fileToken = fromFile('accessToken', 'client.accessToken');
    if (fileTokenFile) token = await readTokenFile(fileTokenFile);
    else if (fileToken) {
      await assertPrivate(configPath!, 'config file');
      token = fileToken.trim();
      checkToken(token, `config file ${configPath}`);
    }
  }

  const seconds = (key: string, fallbackMs: number): number => {
    const raw = flags[key] ?? flags[camel(key)] ?? file.get(key);
    return raw === undefined ? fallbackMs : Math.round(positiveNumber(raw, key) * 1000);
  };
  const connectionsRaw = flags.connections ?? file.get('connections');
  return {
    storageUrl,
    metadataUrl,
    ...(token ? { token } : {}),
    readDeadlineMs: seconds('read-deadline', CLIENT_DEFAULTS.readDeadlineMs),
    stallTimeoutMs: seconds('stall-timeout', CLIENT_DEFAULTS.stallTimeoutMs),
    connections: connectionsRaw === undefined ? CLIENT_DEFAULTS.connections : Math.max(1, Math.floor(positiveNumber(connectionsRaw, 'connections'))),
  };
}

/** An http(s) base URL without credentials, query or trailing slash. */
export function baseUrl(value: string, what: string): string {
  let url: URL;
  const text = value.trim();
  try {
    url = new URL(text);
  } catch {
    const port = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*:(\d+)(?:[/?#]|$)/i.exec(text)?.[1];
    if (port !== undefined && Number(port) > 65535) throw new InvalidInput(`invalid ${what} "${text}": port ${port} is out of range (1-65535)`);
    throw new InvalidInput(`invalid ${what} "${text}": expected an http:// or https:// URL (e.g. https://score.example.org)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    const scheme = url.protocol.slice(0, -1);
    const typo = scheme !== 'ftp' && /h|tp/.test(scheme) ? ' (a typo for http or https?)' : '';
    // printed without any user:password part
    throw new InvalidInput(`invalid ${what} "${url.protocol}//${url.host}${url.pathname}": the scheme is "${scheme}"${typo}; only http:// and https:// are supported`);
  }
  if (url.username || url.password) throw new InvalidInput(`invalid ${what}: credentials in the URL are not supported (use --token-file)`);
  if (url.search || url.hash) throw new InvalidInput(`invalid ${what} ${url.origin}${url.pathname}: a base URL takes no query or fragment`);
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

function flagString(flags: Record<string, unknown>, key: string): string | undefined {
  const v = flags[key] ?? flags[camel(key)];
  return typeof v === 'string' ? nonEmpty(v) : undefined;
}

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v.trim() === '' ? undefined : v;
}

function camel(key: string): string {
  return key.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());
}

function positiveNumber(raw: unknown, key: string): number {
  const n = typeof raw === 'number' ? raw : Number(String(raw).trim());
  if (!Number.isFinite(n) || n <= 0) throw new InvalidInput(`${key} must be a positive number, got "${String(raw)}"`);
  return n;
}
