// One interface over BAM and CRAM slicing: open a data file once (header + index), then plan any
// number of regions against it.
import { BamSlicer, type BamSliceSource } from './bam-slice.js';
import { CramSlicer, type CramSliceSource } from './cram-slice.js';
import type { Contig, ResolvedRegion } from './region.js';
import type { SliceIndexKind, SlicePlan } from './slice-plan.js';

export interface Slicer {
  readonly format: 'bam' | 'cram';
  /** The kind of index a slice gets: the original's (.bai, .csi or .crai). */
  readonly indexKind: SliceIndexKind;
  /** Roughly what the parsed header and index hold in memory. */
  readonly memoryBytes: number;
  /** The header's reference sequences (@SQ), in order. */
  readonly contigs: readonly Contig[];
  /** A samtools region string against this header; NotFound if unknown or malformed. */
  resolve(region: string): ResolvedRegion;
  plan(region: ResolvedRegion): Promise<SlicePlan>;
}

export type SliceSource = ({ format: 'bam' } & BamSliceSource) | ({ format: 'cram' } & CramSliceSource);

/** Reads the header and the index of a data file. */
export function openSlicer(src: SliceSource): Promise<Slicer> {
  return src.format === 'bam' ? BamSlicer.open(src) : CramSlicer.open(src);
}
