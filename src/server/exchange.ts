// One request/response pair with its route class and fault plan, plus the reply shapes Score, SONG and
// S3 use (Spring Boot error JSON, SongError JSON, S3 XML errors).
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { writeBody } from './body-writer.js';
import type { FaultPlan } from './faults.js';
import type { Caller } from './auth.js';
import type { MetricRoute, RequestMetrics } from './metrics.js';

export interface Exchange {
  req: IncomingMessage;
  res: ServerResponse;
  /** The request path as sent (percent-encoded), without a trailing slash. */
  path: string;
  query: URLSearchParams;
  route: MetricRoute;
  faults: FaultPlan;
  caller: Caller;
  metrics: RequestMetrics;
}

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  416: 'Requested Range Not Satisfiable',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export function reasonOf(status: number): string {
  return REASONS[status] ?? 'Error';
}

/** Sends a complete body (a HEAD request gets the headers only), subject to the exchange's faults. */
export function sendBuffer(ex: Exchange, status: number, contentType: string, body: Buffer, extra: OutgoingHttpHeaders = {}): void {
  const { res } = ex;
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, { 'content-type': contentType, 'content-length': body.length, ...extra });
  if (ex.req.method === 'HEAD' || body.length === 0) {
    res.end();
    return;
  }
  // Only object data counts as route "object"; error and JSON bodies are "api" bytes. Throttling is for object bodies.
  const plan = { ...ex.faults, bytesPerSecond: null };
  writeBody({ res, source: Readable.from([body]), total: body.length, plan, onBytes: (n) => ex.metrics.countBytes('api', n) });
}

export function sendJson(ex: Exchange, status: number, value: unknown, extra?: OutgoingHttpHeaders): void {
  sendBuffer(ex, status, 'application/json', Buffer.from(JSON.stringify(value)), extra);
}

export function sendText(ex: Exchange, status: number, text: string, extra?: OutgoingHttpHeaders): void {
  sendBuffer(ex, status, 'text/plain;charset=UTF-8', Buffer.from(text), extra);
}

/** Spring Boot's default error body (with server.error.include-message, as ICGC's Score runs). */
export function sendSpringError(ex: Exchange, status: number, message: string): void {
  sendJson(ex, status, {
    timestamp: springTimestamp(new Date()),
    status,
    error: reasonOf(status),
    message,
    path: ex.path || '/',
  });
}

/** SONG's SongError body. */
export function sendSongError(ex: Exchange, status: number, errorId: string, message: string): void {
  const now = new Date();
  sendJson(ex, status, {
    errorId,
    httpStatusCode: status,
    httpStatusName: reasonOf(status).toUpperCase().replace(/ /g, '_'),
    requestUrl: ex.req.url ?? ex.path,
    datetime: now.toISOString(),
    timestamp: now.getTime(),
    message,
    debugMessage: '',
    stackTrace: [],
  });
}

/** An S3-style XML error, as an object store answers a presigned URL. */
export function sendS3Error(
  ex: Exchange,
  status: number,
  code: string,
  message: string,
  extra: Record<string, string> = {},
  headers: OutgoingHttpHeaders = {},
): void {
  const fields = Object.entries({ Code: code, Message: message, ...extra, RequestId: randomBytes(8).toString('hex').toUpperCase() })
    .map(([k, v]) => `<${k}>${xmlEscape(v)}</${k}>`)
    .join('');
  sendBuffer(ex, status, 'application/xml', Buffer.from(`<?xml version="1.0" encoding="UTF-8"?>\n<Error>${fields}</Error>`), headers);
}

/** Spring Boot 2.6's error timestamp: 2024-01-31T23:59:59.123+00:00. */
function springTimestamp(d: Date): string {
  return d.toISOString().replace('Z', '+00:00');
}

function xmlEscape(s: string): string {
  return s.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]!);
}
