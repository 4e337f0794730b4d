// The single byte range of a Range header (RFC 9110 §14), as an object store honours it.

export type RangeRequest =
  | { kind: 'whole' } // no Range, or one we ignore (multiple ranges, another unit, malformed)
  | { kind: 'range'; start: number; end: number } // inclusive, within the object
  | { kind: 'unsatisfiable' };

export function parseRange(header: string | undefined, size: number): RangeRequest {
  if (header === undefined) return { kind: 'whole' };
  const m = /^bytes=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return { kind: 'whole' };
  if (m[1] === '') {
    // suffix range: the last N bytes
    const n = Number(m[2]);
    if (!Number.isSafeInteger(n)) return { kind: 'whole' };
    if (n === 0 || size === 0) return { kind: 'unsatisfiable' };
    return { kind: 'range', start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(m[1]);
  const last = m[2] === '' ? Infinity : Number(m[2]);
  if (!Number.isSafeInteger(start) || (m[2] !== '' && !Number.isSafeInteger(last))) return { kind: 'whole' };
  if (last < start) return { kind: 'whole' }; // syntactically invalid: ignored
  if (start >= size) return { kind: 'unsatisfiable' };
  return { kind: 'range', start, end: Math.min(last, size - 1) };
}
