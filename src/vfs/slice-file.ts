// The files of a slice directory: a slice (bytes assembled from its plan, original ranges read through
// the block cache) and the slice's own index (held in the plan).
import type { ByteReader, ObjectIdentity } from '../model.js';
import { lastOriginalByte, readSlice, type SlicePlan } from '../genomics/slice-plan.js';
import type { FileHandle, FileNode, NodeStat } from './node.js';

export type PlanSource = () => Promise<SlicePlan>;

export class SliceFile implements FileNode {
  readonly kind = 'file';

  constructor(
    private readonly plan: PlanSource,
    private readonly data: ObjectIdentity,
    private readonly reader: ByteReader,
    private readonly mtimeMs: number,
  ) {}

  async stat(): Promise<NodeStat> {
    return { kind: 'file', size: (await this.plan()).size, mtimeMs: this.mtimeMs };
  }

  async open(): Promise<FileHandle> {
    const { data, reader } = this;
    await reader.admit?.(data);
    const plan = await this.plan();
    // One stream per open: the slice's original ranges come in file order, so the cache can prefetch,
    // but never past the last of them.
    const stream = reader.openStream(data, { end: lastOriginalByte(plan) });
    const src = { size: data.size, read: (offset: number, length: number) => reader.read(data, offset, length, { stream }) };
    return {
      read: (offset, length) => readSlice(plan, src, offset, length),
      release: () => stream.close(),
    };
  }
}

export class SliceIndexFile implements FileNode {
  readonly kind = 'file';

  /** @param data the original; the slice index is made of its bytes, so it is admitted as they are */
  constructor(
    private readonly plan: PlanSource,
    private readonly data: ObjectIdentity,
    private readonly reader: ByteReader,
    private readonly mtimeMs: number,
  ) {}

  async stat(): Promise<NodeStat> {
    return { kind: 'file', size: (await this.plan()).index.length, mtimeMs: this.mtimeMs };
  }

  async open(): Promise<FileHandle> {
    await this.reader.admit?.(this.data);
    const index = (await this.plan()).index;
    return {
      read: async (offset, length) => index.subarray(Math.min(offset, index.length), Math.min(offset + length, index.length)),
      release: () => undefined,
    };
  }
}
