// Writing a CRAM index (@gmod/cram only reads them): gzipped TSV, one line per slice: seqId, alignment
// start, span, container offset, slice offset (relative to the container's data), slice size.
import { promisify } from 'node:util';
import zlib from 'node:zlib';

const gzip = promisify(zlib.gzip);

export interface CraiEntry {
  seqId: number;
  /** 1-based. */
  start: number;
  span: number;
  containerStart: number;
  sliceStart: number;
  sliceBytes: number;
}

export function serializeCrai(entries: readonly CraiEntry[]): Promise<Buffer> {
  const text = entries
    .map((e) => `${e.seqId}\t${e.start}\t${e.span}\t${e.containerStart}\t${e.sliceStart}\t${e.sliceBytes}\n`)
    .join('');
  return gzip(Buffer.from(text, 'latin1'));
}
