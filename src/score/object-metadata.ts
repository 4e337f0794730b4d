// What Score says of one object when it is first opened: whether this token may read it (the answer to
// its metadata-only specification) and its object and part MD5s. One request, sent together with the
// request for the object's URL, so a first read waits one round trip for both rather than two in a row.
// An object that will be read whole needs no part MD5s: the URL's own specification (which Score
// authorizes the same way) gives its object MD5, and the metadata-only one is skipped.
import type { ObjectIdentity } from '../model.js';
import { logger } from '../util/log.js';
import type { ScoreApi } from './api.js';
import type { CallOptions } from './retry.js';
import type { UrlCache } from './url-cache.js';

const log = logger('score.object');

/** The verification data of an object, as Score describes it. */
export type ObjectChecksums = Pick<ObjectIdentity, 'md5' | 'parts'>;

/**
 * The object's MD5s from its metadata-only specification; throws AccessDenied when this token may not
 * read the object (Score checks the scope on every specification), NotFound, BadRequest or Unavailable.
 * With `urls`, the object's URL is fetched alongside, for the read that follows; with `whole` too (the
 * object is about to be read whole), that URL's specification alone answers when it carries the MD5.
 */
export async function describeObject(
  api: ScoreApi,
  urls: UrlCache | undefined,
  file: Pick<ObjectIdentity, 'id' | 'size' | 'studyId'>,
  opts: CallOptions & { whole?: boolean } = {},
): Promise<ObjectChecksums> {
  const subject = { id: file.id, studyId: file.studyId };
  if (opts.whole && urls) {
    const md5 = await urls.md5(subject, opts);
    if (md5) return { md5 };
  }
  // Not awaited: the read that needs the URL waits for the same (single-flight) fetch and reports its errors.
  urls?.get(subject, opts).catch((err: unknown) => log.debug({ object: file.id, err: err instanceof Error ? err.message : String(err) }, 'URL prefetch failed'));
  const spec = await api.spec(file.id, { excludeUrls: true }, { ...opts, studyId: file.studyId });
  if (spec.objectSize !== file.size) {
    log.warn({ object: file.id, listingSize: file.size, specSize: spec.objectSize }, 'Score specification and listing disagree on the size; checksums ignored');
    return { md5: null };
  }
  const parts: NonNullable<ObjectIdentity['parts']> = [];
  for (const p of spec.parts) {
    if (p.sourceMd5 && p.partSize > 0 && p.offset + p.partSize <= file.size) parts.push({ offset: p.offset, size: p.partSize, md5: p.sourceMd5 });
  }
  return { md5: spec.objectMd5, ...(parts.length ? { parts } : {}) };
}
