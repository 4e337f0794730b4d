// Object ids as SONG makes them (LocalIdService + IdConfig): RFC 4122 version-5 (SHA-1) name-based UUIDs.
import { createHash } from 'node:crypto';
import { SONG_OBJECT_ID_NAMESPACE } from '../score/types.js';

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** True for a lower-case, hyphenated UUID (the only form Score and SONG hand out). */
export function isUuid(text: string): boolean {
  return UUID_PATTERN.test(text);
}

/** RFC 4122 §4.3: SHA-1 of namespace bytes + UTF-8 name, with version 5 and the RFC variant set. */
export function uuidV5(namespace: string, name: string): string {
  if (!isUuid(namespace.toLowerCase())) throw new Error(`not a UUID: ${namespace}`);
  const hash = createHash('sha1')
    .update(Buffer.from(namespace.replace(/-/g, ''), 'hex'))
    .update(name, 'utf8')
    .digest();
  const bytes = hash.subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x50;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The SONG object id of `fileName` in analysis `analysisId`. */
export function objectIdFor(analysisId: string, fileName: string): string {
  return uuidV5(SONG_OBJECT_ID_NAMESPACE, `${analysisId}:${fileName}`);
}
