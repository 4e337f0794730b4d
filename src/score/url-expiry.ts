// When a presigned URL stops working, read from its query string as score-client's
// *PresignedUrlValidator do: S3 SigV4, S3 SigV2, Azure SAS. Unknown forms are assumed short-lived.

/** Assumed lifetime of a URL whose expiry cannot be read: short, so it is refreshed early. */
export const UNKNOWN_URL_LIFETIME_MS = 60 * 60 * 1000;

/** Epoch millis at which `url` expires; `now` + 1 h when the URL does not say. */
export function urlExpiresAt(url: string, now = Date.now()): number {
  let query: URLSearchParams;
  try {
    query = new URL(url).searchParams;
  } catch {
    return now + UNKNOWN_URL_LIFETIME_MS;
  }
  const get = (name: string): string | undefined => {
    for (const [k, v] of query) if (k.toLowerCase() === name.toLowerCase()) return v;
    return undefined;
  };
  return sigV4(get('X-Amz-Date'), get('X-Amz-Expires')) ?? sigV2(get('Expires')) ?? azureSas(get('se')) ?? now + UNKNOWN_URL_LIFETIME_MS;
}

/** X-Amz-Date = YYYYMMDDTHHMMSSZ, X-Amz-Expires = seconds. */
function sigV4(date: string | undefined, expires: string | undefined): number | undefined {
  const m = date ? /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(date) : null;
  if (!m || !expires || !/^\d+$/.test(expires)) return undefined;
  const [, y, mo, d, h, mi, s] = m.map(Number) as [number, number, number, number, number, number, number];
  const signedAt = Date.UTC(y, mo - 1, d, h, mi, s);
  return Number.isNaN(signedAt) ? undefined : signedAt + Number(expires) * 1000;
}

/** Expires = epoch seconds. */
function sigV2(expires: string | undefined): number | undefined {
  return expires && /^\d+$/.test(expires) ? Number(expires) * 1000 : undefined;
}

/** se = ISO 8601 time (e.g. 2024-10-09T12:00:00Z). */
function azureSas(se: string | undefined): number | undefined {
  if (!se || !/^\d{4}-\d{2}-\d{2}/.test(se)) return undefined;
  const t = Date.parse(se);
  return Number.isNaN(t) ? undefined : t;
}
