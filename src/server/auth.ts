// Bearer tokens as Score's resource server sees them: --tokens FILE maps token → scopes.
import { readFile } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
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

  /** Reads a JSON object token → [scope, …]. */
  static async fromFile(file: string): Promise<TokenStore> {
    const json = JSON.parse(await readFile(file, 'utf8')) as unknown;
    if (!json || typeof json !== 'object' || Array.isArray(json)) throw new Error(`${file}: expected a JSON object of token → [scopes]`);
    const tokens = new Map<string, ReadonlySet<string>>();
    for (const [token, scopes] of Object.entries(json)) {
      if (!Array.isArray(scopes) || !scopes.every((s) => typeof s === 'string')) {
        throw new Error(`${file}: the scopes of every token must be an array of strings`);
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

/** DownloadScopeAuthorizationStrategy: score.READ, an open file, or PROGRAMDATA-<study>.READ. */
export function mayDownload(caller: Caller, access: FileAccess, studyId: string): boolean {
  if (access === 'open') return true;
  if (caller.kind !== 'token') return false;
  return caller.scopes.has('score.READ') || caller.scopes.has(`PROGRAMDATA-${studyId}.READ`);
}

/** The WWW-Authenticate value Spring's BearerTokenAuthenticationEntryPoint sends for a rejected token. */
export const INVALID_TOKEN_CHALLENGE =
  'Bearer error="invalid_token", error_description="The access token is invalid or has expired", error_uri="https://tools.ietf.org/html/rfc6750#section-3.1"';
