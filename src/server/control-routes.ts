// The server's own endpoints: /-/metrics always, /-/faults with --enable-test-controls.
import type { IncomingMessage } from 'node:http';
import type { ServerContext } from './context.js';
import { sendJson, sendSpringError, sendBuffer, type Exchange } from './exchange.js';
import { FaultInputError } from './faults.js';

const MAX_BODY = 64 * 1024;
export const CONTROL_PATHS = new Set(['/-/metrics', '/-/faults']);

export async function handleControl(ctx: ServerContext, ex: Exchange): Promise<void> {
  const method = ex.req.method ?? 'GET';
  if (ex.path === '/-/metrics') {
    if (method !== 'GET' && method !== 'HEAD') return sendSpringError(ex, 405, `Request method '${method}' not supported`);
    return sendBuffer(ex, 200, ctx.metrics.contentType, Buffer.from(await ctx.metrics.render()));
  }
  if (!ctx.testControls) return sendSpringError(ex, 404, 'No message available');
  switch (method) {
    case 'GET':
      return sendJson(ex, 200, ctx.faults.get());
    case 'DELETE':
      ctx.faults.clear();
      return sendJson(ex, 200, ctx.faults.get());
    case 'POST': {
      let body: unknown;
      try {
        body = JSON.parse((await readBody(ex.req)).toString('utf8'));
      } catch (err) {
        return sendSpringError(ex, 400, `the body must be JSON: ${(err as Error).message}`);
      }
      try {
        return sendJson(ex, 200, ctx.faults.update(body));
      } catch (err) {
        if (err instanceof FaultInputError) return sendSpringError(ex, 400, err.message);
        throw err;
      }
    }
    default:
      return sendSpringError(ex, 405, `Request method '${method}' not supported`);
  }
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) throw new Error(`larger than ${MAX_BODY} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}
