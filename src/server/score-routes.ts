// Score's download API: /download/{id}, /download/ping, /listing, /profile, /actuator/health.
import type { ObjectInfo, ObjectSpecification, Part } from '../score/types.js';
import { INVALID_TOKEN_CHALLENGE, mayDownload } from './auth.js';
import { requestOrigin, type Handler } from './context.js';
import { sendJson, sendSpringError, sendText, type Exchange } from './exchange.js';
import { divideParts } from './parts.js';
import { optionalBoolean, ParamError, requiredLong } from './query-params.js';
import type { Router } from './router.js';

const FORBIDDEN_MESSAGE = 'Token missing required scope to download controlled-access file';

export function addScoreRoutes(router: Router<Handler>): void {
  router
    .add('/download/ping', downloadPing)
    .add('/download/:objectId', download)
    .add('/listing', listing)
    .add('/profile', profile)
    .add('/actuator/health', (_ctx, ex) => sendJson(ex, 200, { status: 'UP' }));
}

const download: Handler = async (ctx, ex, { objectId }) => {
  let offset: number, length: number, external: boolean, excludeUrls: boolean;
  try {
    offset = requiredLong(ex.query, 'offset');
    length = requiredLong(ex.query, 'length');
    external = optionalBoolean(ex.query, 'external', false);
    excludeUrls = optionalBoolean(ex.query, 'exclude-urls', false);
  } catch (err) {
    if (err instanceof ParamError) return sendSpringError(ex, 400, err.message);
    throw err;
  }
  const found = await ctx.dataset.find(objectId!);
  if (!found) return sendSpringError(ex, 404, `Entity ${objectId} is not registered on the server.`);
  const { file, snapshot } = found;
  if (ctx.tokens.enforced && !mayDownload(ex.caller, file.access, file.studyId)) return sendText(ex, 403, FORBIDDEN_MESSAGE);
  const state = snapshot.analysisOf(file).state;
  if (!excludeUrls && state !== 'PUBLISHED') {
    return sendSpringError(
      ex,
      400,
      `Critical Error: cannot complete download for objectId '${file.objectId}' with analysisState '${state}' and analysisId '${file.analysisId}'. ` +
        `Can only download objects that have the analysisState 'PUBLISHED' or when the 'exclude-urls=true' flag is set. Update the file metadata or url parameters and retry.`,
    );
  }
  if (offset < 0) return sendSpringError(ex, 400, `offset must not be negative (object id: ${file.objectId}, offset: ${offset})`);

  const sums = await ctx.checksums.get(file);
  const origin = requestOrigin(ctx, ex);
  const url = (make: () => string): string | null => (excludeUrls ? null : make());
  let parts: Part[];
  let objectSize: number;
  if (!external && offset === 0 && length < 0) {
    // The default request: the upload's own layout, with per-part MD5s recorded "at upload".
    parts = divideParts(0, file.size, ctx.partSize).map((p, i) => ({
      ...p,
      url: url(() => ctx.urls.partUrl(origin, file, p)),
      md5: null,
      sourceMd5: sums.partMd5s[i]!,
    }));
    objectSize = file.size;
  } else {
    if (!external && length < 0) length = file.size - offset;
    if (offset + length > file.size) {
      return sendSpringError(ex, 500, `Specified parameters exceed object size (object id: ${file.objectId}, offset: ${offset}, length: ${length})`);
    }
    parts = external
      ? [{ partNumber: 1, partSize: -1, offset: 0, url: url(() => ctx.urls.externalUrl(origin, file)), md5: null }]
      : divideParts(offset, length, ctx.partSize).map((p) => ({ ...p, url: url(() => ctx.urls.partUrl(origin, file, p)), md5: null }));
    objectSize = length;
  }
  const spec: ObjectSpecification = {
    objectKey: `data/${file.objectId}`,
    objectId: file.objectId,
    uploadId: file.objectId,
    parts,
    objectSize,
    objectMd5: sums.objectMd5,
  };
  sendJson(ex, 200, spec);
};

const downloadPing: Handler = (ctx, ex) => sendText(ex, 200, ctx.urls.sentinelUrl(requestOrigin(ctx, ex)));

const listing: Handler = async (ctx, ex) => {
  if (!requireAuthenticated(ctx.tokens.enforced, ex)) return;
  const snapshot = await ctx.dataset.current();
  const body: ObjectInfo[] = snapshot.files.map((f) => ({ id: f.objectId, lastModified: f.mtimeMs, size: f.size }));
  sendJson(ex, 200, body);
};

const profile: Handler = (ctx, ex) => {
  if (requireAuthenticated(ctx.tokens.enforced, ex)) sendText(ex, 200, 's3');
};

/** `authenticated()` routes: with --tokens, an anonymous caller gets Spring's bare 401 challenge. */
function requireAuthenticated(enforced: boolean, ex: Exchange): boolean {
  if (!enforced || ex.caller.kind === 'token') return true;
  const challenge = ex.caller.kind === 'invalid' ? INVALID_TOKEN_CHALLENGE : 'Bearer';
  ex.res.writeHead(401, { 'www-authenticate': challenge, 'content-length': 0 }).end();
  return false;
}
