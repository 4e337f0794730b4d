// A Score object as a file: every read goes through the ByteReader (the block cache), one
// ReadStreamHandle per open so the cache can see sequential access and prefetch.
import type { AdmitOptions, ByteReader, CatalogFile, ObjectIdentity } from '../model.js';
import { logger } from '../util/log.js';
import type { CohortAhead, CohortMember } from './cohort-ahead.js';
import type { FileHandle, FileNode, NodeStat } from './node.js';

const log = logger('vfs');

/** BAM/CRAM headers sit at the start of the file; samtools reads them on every open, 4 KiB first. */
const HEADER_FIRST_READ = 4096;
/** htslib checks the end-of-file marker of a BAM (28 bytes) or CRAM (38) on every open. */
const EOF_MARKER_BYTES = 38;

export class ObjectFile implements FileNode, CohortMember {
  private fetchedAhead = false;

  /**
   * @param pairedIndex for an indexed BAM/CRAM: the index object, pinned when the file is first
   * opened, so region queries stay cheap under eviction. Its admission and bytes, the start of the
   * header and the EOF marker are asked for at once on that open, before the file's own admission is
   * answered: a region query then waits for their round trips side by side rather than one after
   * another as samtools reads them (the cache fetches the latter two as small ranges).
   * @param cohort the files of its kind, told of every open so the next ones of a cohort are described ahead.
   */
  constructor(
    readonly file: CatalogFile,
    private readonly reader: ByteReader,
    private readonly pairedIndex?: ObjectIdentity,
    private readonly cohort?: CohortAhead<ObjectFile>,
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
    this.fetchAheadInBackground();
    this.cohort?.opened(this);
    await reader.admit?.(obj);
    const stream = reader.openStream(obj);
    return {
      read: (offset, length) => reader.read(obj, offset, length, { stream }),
      readInto: (offset, target) => reader.readInto(obj, offset, target, { stream }),
      release: () => stream.close(),
    };
  }

  /** Score's word on the file and its paired index, and their URLs, as its open will want them; no bytes. */
  describeAhead(): Promise<void> {
    return admitWithIndex(this.reader, this.file, this.pairedIndex, { ahead: true });
  }

  /** Never blocks the open. Every read here goes through the reader's access gate, as the open's own do. */
  private fetchAheadInBackground(): void {
    if (!this.pairedIndex || this.fetchedAhead) return;
    this.fetchedAhead = true;
    const index = this.pairedIndex;
    const size = this.file.size;
    Promise.all([
      this.reader.pin(index, 0, index.size),
      this.reader.read(this.file, 0, HEADER_FIRST_READ),
      this.reader.read(this.file, Math.max(0, size - EOF_MARKER_BYTES), EOF_MARKER_BYTES),
    ]).catch((err: unknown) => {
      this.fetchedAhead = false; // try again on the next open
      log.debug({ object: this.file.id, err: String(err) }, 'fetching the index, header and EOF marker ahead failed');
    });
  }
}

/**
 * Admits an alignment file and its index (see ByteReader.admit): the index is read whole, so the answer
 * that gives its URL is all it needs of Score.
 */
export async function admitWithIndex(reader: ByteReader, data: ObjectIdentity, index: ObjectIdentity | undefined, opts: AdmitOptions = {}): Promise<void> {
  await Promise.all([reader.admit?.(data, opts), index && reader.admit?.(index, { ...opts, whole: true })]);
}
