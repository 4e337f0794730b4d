// Walking BAM records forward from a known record boundary across BGZF blocks, within a byte budget,
// to find where the records that overlap a region start and stop.
// Not @gmod/bam's record reader: its records carry no virtual offsets, and edge blocks are cut at record boundaries.
import { ProtocolError } from '../errors.js';
import { bgzfBlockSize, inflateBgzfBlock, readBgzfBlock, voffset, coffOf, uoffOf, type BgzfBlock } from './bgzf.js';
import { recordsIn } from './bam-records.js';
import type { RandomAccess } from './random-access.js';

/** Bytes read at once: edge walks go block after block, so whole blocks that follow come along. */
const READ_AHEAD = 128 * 1024;

/** The blocks one plan touches, each read once. */
export class BlockReader {
  private readonly blocks = new Map<number, Promise<BgzfBlock>>();

  constructor(private readonly src: RandomAccess) {}

  block(coff: number): Promise<BgzfBlock> {
    let b = this.blocks.get(coff);
    if (!b) {
      b = this.readFrom(coff);
      this.blocks.set(coff, b);
    }
    return b;
  }

  /** Reads the block at coff and keeps the complete blocks after it in the same read. */
  private async readFrom(coff: number): Promise<BgzfBlock> {
    const buf = await this.src.read(coff, READ_AHEAD);
    const size = bgzfBlockSize(buf, 0, coff);
    if (size === undefined || size > buf.length) return readBgzfBlock(this.src, coff); // a block longer than the read
    const first: BgzfBlock = { coff, size, data: await inflateBgzfBlock(buf, 0, size, coff) };
    for (let at = size; ; ) {
      const next = bgzfBlockSize(buf, at, coff + at);
      if (next === undefined || at + next > buf.length) break;
      if (!this.blocks.has(coff + at)) {
        const here = at;
        const block = inflateBgzfBlock(buf, here, next, coff + here).then((data) => ({ coff: coff + here, size: next, data }));
        block.catch(() => this.blocks.delete(coff + here)); // read again if asked
        this.blocks.set(coff + here, block);
      }
      at += next;
    }
    return first;
  }
}

export interface WalkedRecord {
  /** Virtual offsets of the record's first byte and of the byte after it. */
  beg: bigint;
  end: bigint;
  refId: number;
  pos: number;
  endPos: number;
}

/** Where a record or position is: the block and the offset in its data, normalized off block ends. */
interface Position {
  block: BgzfBlock;
  uoff: number;
}

/**
 * The records in [from, to) in file order (from is a record boundary). Stops early, returning
 * 'budget', once the blocks entered hold more than `budget` compressed bytes.
 */
export async function* walkRecords(
  blocks: BlockReader,
  from: bigint,
  to: bigint,
  budget: number,
): AsyncGenerator<WalkedRecord, 'end' | 'budget'> {
  let spent = 0;
  const enter = async (coff: number): Promise<BgzfBlock> => {
    const b = await blocks.block(coff);
    spent += b.size;
    return b;
  };
  let at: Position = { block: await enter(coffOf(from)), uoff: uoffOf(from) };
  // A position at a block's end is the next block's start (what htslib's bgzf_tell says there).
  const vo = (p: Position): bigint =>
    p.uoff >= p.block.data.length ? voffset(p.block.coff + p.block.size, 0) : voffset(p.block.coff, p.uoff);
  const normalize = async (p: Position): Promise<Position> => {
    while (p.uoff >= p.block.data.length && voffset(p.block.coff + p.block.size, 0) < to) {
      p = { block: await enter(p.block.coff + p.block.size), uoff: 0 };
    }
    return p;
  };
  for (;;) {
    at = await normalize(at);
    if (vo(at) >= to || at.uoff >= at.block.data.length) return 'end';
    if (spent > budget) return 'budget';
    const data = at.block.data;
    // The common case: the record lies in this block.
    const whole = recordsIn(data, at.uoff, data.length).next();
    if (!whole.done) {
      const r = whole.value;
      const end: Position = { block: at.block, uoff: r.end };
      yield { beg: vo(at), end: vo(end), refId: r.refId, pos: r.pos, endPos: r.endPos };
      at = end;
      continue;
    }
    // It continues in the next block(s): gather its bytes.
    const parts: Buffer[] = [data.subarray(at.uoff)];
    let have = parts[0]!.length;
    let last: Position = { block: at.block, uoff: data.length };
    let need = 4;
    for (;;) {
      if (have >= 4) need = 4 + Buffer.concat(parts).readInt32LE(0);
      if (have >= need) break;
      const next = voffset(last.block.coff + last.block.size, 0);
      if (next >= to) throw new ProtocolError(`BAM record at ${vo(at)} runs past its chunk`);
      const block = await enter(last.block.coff + last.block.size);
      parts.push(block.data);
      have += block.data.length;
      last = { block, uoff: block.data.length };
    }
    const bytes = Buffer.concat(parts);
    const r = recordsIn(bytes, 0, need).next();
    if (r.done) throw new ProtocolError(`malformed BAM record at ${vo(at)}`);
    // The record ends in the last block gathered, `have - need` bytes before that block's end.
    const end: Position = { block: last.block, uoff: last.block.data.length - (have - need) };
    yield { beg: vo(at), end: vo(end), refId: r.value.refId, pos: r.value.pos, endPos: r.value.endPos };
    at = end;
  }
}
