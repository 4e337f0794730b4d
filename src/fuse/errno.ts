// The one place where scorefs errors become errno values (negative, as fuse-native wants them).
import { constants } from 'node:os';
import { AccessDenied, InvalidInput, NotFound, ReadOnly } from '../errors.js';

const E = constants.errno;

export const ENOENT = -E.ENOENT;
export const EACCES = -E.EACCES;
export const EIO = -E.EIO;
export const EROFS = -E.EROFS;
export const EBADF = -E.EBADF;

/**
 * @param op 'lookup' when resolving a name (a malformed name, e.g. a bad slice region, is then just
 * a name that does not exist), 'io' otherwise.
 */
export function errnoFor(err: unknown, op: 'lookup' | 'io'): number {
  if (err instanceof NotFound) return ENOENT;
  if (err instanceof AccessDenied) return EACCES;
  if (err instanceof ReadOnly) return EROFS;
  if (err instanceof InvalidInput && op === 'lookup') return ENOENT;
  return EIO; // Unavailable, BadRequest, ProtocolError, TransientError, and anything unexpected
}
