// The CRAM index: gzipped TSV, one line per slice: seqId, alignment start, span, container offset,
// slice offset (relative to the container's data), slice size.
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { ProtocolError } from '../errors.js';

const gunzip = promisify(zlib.gunzip);
const gzip = promisify(zlib.gzip);

export interface CraiEntry {
  seqId: number;
  /** 1-based. */
  start: number;
  span: number;
  containerStart: number;
  sliceStart: number;
  sliceSize: number;
}

export async function parseCrai(bytes: Buffer): Promise<CraiEntry[]> {
  const text = (bytes[0] === 0x1f && bytes[1] === 0x8b ? await gunzip(bytes) : bytes).toString('latin1');
  const entries: CraiEntry[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const f = line.split('\t').map(Number);
    if (f.length !== 6 || !f.every(Number.isSafeInteger)) throw new ProtocolError(`malformed .crai line: ${line.slice(0, 200)}`);
    const [seqId, start, span, containerStart, sliceStart, sliceSize] = f as [number, number, number, number, number, number];
    entries.push({ seqId, start, span, containerStart, sliceStart, sliceSize });
  }
  return entries;
}

export function serializeCrai(entries: readonly CraiEntry[]): Promise<Buffer> {
  const text = entries
    .map((e) => `${e.seqId}\t${e.start}\t${e.span}\t${e.containerStart}\t${e.sliceStart}\t${e.sliceSize}\n`)
    .join('');
  return gzip(Buffer.from(text, 'latin1'));
}
