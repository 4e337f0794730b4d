// Small ranges kept on disk live beside the blocks: the range that starts at object offset s is unit
// RANGE_UNIT_BASE + s of its object, in the same index (size, CRC, last use, LRU order, the size cap's
// totals) and the same directory (a file named by its number), so eviction, crash safety, the orphan
// sweep, `cache clear` and `cache verify` treat it as they treat a block. No block number comes near the
// base: a block is at least 4 KiB, so an object of a safe-integer size has fewer than 2.2e12 of them.
// What differs: a range is not on the block grid, so it never goes to the memory tier's blocks, counts
// for no object's completeness and takes part in no MD5 check (it holds no whole part); its bytes are
// CRC-checked like a block's.

export const RANGE_UNIT_BASE = 1e15;

/** The unit number of the range starting at `start`, or undefined past what the numbering holds. */
export function rangeUnit(start: number): number | undefined {
  return start >= 0 && start < Number.MAX_SAFE_INTEGER - RANGE_UNIT_BASE ? RANGE_UNIT_BASE + start : undefined;
}

export function isRangeUnit(n: number): boolean {
  return n >= RANGE_UNIT_BASE;
}

/** The object offset a range unit starts at. */
export function rangeStart(n: number): number {
  return n - RANGE_UNIT_BASE;
}
