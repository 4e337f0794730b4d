// CRAM slices: the file definition and header container, the whole containers the .crai names for the
// region, the EOF container; and a .crai with the kept containers' offsets moved to the slice. Nothing
// is decoded, so no reference is needed (readers of the slice need one, as for the original).
import { parseCrai, serializeCrai, type CraiEntry } from './crai.js';
import { CRAM_EOF, readContainerHeader, readCramHeader, type CramHeader } from './cram-format.js';
import { readAll, type RandomAccess } from './random-access.js';
import { resolveRegion, type Contig, type ResolvedRegion } from './region.js';
import { contigsFromSamText } from './sam-header.js';
import { SegmentList, type SlicePlan } from './slice-plan.js';

export interface CramSliceSource {
  cram: RandomAccess;
  crai: RandomAccess;
}

export class CramSlicer {
  readonly format = 'cram';

  private constructor(
    private readonly cram: RandomAccess,
    private readonly header: CramHeader,
    readonly contigs: readonly Contig[],
    private readonly entries: CraiEntry[],
  ) {
    // The first data container; the .crai knows it even if a writer got the header container's length wrong.
    this.headerEnd = entries.reduce((min, e) => Math.min(min, e.containerStart), header.end);
  }

  private readonly headerEnd: number;

  static async open(src: CramSliceSource): Promise<CramSlicer> {
    const [header, entries] = await Promise.all([readCramHeader(src.cram), readAll(src.crai).then(parseCrai)]);
    return new CramSlicer(src.cram, header, contigsFromSamText(header.text), entries);
  }

  get memoryBytes(): number {
    return this.header.text.length + this.entries.length * 100;
  }

  get indexKind(): 'crai' {
    return 'crai';
  }

  resolve(region: string): ResolvedRegion {
    return resolveRegion(region, this.contigs);
  }

  async plan(region: ResolvedRegion): Promise<SlicePlan> {
    const { tid, beg, end } = region;
    // .crai starts are 1-based; a slice covers [start-1, start-1+span) 0-based.
    const wanted = new Set(
      this.entries
        .filter((e) => e.seqId === tid && e.start - 1 < end && e.start - 1 + Math.max(e.span, 1) > beg)
        .map((e) => e.containerStart),
    );
    const starts = [...wanted].sort((a, b) => a - b);
    const headerEnd = this.headerEnd;
    const lengths = await Promise.all(
      starts.map(async (s) => {
        const h = await readContainerHeader(this.cram, s, this.header.major);
        return h.headerLength + h.length;
      }),
    );

    const out = new SegmentList();
    out.range(0, headerEnd);
    const moved = new Map<number, number>();
    starts.forEach((s, i) => {
      moved.set(s, out.size);
      out.range(s, lengths[i]!);
    });
    out.bytes(CRAM_EOF[this.header.major]!);
    const index = this.entries
      .filter((e) => moved.has(e.containerStart))
      .map((e) => ({ ...e, containerStart: moved.get(e.containerStart)! }));
    return {
      format: 'cram',
      region,
      size: out.size,
      segments: out.segments,
      index: await serializeCrai(index),
      indexKind: 'crai',
    };
  }
}

export async function planCramSlice(src: CramSliceSource, region: string): Promise<SlicePlan> {
  const slicer = await CramSlicer.open(src);
  return slicer.plan(slicer.resolve(region));
}
