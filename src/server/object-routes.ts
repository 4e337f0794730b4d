// The object store behind the presigned URLs: GET/HEAD /-/object/{id} with single-range support,
// authorized by the URL's signature alone. Bodies are streamed from disk.
import { open, type FileHandle } from 'node:fs/promises';
import type { Handler } from './context.js';
import { realInside } from './dataset.js';
import { sendBuffer, sendS3Error } from './exchange.js';
import { writeBody } from './body-writer.js';
import { OBJECT_PATH_PREFIX, SENTINEL_ID } from './object-urls.js';
import { parseRange } from './range.js';
import type { Router } from './router.js';

const SENTINEL_BODY = Buffer.from('scorefs sentinel object\n');
const READ_CHUNK = 1024 * 1024;

export function addObjectRoutes(router: Router<Handler>): void {
  router.add(OBJECT_PATH_PREFIX + ':objectId', objectGet);
}

const objectGet: Handler = async (ctx, ex, { objectId }) => {
  const id = objectId!;
  const rangeHeader = ex.req.headers.range;
  const verdict = ctx.signer.verify(OBJECT_PATH_PREFIX + encodeURIComponent(id), id, ex.query, rangeHeader);
  if (!verdict.ok) return sendS3Error(ex, 403, verdict.code, verdict.message);
  if (id === SENTINEL_ID) return sendBuffer(ex, 200, 'application/octet-stream', SENTINEL_BODY);

  const found = await ctx.dataset.find(id);
  // Re-check the real path now: a symlink may have been swapped since the scan.
  const real = found && (await realInside(ctx.dataset.root, found.file.path));
  let handle: FileHandle | undefined;
  try {
    handle = real ? await open(real, 'r') : undefined;
  } catch {
    handle = undefined;
  }
  if (!found || !handle) return sendS3Error(ex, 404, 'NoSuchKey', 'The specified key does not exist.', { Key: `data/${id}` });

  let streaming = false;
  try {
    const st = await handle.stat();
    const size = st.size;
    const md5 = ctx.checksums.peek({ path: found.file.path, dev: st.dev, ino: st.ino, size, mtimeMs: Math.floor(st.mtimeMs) })?.objectMd5;
    const headers: Record<string, string | number> = {
      'accept-ranges': 'bytes',
      'last-modified': st.mtime.toUTCString(),
      'content-type': 'application/octet-stream',
    };
    if (md5) headers.etag = `"${md5}"`;
    const range = parseRange(rangeHeader, size);
    if (range.kind === 'unsatisfiable') {
      return sendS3Error(ex, 416, 'InvalidRange', 'The requested range is not satisfiable', { RangeRequested: rangeHeader ?? '', ActualObjectSize: String(size) }, {
        'content-range': `bytes */${size}`,
      });
    }
    const [status, start, end] = range.kind === 'range' ? [206, range.start, range.end] : [200, 0, size - 1];
    const length = end - start + 1;
    if (range.kind === 'range') headers['content-range'] = `bytes ${start}-${end}/${size}`;
    ex.res.writeHead(status, { ...headers, 'content-length': length });
    if (ex.req.method === 'HEAD' || length === 0) {
      ex.res.end();
      return;
    }
    // Throttled bodies go out in small chunks so that the rate holds within a fraction of a second.
    const bps = ex.faults.bytesPerSecond;
    const chunk = bps ? Math.min(READ_CHUNK, Math.max(1024, Math.floor(bps / 20))) : READ_CHUNK;
    const source = handle.createReadStream({ start, end, highWaterMark: chunk, autoClose: true });
    streaming = true;
    writeBody({ res: ex.res, source, total: length, plan: ex.faults, onBytes: (n) => ctx.metrics.countBytes('object', n) });
  } finally {
    if (!streaming) await handle.close().catch(() => undefined);
  }
};
