// Region names as samtools reads them (htslib hts_parse_region / hts_parse_decimal), so a slice
// named `chr20:1,000,000-2,000,000.bam` means exactly what `samtools view x.bam chr20:1,000,000-2,000,000` means.
import { NotFound } from '../errors.js';

export type SliceExt = 'bam' | 'cram' | 'bai' | 'csi' | 'crai';

/** A reference sequence of the header, in header order (its position is the tid). */
export interface Contig {
  name: string;
  length: number;
}

/** A region resolved against a header: 0-based half-open, as htslib's iterator uses it. */
export interface ResolvedRegion {
  tid: number;
  contig: string;
  /** 0-based first position. */
  beg: number;
  /** 0-based exclusive end, clipped to the contig length (so beg >= end means an empty region). */
  end: number;
}

const EXTENSIONS: [suffix: string, ext: SliceExt][] = [
  ['.bam.bai', 'bai'],
  ['.bam.csi', 'csi'],
  ['.cram.crai', 'crai'],
  ['.bam', 'bam'],
  ['.cram', 'cram'],
];

/** Splits a slice file name into its region string and extension; undefined when it is neither. */
export function parseRegionName(name: string): { region: string; ext: SliceExt } | undefined {
  for (const [suffix, ext] of EXTENSIONS) {
    if (name.length > suffix.length && name.endsWith(suffix)) {
      return { region: name.slice(0, -suffix.length), ext };
    }
  }
  return undefined;
}

/** htslib's hts_parse_decimal: digits with thousands commas, a fraction, e/E exponent or k/M/G. */
function parseDecimal(s: string, at: number): { value: number; next: number } {
  let i = at;
  while (i < s.length && /\s/.test(s[i]!)) i++;
  let sign = 1;
  if (s[i] === '+' || s[i] === '-') sign = s[i++] === '-' ? -1 : 1;
  let n = 0;
  let digits = 0;
  let decimals = 0;
  for (; i < s.length; i++) {
    const c = s[i]!;
    if (c >= '0' && c <= '9') {
      n = n * 10 + (c.charCodeAt(0) - 48);
      digits++;
    } else if (c !== ',') break;
  }
  if (s[i] === '.') {
    for (i++; i < s.length && s[i]! >= '0' && s[i]! <= '9'; i++) {
      n = n * 10 + (s.charCodeAt(i) - 48);
      digits++;
      decimals++;
    }
  }
  let e = 0;
  const c = s[i];
  if (c === 'e' || c === 'E') {
    i++;
    let esign = 1;
    if (s[i] === '+' || s[i] === '-') esign = s[i++] === '-' ? -1 : 1;
    for (; i < s.length && s[i]! >= '0' && s[i]! <= '9'; i++) e = e * 10 + (s.charCodeAt(i) - 48);
    e *= esign;
  } else if (c === 'k' || c === 'K') (e = 3), i++;
  else if (c === 'm' || c === 'M') (e = 6), i++;
  else if (c === 'g' || c === 'G') (e = 9), i++;
  e -= decimals;
  for (; e > 0; e--) n *= 10;
  for (; e < 0; e++) n = Math.floor(n / 10);
  // Without digits htslib points the end back at the start of the input.
  return { value: sign * n, next: digits > 0 ? i : at };
}

function malformed(region: string, why: string): NotFound {
  return new NotFound(`region "${region}": ${why}`);
}

/**
 * Resolves a samtools region string against the header's contigs, as hts_parse_region does: a string
 * that is wholly a contig name is that contig (even with ':'), `{name}:beg-end` quotes a name, and
 * `name:`, `name:beg`, `name:beg-`, `name:-end` and `name:beg-end` are 1-based inclusive.
 * Throws NotFound for an unknown contig, a malformed range or an ambiguous name.
 */
export function resolveRegion(region: string, contigs: readonly Contig[]): ResolvedRegion {
  const tids = new Map(contigs.map((c, i) => [c.name, i]));
  const whole = (name: string): ResolvedRegion | undefined => {
    const tid = tids.get(name);
    return tid === undefined ? undefined : { tid, contig: name, beg: 0, end: contigs[tid]!.length };
  };
  let name: string;
  let colon: number; // index of the ':' before the coordinates, or -1
  if (region.startsWith('{')) {
    const close = region.indexOf('}');
    if (close < 0) throw malformed(region, 'mismatching braces');
    name = region.slice(1, close);
    if (close + 1 === region.length) colon = -1;
    else if (region[close + 1] === ':') colon = close + 1;
    else throw malformed(region, 'unexpected text after braces');
    if (colon < 0) {
      const r = whole(name);
      if (!r) throw new NotFound(`unknown contig "${name}"`);
      return r;
    }
  } else {
    colon = region.lastIndexOf(':');
    const r = whole(region);
    if (colon < 0) {
      if (!r) throw new NotFound(`unknown contig "${region}"`);
      return r;
    }
    name = region.slice(0, colon);
    if (r) {
      if (tids.has(name)) throw malformed(region, `ambiguous: use {${region}} or {${name}}${region.slice(colon)}`);
      return r;
    }
  }
  const tid = tids.get(name);
  if (tid === undefined) throw new NotFound(`unknown contig "${name}"`);
  const length = contigs[tid]!.length;
  const clip = (beg: number, end: number): ResolvedRegion => ({
    tid,
    contig: name,
    beg: Math.max(0, beg),
    end: Math.min(length, end),
  });

  const first = parseDecimal(region, colon + 1);
  let beg = first.value - 1;
  let at = first.next;
  if (beg < 0) {
    if (beg !== -1 && region[at] === '-' && colon + 1 < region.length) throw malformed(region, 'coordinates must be > 0');
    const c = region[at];
    if (c === undefined || c === ',' || (c >= '0' && c <= '9')) {
      // chr:-100 means chr:1-100
      return clip(0, beg === -1 ? Infinity : -(beg + 1));
    }
    if (beg < -1) throw malformed(region, `unexpected "${region.slice(at)}"`);
  }
  let end: number;
  if (at === region.length) end = Infinity;
  else if (region[at] === '-') {
    const second = parseDecimal(region, at + 1);
    end = second.value;
    at = second.next;
    if (at !== region.length) throw malformed(region, `unexpected "${region.slice(at)}"`);
  } else throw malformed(region, `unexpected "${region.slice(at)}"`);
  if (end === 0) end = Infinity; // chr:100- means to the end
  if (beg >= end) throw malformed(region, 'start after end');
  return clip(beg, end);
}
