// The second oracle beside samtools: @gmod/bam and @gmod/cram (JBrowse's readers, independent of htslib)
// reading a BAM or CRAM with its index, for the records of a region as `name<TAB>1-based pos` lines.
import { BamFile } from '@gmod/bam';
import { CraiIndex, CramFile, IndexedCramFile } from '@gmod/cram';
import type { ResolvedRegion } from '../../src/genomics/region.js';

export interface IndexedFile {
  format: 'bam' | 'cram';
  data: string;
  index: string;
  indexKind: 'bai' | 'csi' | 'crai';
}

export async function gmodRegionRecords(file: IndexedFile, region: ResolvedRegion): Promise<string[]> {
  const { tid, contig, beg, end } = region;
  if (beg >= end) return [];
  if (file.format === 'cram') {
    const cram = new IndexedCramFile({
      cram: new CramFile({ path: file.data, checkSequenceMD5: false }),
      index: new CraiIndex({ path: file.index }),
    });
    // Its end is 1-based inclusive, its start 0-based for mapped reads ("> start") but 1-based for unmapped
    // ones placed at a position (">= start"), which samtools counts as covering that one base.
    // Names and positions decode without the reference.
    const records = await cram.getRecordsForRange(tid, beg, end);
    return records
      .filter((r) => r.lengthOnRef !== undefined || r.alignmentStart > beg)
      .map((r) => `${r.readName}\t${r.alignmentStart}`);
  }
  const bam = new BamFile(
    file.indexKind === 'csi' ? { bamPath: file.data, csiPath: file.index } : { bamPath: file.data, baiPath: file.index },
  );
  await bam.getHeader();
  // 0-based half-open, but it also returns records ending exactly at beg, which samtools does not; an
  // unmapped read placed at a position ends there (samtools: covers that one base).
  const records = await bam.getRecordsForRange(contig, beg, end);
  return records.filter((r) => Math.max(r.end, r.start + 1) > beg).map((r) => `${r.name}\t${r.start + 1}`);
}

/** samtools view lines as `name<TAB>pos`, for comparing with gmodRegionRecords. */
export const namesAndPositions = (samLines: string[]): string[] =>
  samLines.map((l) => {
    const f = l.split('\t');
    return `${f[0]}\t${f[3]}`;
  });
