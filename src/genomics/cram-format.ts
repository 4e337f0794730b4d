// The parts of CRAM a slice needs: the file definition, container headers (to know a container's
// length) and the SAM header in the first container. Containers are copied whole, never decoded.
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { ProtocolError } from '../errors.js';
import type { RandomAccess } from './random-access.js';
import { readExactly } from './random-access.js';

const gunzip = promisify(zlib.gunzip);

export const CRAM_FILE_DEFINITION_LENGTH = 26;

/** The end-of-file container each major version ends with. */
export const CRAM_EOF: Record<number, Buffer> = {
  2: Buffer.from('0b000000ffffffff0fe0454f460000000001000001000606010001000100', 'hex'),
  3: Buffer.from('0f000000ffffffff0fe0454f4600000000010005bdd94f0001000606010001000100ee63014b', 'hex'),
};

class Cursor {
  constructor(
    readonly buf: Buffer,
    public at: number,
  ) {}

  private byte(): number {
    if (this.at >= this.buf.length) throw new RangeError('past the end of the buffer');
    return this.buf[this.at++]!;
  }

  int32(): number {
    if (this.at + 4 > this.buf.length) throw new RangeError('past the end of the buffer');
    const v = this.buf.readInt32LE(this.at);
    this.at += 4;
    return v;
  }

  itf8(): number {
    const b0 = this.byte();
    if (!(b0 & 0x80)) return b0;
    if (!(b0 & 0x40)) return ((b0 & 0x7f) << 8) | this.byte();
    if (!(b0 & 0x20)) return ((b0 & 0x3f) << 16) | (this.byte() << 8) | this.byte();
    if (!(b0 & 0x10)) return ((b0 & 0x1f) << 24) | (this.byte() << 16) | (this.byte() << 8) | this.byte();
    return ((b0 & 0x0f) << 28) | (this.byte() << 20) | (this.byte() << 12) | (this.byte() << 4) | (this.byte() & 0x0f);
  }

  /** Skips an LTF8: as many bytes after the first as it has leading one bits (8 at most). */
  skipLtf8(): void {
    const b0 = this.byte();
    let extra = 0;
    while (extra < 8 && b0 & (0x80 >> extra)) extra++;
    this.at += extra;
  }
}

export interface ContainerHeader {
  /** Bytes of the container header itself. */
  headerLength: number;
  /** Bytes of the container's blocks, after the header. */
  length: number;
}

function parseContainerHeader(buf: Buffer, major: number): ContainerHeader {
  const c = new Cursor(buf, 0);
  const length = c.int32();
  c.itf8(); // reference id
  c.itf8(); // alignment start
  c.itf8(); // alignment span
  c.itf8(); // records
  c.skipLtf8(); // record counter
  c.skipLtf8(); // bases
  c.itf8(); // blocks
  const landmarks = c.itf8();
  for (let i = 0; i < landmarks; i++) c.itf8();
  if (major >= 3) c.at += 4; // CRC32
  if (c.at > buf.length) throw new RangeError('past the end of the buffer');
  return { headerLength: c.at, length };
}

/** The header of the container at `offset`; reads more if many landmarks make it long. */
export async function readContainerHeader(src: RandomAccess, offset: number, major: number): Promise<ContainerHeader> {
  for (let want = 1024; ; want *= 16) {
    const buf = await src.read(offset, want);
    try {
      return parseContainerHeader(buf, major);
    } catch (err) {
      if (!(err instanceof RangeError)) throw err;
      if (buf.length < want || want >= 1 << 20) throw new ProtocolError(`truncated CRAM container at offset ${offset}`);
    }
  }
}

export interface CramHeader {
  major: number;
  minor: number;
  /** Offset of the first data container: file definition plus the SAM header container. */
  end: number;
  text: string;
}

export async function readCramHeader(src: RandomAccess): Promise<CramHeader> {
  const def = await readExactly(src, 0, CRAM_FILE_DEFINITION_LENGTH);
  if (def.toString('latin1', 0, 4) !== 'CRAM') throw new ProtocolError('not a CRAM file');
  const major = def[4]!;
  const minor = def[5]!;
  if (!CRAM_EOF[major]) throw new ProtocolError(`unsupported CRAM version ${major}.${minor}`);
  const container = await readContainerHeader(src, CRAM_FILE_DEFINITION_LENGTH, major);
  const start = CRAM_FILE_DEFINITION_LENGTH + container.headerLength;
  const blocks = await readExactly(src, start, container.length);
  return { major, minor, end: start + container.length, text: await samHeaderText(blocks) };
}

/** The SAM text in the first block of the header container (raw or gzip, as htslib writes it). */
async function samHeaderText(blocks: Buffer): Promise<string> {
  try {
    const c = new Cursor(blocks, 0);
    const method = blocks[c.at++];
    c.at++; // content type
    c.itf8(); // content id
    const size = c.itf8();
    c.itf8(); // raw size
    let data = blocks.subarray(c.at, c.at + size);
    if (method === 1) data = await gunzip(data);
    else if (method !== 0) throw new ProtocolError(`CRAM header block compressed with unsupported method ${method}`);
    return data.toString('utf8', 4, 4 + data.readInt32LE(0));
  } catch (err) {
    if (err instanceof ProtocolError) throw err;
    throw new ProtocolError('malformed CRAM header container', { cause: err });
  }
}
