// Just enough of a BAM record to decide whether it can overlap a region.

export interface RecordExtent {
  /** Byte offsets of the record in the buffer it was read from. */
  start: number;
  end: number;
  refId: number;
  /** 0-based leftmost position and exclusive end on the reference, as htslib's bam_endpos. */
  pos: number;
  endPos: number;
}

const FLAG_UNMAPPED = 4;
// CIGAR ops that consume the reference: M D N = X
const CONSUMES_REF = [true, false, true, true, false, false, false, true, true];

/**
 * The records that lie wholly inside buf[from, to), starting at a record boundary `from`. Stops at the
 * first record that runs past `to` (its start is the last result's end, or `from`).
 */
export function* recordsIn(buf: Buffer, from: number, to: number): Generator<RecordExtent> {
  for (let r = from; r + 4 <= to; ) {
    const end = r + 4 + buf.readInt32LE(r);
    if (end > to || end < r + 36) return;
    const lReadName = buf[r + 12]!;
    const nCigar = buf.readUInt16LE(r + 16);
    const flag = buf.readUInt16LE(r + 18);
    const pos = buf.readInt32LE(r + 8);
    let rlen = 0;
    if (!(flag & FLAG_UNMAPPED)) {
      // A record with more than 65535 ops stores them in a CG tag and a kSmN placeholder here whose N
      // is the same reference length.
      for (let c = r + 36 + lReadName, i = 0; i < nCigar && c + 4 <= end; i++, c += 4) {
        const op = buf.readUInt32LE(c);
        if (CONSUMES_REF[op & 0xf]) rlen += op >>> 4;
      }
    }
    yield { start: r, end, refId: buf.readInt32LE(r + 4), pos, endPos: pos + (rlen || 1) };
    r = end;
  }
}
