// Typed errors, raised where a failure arises and mapped to errno once, in src/fuse/.
// Messages are for humans and must never contain a token or a signed URL.

export abstract class ScorefsError extends Error {
  abstract readonly code: string;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The object, path or entity does not exist (authoritatively). → ENOENT */
export class NotFound extends ScorefsError {
  readonly code = 'NOT_FOUND';
}

/** The token was rejected (401) or lacks a scope (Score 403). → EACCES */
export class AccessDenied extends ScorefsError {
  readonly code = 'ACCESS_DENIED';
  constructor(message: string, readonly reason: 'token' | 'scope', options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The server cannot serve this now: network error, 5xx after retries, stall, read deadline. → EIO */
export class Unavailable extends ScorefsError {
  readonly code = 'UNAVAILABLE';
}

/** A retryable transport failure (reset, 5xx, 429, stall, short body); retried until the deadline. */
export class TransientError extends ScorefsError {
  readonly code = 'TRANSIENT';
  constructor(message: string, readonly status?: number, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The server answered something that cannot be right (bad Content-Range, wrong length, bad MD5). */
export class ProtocolError extends ScorefsError {
  readonly code = 'PROTOCOL';
}

/** A request the server refuses and that retrying cannot fix (400, unpublished analysis). → EIO */
export class BadRequest extends ScorefsError {
  readonly code = 'BAD_REQUEST';
}

/** A write-like operation on the read-only filesystem. → EROFS */
export class ReadOnly extends ScorefsError {
  readonly code = 'READ_ONLY';
}

/** Bad user input: options, config file, region names, manifests. */
export class InvalidInput extends ScorefsError {
  readonly code = 'INVALID_INPUT';
}
