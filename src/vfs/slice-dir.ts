// `<fileName>.slices/` beside an indexed BAM or CRAM: lists one whole-contig slice (and its index) per
// @SQ, and resolves any samtools region name on lookup (rules in docs/semantics.md#slice-files).
import { NotFound } from '../errors.js';
import type { ByteReader, ObjectIdentity } from '../model.js';
import { parseRegionName, type ResolvedRegion } from '../genomics/region.js';
import { sharedPlans, sharedSlicers, type AsyncLru } from '../genomics/slice-cache.js';
import type { SliceIndexKind, SlicePlan } from '../genomics/slice-plan.js';
import { openSlicer, type Slicer } from '../genomics/slicer.js';
import type { DirNode, NodeStat, VfsNode } from './node.js';
import { admitWithIndex } from './object-file.js';
import { SliceFile, SliceIndexFile } from './slice-file.js';

export interface SliceDirCaches {
  slicers: AsyncLru<Slicer>;
  plans: AsyncLru<SlicePlan>;
}

export interface SliceDirOptions {
  caches?: SliceDirCaches;
  /** Called when a slice is looked up: the original is about to be read (a cohort of slices is one of originals). */
  onUse?: () => void;
}

export class SliceDir implements DirNode {
  readonly kind = 'dir';
  private readonly format: 'bam' | 'cram';
  /** Slices and their indexes share the newer of the two mtimes: htslib warns about an index older than its data. */
  private readonly mtimeMs: number;
  private readonly caches: SliceDirCaches;

  /**
   * @param data the BAM or CRAM object
   * @param index its index object, of kind `indexKind`
   * @param reader the block cache; every read of the original's bytes goes through it
   */
  constructor(
    private readonly data: ObjectIdentity,
    private readonly index: ObjectIdentity,
    private readonly indexKind: SliceIndexKind,
    private readonly reader: ByteReader,
    private readonly opts: SliceDirOptions = {},
  ) {
    this.format = indexKind === 'crai' ? 'cram' : 'bam';
    this.caches = opts.caches ?? { slicers: sharedSlicers, plans: sharedPlans };
    this.mtimeMs = Math.max(data.lastModified, index.lastModified);
  }

  async stat(): Promise<NodeStat> {
    return { kind: 'dir', size: 0, mtimeMs: this.mtimeMs };
  }

  async list(): Promise<string[]> {
    const slicer = await this.slicer();
    const names: string[] = [];
    for (const [tid, c] of slicer.contigs.entries()) {
      if (!c.name || c.name.includes('/') || c.name === '.' || c.name === '..') continue;
      // A name that would read as a region of another contig is quoted, as samtools allows.
      const region = wholeContig(slicer, c.name, tid) ? c.name : `{${c.name}}`;
      names.push(`${region}.${this.format}`, `${region}${this.indexSuffix()}`);
    }
    return names;
  }

  async lookup(name: string): Promise<VfsNode | undefined> {
    const parsed = parseRegionName(name);
    if (!parsed) return undefined;
    const isIndex = parsed.ext !== this.format;
    if (isIndex && !this.indexExts().includes(parsed.ext)) return undefined;
    this.opts.onUse?.();
    const slicer = await this.slicer();
    let region: ResolvedRegion;
    try {
      region = slicer.resolve(parsed.region);
    } catch (err) {
      if (err instanceof NotFound) return undefined;
      throw err;
    }
    const plan = (): Promise<SlicePlan> =>
      this.caches.plans.get(`${this.key()}|${region.tid}:${region.beg}-${region.end}`, async () =>
        (await this.slicer()).plan(region),
      );
    return isIndex ? new SliceIndexFile(plan, this.data, this.reader, this.mtimeMs) : new SliceFile(plan, this.data, this.reader, this.mtimeMs);
  }

  private async slicer(): Promise<Slicer> {
    // Both are admitted first: the MD5s Score gives then are in the key from the first lookup on, which
    // would otherwise change under the making of the first slicer and make a second.
    await admitWithIndex(this.reader, this.data, this.index);
    return this.caches.slicers.get(this.key(), () => {
      const access = (obj: ObjectIdentity) => ({
        size: obj.size,
        // The original's start is its header: a range of it, not block 0 whole. The index is read whole, as blocks.
        read: (offset: number, length: number) => this.reader.read(obj, offset, length, { header: obj === this.data && offset === 0 }),
      });
      return openSlicer(
        this.format === 'cram'
          ? { format: 'cram', cram: access(this.data), crai: access(this.index) }
          : { format: 'bam', bam: access(this.data), index: access(this.index), indexKind: this.indexKind as 'bai' | 'csi' },
      );
    });
  }

  /** The data file and index as they are now (a re-upload may keep the object id, not the content). */
  private key(): string {
    const version = (obj: ObjectIdentity): string => `${obj.id}:${obj.md5 ?? `${obj.size}@${obj.lastModified}`}`;
    return `${version(this.data)}|${version(this.index)}`;
  }

  /** The index is listed under the original's kind; `.bam.bai` also resolves for a CSI original (htslib reads either by its magic). */
  private indexSuffix(): string {
    return this.format === 'cram' ? '.cram.crai' : this.indexKind === 'csi' ? '.bam.csi' : '.bam.bai';
  }

  private indexExts(): string[] {
    return this.format === 'cram' ? ['crai'] : this.indexKind === 'csi' ? ['csi', 'bai'] : ['bai'];
  }
}

function wholeContig(slicer: Slicer, name: string, tid: number): boolean {
  try {
    const r = slicer.resolve(name);
    return r.tid === tid && r.beg === 0;
  } catch {
    return false;
  }
}
