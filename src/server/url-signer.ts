// Presigned-style object URLs with S3 SigV4-looking query parameters, so clients parse their expiry
// (X-Amz-Date + X-Amz-Expires) as they do for S3. The signature is an HMAC under a per-process secret.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export interface UrlGrant {
  /** The URL path the grant is for (percent-encoded, as sent on the wire). */
  path: string;
  /** Object id ('heliograph' for the ping sentinel). */
  objectId: string;
  /** The exact Range header a part URL is valid with; undefined for an unranged (external) URL. */
  range?: string;
  ttlSeconds: number;
}

export type Verdict =
  | { ok: true; range: string | undefined }
  | { ok: false; code: 'AccessDenied' | 'SignatureDoesNotMatch'; message: string };

const CREDENTIAL_PREFIX = 'scorefs-local';

export class UrlSigner {
  private readonly secret = randomBytes(32);

  constructor(private readonly now: () => number = Date.now) {}

  /** The query string (without '?') granting a GET of `grant.path`. */
  sign(grant: UrlGrant): string {
    const date = amzDate(new Date(this.now()));
    const expires = String(Math.max(1, Math.floor(grant.ttlSeconds)));
    const signedHeaders = grant.range === undefined ? 'host' : 'host;range';
    const q = new URLSearchParams({
      'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
      'X-Amz-Date': date,
      'X-Amz-SignedHeaders': signedHeaders,
      'X-Amz-Expires': expires,
      'X-Amz-Credential': `${CREDENTIAL_PREFIX}/${date.slice(0, 8)}/local/s3/aws4_request`,
    });
    q.set('X-Amz-Signature', this.signature(grant.path, grant.objectId, grant.range ?? '', date, expires));
    return q.toString();
  }

  /** Checks a request for `path` of `objectId` with its query and Range header against its signature and expiry. */
  verify(path: string, objectId: string, query: URLSearchParams, rangeHeader: string | undefined): Verdict {
    const date = query.get('X-Amz-Date');
    const expires = query.get('X-Amz-Expires');
    const signedHeaders = query.get('X-Amz-SignedHeaders');
    const signature = query.get('X-Amz-Signature');
    if (!date || !expires || !signedHeaders || !signature || !query.get('X-Amz-Algorithm') || !query.get('X-Amz-Credential')) {
      return {
        ok: false,
        code: 'AccessDenied',
        message:
          'Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.',
      };
    }
    const ranged = signedHeaders === 'host;range';
    if (!ranged && signedHeaders !== 'host') return mismatch();
    const signedRange = ranged ? (rangeHeader ?? '') : '';
    const expected = this.signature(path, objectId, signedRange, date, expires);
    const given = Buffer.from(signature, 'utf8');
    const want = Buffer.from(expected, 'utf8');
    if (given.length !== want.length || !timingSafeEqual(given, want)) return mismatch();
    const issued = parseAmzDate(date);
    const ttl = Number(expires);
    if (issued === undefined || !Number.isSafeInteger(ttl) || this.now() > issued + ttl * 1000) {
      return { ok: false, code: 'AccessDenied', message: 'Request has expired' };
    }
    return { ok: true, range: ranged ? signedRange : undefined };
  }

  private signature(path: string, objectId: string, range: string, date: string, expires: string): string {
    return createHmac('sha256', this.secret).update(['GET', path, objectId, range, date, expires].join('\n')).digest('hex');
  }
}

function mismatch(): Verdict {
  return {
    ok: false,
    code: 'SignatureDoesNotMatch',
    message: 'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
  };
}

/** ISO-8601 basic format as SigV4 uses it: 20240131T235959Z. */
export function amzDate(d: Date): string {
  return d.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

function parseAmzDate(text: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text);
  if (!m) return undefined;
  const ms = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!);
  return Number.isNaN(ms) ? undefined : ms;
}
