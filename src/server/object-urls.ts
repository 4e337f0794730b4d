// The presigned URLs the server hands out: part URLs (signed Range), external URLs (unranged) and the
// ping sentinel, either on this server (/-/object/<id>) or on another origin (--object-base-url).
import type { DatasetFile } from './dataset.js';
import { partRangeHeader, type PartRange } from './parts.js';
import type { UrlSigner } from './url-signer.js';

/** Score's default sentinel object (object.sentinel). */
export const SENTINEL_ID = 'heliograph';
const SENTINEL_TTL_SECONDS = 300;
export const OBJECT_PATH_PREFIX = '/-/object/';

export class ObjectUrls {
  constructor(
    private readonly signer: UrlSigner,
    /** e.g. http://127.0.0.1:8080/data: serves DIR as static files; undefined = this server. */
    private readonly objectBaseUrl: string | undefined,
    private readonly ttlSeconds: () => number,
  ) {}

  partUrl(origin: string, file: DatasetFile, part: PartRange): string {
    return this.url(origin, file, partRangeHeader(part));
  }

  externalUrl(origin: string, file: DatasetFile): string {
    return this.url(origin, file, undefined);
  }

  /** GET /download/ping: a URL of the sentinel object, always on this server, valid for 5 minutes. */
  sentinelUrl(origin: string): string {
    const path = OBJECT_PATH_PREFIX + SENTINEL_ID;
    return `${origin}${path}?${this.signer.sign({ path, objectId: SENTINEL_ID, ttlSeconds: SENTINEL_TTL_SECONDS })}`;
  }

  private url(origin: string, file: DatasetFile, range: string | undefined): string {
    let base: string;
    let path: string;
    if (this.objectBaseUrl) {
      const u = new URL(this.objectBaseUrl);
      path = `${u.pathname.replace(/\/+$/, '')}/${[file.studyId, file.analysisId, file.fileName].map(encodeURIComponent).join('/')}`;
      base = u.origin;
    } else {
      path = OBJECT_PATH_PREFIX + file.objectId;
      base = origin;
    }
    return `${base}${path}?${this.signer.sign({ path, objectId: file.objectId, range, ttlSeconds: this.ttlSeconds() })}`;
  }
}
