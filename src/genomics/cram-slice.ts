// CRAM slices: the file definition and header container, the whole containers the .crai names for the
// region, the EOF container; and a .crai with the kept containers' offsets moved to the slice. Nothing
// is decoded, so no reference is needed (readers of the slice need one, as for the original).
// @gmod/cram reads the header, the index and container boundaries; writing the slice's .crai is ours.
import { CraiIndex, CramFile } from '@gmod/cram';
import { ProtocolError } from '../errors.js';
import { serializeCrai, type CraiEntry } from './crai.js';
import { CRAM_EOF } from './cram-eof.js';
import { gmodFilehandle, viaGmod } from './gmod-boundary.js';
import type { RandomAccess } from './random-access.js';
import { resolveRegion, type Contig, type ResolvedRegion } from './region.js';
import { SegmentList, type SlicePlan } from './slice-plan.js';

export interface CramSliceSource {
  cram: RandomAccess;
  crai: RandomAccess;
}

export class CramSlicer {
  readonly format = 'cram';

  private constructor(
    private readonly cram: CramFile,
    private readonly crai: CraiIndex,
    private readonly major: number,
    /** The first data container: the file definition and the SAM header container come before it. */
    private readonly headerEnd: number,
    readonly contigs: readonly Contig[],
    /** Every line of the .crai, in file order. */
    private readonly entries: CraiEntry[],
  ) {}

  static async open(src: CramSliceSource): Promise<CramSlicer> {
    const cram = new CramFile({ filehandle: gmodFilehandle(src.cram) });
    const crai = new CraiIndex({ filehandle: gmodFilehandle(src.crai) });
    return viaGmod('CRAM', async () => {
      const [definition, header, firstData, index] = await Promise.all([
        cram.getDefinition(),
        cram.getSamHeader(),
        // @gmod walks the header container's blocks: htslib's length for it can be wrong.
        cram.getContainerById(1),
        crai.getIndex(),
      ]);
      if (!firstData) throw new ProtocolError('CRAM: no container after the header');
      const entries = Object.entries(index)
        .flatMap(([seqId, slices]) => (slices ?? []).map((s) => ({ seqId: Number(seqId), ...s })))
        .sort((a, b) => a.containerStart - b.containerStart || a.sliceStart - b.sliceStart);
      return new CramSlicer(cram, crai, definition.majorVersion, firstData.filePosition, contigsOf(header), entries);
    });
  }

  get memoryBytes(): number {
    return this.contigs.reduce((n, c) => n + c.name.length + 64, 0) + this.entries.length * 100;
  }

  get indexKind(): 'crai' {
    return 'crai';
  }

  resolve(region: string): ResolvedRegion {
    return resolveRegion(region, this.contigs);
  }

  async plan(region: ResolvedRegion): Promise<SlicePlan> {
    const { tid, beg, end } = region;
    const starts = await viaGmod('CRAM', async () => {
      // @gmod/cram's coordinates are 1-based closed.
      const slices = await this.crai.getEntriesForRange(tid, beg + 1, end);
      const wanted = [...new Set(slices.map((s) => s.containerStart))].sort((a, b) => a - b);
      return Promise.all(
        wanted.map(async (start) => {
          const h = await this.cram.getContainerAtPosition(start).getHeader();
          return { start, length: h._size + h.length };
        }),
      );
    });

    const out = new SegmentList();
    out.range(0, this.headerEnd);
    const moved = new Map<number, number>();
    for (const c of starts) {
      moved.set(c.start, out.size);
      out.range(c.start, c.length);
    }
    out.bytes(CRAM_EOF[this.major]!); // @gmod/cram opens CRAM 2.x and 3.x only, the majors CRAM_EOF holds
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

/** The @SQ lines of a parsed SAM header, in order (their position is the tid). */
function contigsOf(header: Awaited<ReturnType<CramFile['getSamHeader']>>): Contig[] {
  return header
    .filter((line) => line.tag === 'SQ')
    .map((line) => {
      const field = (tag: string) => line.data.find((f) => f.tag === tag)?.value;
      const name = field('SN');
      const length = Number(field('LN'));
      if (!name || !Number.isSafeInteger(length)) throw new ProtocolError(`malformed @SQ line: SN:${name} LN:${field('LN')}`);
      return { name, length };
    });
}
