// Score's part layout (K/util/SimplePartCalculator): parts of max(partSize, length/10000+1) bytes.

const MAX_PARTS = 10_000;

export interface PartRange {
  partNumber: number; // 1-based
  partSize: number;
  offset: number; // absolute offset in the object
}

/** Divides [offset, offset+length) into parts, as SimplePartCalculator.divide(offset, length). */
export function divideParts(offset: number, length: number, minPartSize: number): PartRange[] {
  const defaultPartSize = Math.max(minPartSize, Math.floor(length / MAX_PARTS) + 1);
  const parts: PartRange[] = [];
  for (let done = 0, n = 1; done < length; n++) {
    const partSize = Math.min(defaultPartSize, length - done);
    parts.push({ partNumber: n, partSize, offset: offset + done });
    done += partSize;
  }
  return parts;
}

/** The HTTP Range value Score signs into a part URL (K/util/Parts.getHttpRangeValue). */
export function partRangeHeader(part: { offset: number; partSize: number }): string {
  return `bytes=${part.offset}-${part.offset + part.partSize - 1}`;
}
