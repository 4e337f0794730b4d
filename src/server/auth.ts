// Bearer tokens as Score's resource server sees them: --tokens FILE maps token → scopes.
import { readFile } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { InvalidInput } from '../errors.js';
import type { FileAccess } from '../score/types.js';

export type Caller =
  | { kind: 'anonymous' }
  | { kind: 'token'; scopes: ReadonlySet<string> }
  | { kind: 'invalid' }; // a bearer token that the server does not know → 401 on every route

export class TokenStore {
  private constructor(private readonly tokens: ReadonlyMap<string, ReadonlySet<string>> | undefined) {}

  /** No --tokens: everything is open and a token sent along is ignored. */
  static open(): TokenStore {
    return new TokenStore(undefined);
  }

  /** Reads a JSON object token → [scope, …]. Error messages never quote the file's text: it holds tokens. */
  static async fromFile(file: string): Promise<TokenStore> {
    const expected = `a JSON object of token → array of scopes, e.g. {"my-token": ["score.READ"]}`;
    const text = await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
      const why = err.code === 'ENOENT' ? 'does not exist' : `cannot be read (${err.code})`;
      throw new InvalidInput(`--tokens ${file} ${why}: pass a file holding ${expected}`);
    });
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      const at = /at position (\d+)/.exec((err as Error).message);
      const where = at ? ` (at line ${lineOf(text, Number(at[1]))})` : '';
      throw new InvalidInput(`--tokens ${file} is not valid JSON${where}: it must hold ${expected}`);
    }
    if (!json || typeof json !== 'object' || Array.isArray(json)) throw new InvalidInput(`--tokens ${file} must hold ${expected}`);
    const tokens = new Map<string, ReadonlySet<string>>();
    for (const [token, scopes] of Object.entries(json)) {
      if (!Array.isArray(scopes) || !scopes.every((s) => typeof s === 'string')) {
        throw new InvalidInput(`--tokens ${file}: the scopes of every token must be an array of strings; it must hold ${expected}`);
      }
      tokens.set(token, new Set(scopes as string[]));
    }
    return new TokenStore(tokens);
  }

  get enforced(): boolean {
    return this.tokens !== undefined;
  }

  identify(req: IncomingMessage): Caller {
    if (!this.tokens) return { kind: 'anonymous' };
    const header = req.headers.authorization;
    const m = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (!m) return { kind: 'anonymous' }; // Spring's bearer filter ignores other schemes
    const scopes = this.tokens.get(m[1]!);
    return scopes ? { kind: 'token', scopes } : { kind: 'invalid' };
  }
}

function lineOf(text: string, position: number): number {
  return text.slice(0, position).split('\n').length;
}

/** DownloadScopeAuthorizationStrategy: score.READ, an open file, or PROGRAMDATA-<study>.READ. */
export function mayDownload(caller: Caller, access: FileAccess, studyId: string): boolean {
  if (access === 'open') return true;
  if (caller.kind !== 'token') return false;
  return caller.scopes.has('score.READ') || caller.scopes.has(`PROGRAMDATA-${studyId}.READ`);
}

/** The WWW-Authenticate value Spring's BearerTokenAuthenticationEntryPoint sends for a rejected token. */
export const INVALID_TOKEN_CHALLENGE =
  'Bearer error="invalid_token", error_description="The access token is invalid or has expired", error_uri="https://tools.ietf.org/html/rfc6750#section-3.1"';
