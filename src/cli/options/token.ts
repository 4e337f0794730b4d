// The access token's rules: never from argv; a token file, or a config file holding the token, must be
// private; a token is one line of printable ASCII, checked at once, and never quoted in a message.
import { readFile, stat } from 'node:fs/promises';
import { InvalidInput } from '../../errors.js';

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

export async function assertPrivate(path: string, what: string): Promise<void> {
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
