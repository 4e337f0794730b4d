// The BAM header: magic, SAM text and the binary reference list, read block by block from offset 0.
// Not @gmod/bam's getHeader: a slice needs the header's raw bytes and the virtual offset where it ends, which it hides.
import { ProtocolError } from '../errors.js';
import { bgzfBlockSize, inflateBgzfBlock, voffset } from './bgzf.js';
import type { RandomAccess } from './random-access.js';
import type { Contig } from './region.js';

export interface BamHeader {
  contigs: Contig[];
  /** The uncompressed header bytes (magic to the end of the reference list). */
  bytes: Buffer;
  /** Where the header ends in the file: the virtual offset of the first record. */
  end: bigint;
}

const READ_AHEAD = 256 * 1024;

/** Length of the header held in `data`, or undefined if more data is needed. */
function headerLength(data: Buffer): { length: number; contigs: Contig[] } | undefined {
  if (data.length < 12) return undefined;
  if (data.toString('latin1', 0, 4) !== 'BAM\x01') throw new ProtocolError('not a BAM file');
  let at = 8 + data.readInt32LE(4);
  if (data.length < at + 4) return undefined;
  const nRef = data.readInt32LE(at);
  at += 4;
  const contigs: Contig[] = [];
  for (let i = 0; i < nRef; i++) {
    if (data.length < at + 4) return undefined;
    const lName = data.readInt32LE(at);
    if (data.length < at + 8 + lName) return undefined;
    contigs.push({ name: data.toString('utf8', at + 4, at + 4 + lName - 1), length: data.readInt32LE(at + 4 + lName) });
    at += 8 + lName;
  }
  return { length: at, contigs };
}

export async function readBamHeader(src: RandomAccess): Promise<BamHeader> {
  const blocks: { coff: number; size: number; start: number; data: Buffer }[] = [];
  let decoded = Buffer.alloc(0);
  let coff = 0;
  for (;;) {
    const chunk = await src.read(coff, READ_AHEAD);
    const parts: Buffer[] = [decoded];
    let at = 0;
    let length = decoded.length;
    for (;;) {
      const size = bgzfBlockSize(chunk, at, coff + at);
      if (size === undefined || at + size > chunk.length) break;
      const data = await inflateBgzfBlock(chunk, at, size, coff + at);
      blocks.push({ coff: coff + at, size, start: length, data });
      parts.push(data);
      length += data.length;
      at += size;
    }
    decoded = Buffer.concat(parts);
    if (at === 0) throw new ProtocolError(`BAM header runs past the end of the file (offset ${coff})`);
    coff += at;
    const header = headerLength(decoded);
    if (!header) continue;
    // The first record starts at the header's end; at a block's end that is the next block's start.
    const block = blocks.find((b) => header.length < b.start + b.data.length) ?? blocks[blocks.length - 1]!;
    const end =
      header.length === block.start + block.data.length
        ? voffset(block.coff + block.size, 0)
        : voffset(block.coff, header.length - block.start);
    return { contigs: header.contigs, bytes: decoded.subarray(0, header.length), end };
  }
}
