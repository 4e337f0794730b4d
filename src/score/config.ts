// What the Score client needs to reach Score and SONG (resolved from flags, environment and config
// file by src/cli/options/), and the check of a base URL.
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

export const CLIENT_DEFAULTS = { readDeadlineMs: 60_000, stallTimeoutMs: 30_000, connections: 16 } as const;
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

