// A Score object as a file: every read goes through the ByteReader (the block cache), one
// ReadStreamHandle per open so the cache can see sequential access and prefetch.
import type { ByteReader, CatalogFile, ObjectIdentity } from '../model.js';
import { logger } from '../util/log.js';
import type { FileHandle, FileNode, NodeStat } from './node.js';

const log = logger('vfs');

/** BAM/CRAM header blocks sit at the start of the file; samtools reads them on every open. */
export const HEADER_PIN_BYTES = 1024 * 1024;

export class ObjectFile implements FileNode {
  private pinned = false;

  /**
   * @param pairedIndex for an indexed BAM/CRAM: the index object, pinned (with the data file's
   * header blocks) when the file is first opened, so region queries stay cheap under eviction.
   */
  constructor(
    readonly file: CatalogFile,
    private readonly reader: ByteReader,
    private readonly pairedIndex?: ObjectIdentity,
  ) {}

  get kind(): 'file' {
    return 'file';
  }

  async stat(): Promise<NodeStat> {
    return { kind: 'file', size: this.file.size, mtimeMs: this.file.lastModified };
  }

  async open(): Promise<FileHandle> {
    const obj = this.file;
    const reader = this.reader;
    await reader.admit?.(obj);
    this.pinInBackground();
    const stream = reader.openStream(obj);
    return {
      read: (offset, length) => reader.read(obj, offset, length, { stream }),
      readInto: (offset, target) => reader.readInto(obj, offset, target, { stream }),
      release: () => stream.close(),
    };
  }

  /** Never blocks the open: the pins fetch over the network when nothing is cached. */
  private pinInBackground(): void {
    if (!this.pairedIndex || this.pinned) return;
    this.pinned = true;
    const index = this.pairedIndex;
    Promise.all([
      this.reader.pin(index, 0, index.size),
      this.reader.pin(this.file, 0, Math.min(HEADER_PIN_BYTES, this.file.size)),
    ]).catch((err: unknown) => {
      this.pinned = false; // try again on the next open
      log.debug({ object: this.file.id, err: String(err) }, 'pinning index and header failed');
    });
  }
}
