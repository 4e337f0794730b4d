// BGZF, the blocked gzip of BAM and CSI: reading one block at a compressed offset, writing new blocks,
// and virtual offsets (compressed block offset << 16 | offset inside the uncompressed block).
// Ours, not @gmod's: slicing needs each block's offset and size (to copy whole ones), and @gmod writes nothing.
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { ProtocolError } from '../errors.js';
import type { RandomAccess } from './random-access.js';

const inflateRaw = promisify(zlib.inflateRaw);
const deflateRaw = promisify(zlib.deflateRaw);

/** The empty block every BGZF file ends with. */
export const BGZF_EOF = Buffer.from('1f8b08040000000000ff0600424302001b0003000000000000000000', 'hex');
/** A block never holds more than 64 KiB compressed or uncompressed. */
export const BGZF_MAX_BLOCK = 0x10000;
/** What htslib puts in one block: small enough that even incompressible data fits in 64 KiB. */
export const BGZF_MAX_PAYLOAD = 0xff00;

export interface BgzfBlock {
  /** Compressed offset of the block in its file. */
  coff: number;
  /** Compressed size, header and footer included. */
  size: number;
  data: Buffer;
}

/** Size of the block whose header starts at buf[at], or undefined if buf holds too little of it. */
export function bgzfBlockSize(buf: Buffer, at: number, where: number): number | undefined {
  if (buf.length - at < 18) return undefined;
  if (buf[at] !== 0x1f || buf[at + 1] !== 0x8b || buf[at + 2] !== 8 || !(buf[at + 3]! & 4)) {
    throw new ProtocolError(`no BGZF block at offset ${where}`);
  }
  const xlen = buf.readUInt16LE(at + 10);
  for (let p = at + 12; p + 4 <= at + 12 + xlen; ) {
    const slen = buf.readUInt16LE(p + 2);
    if (buf[p] === 66 && buf[p + 1] === 67 && slen === 2) {
      if (p + 6 > buf.length) return undefined;
      return buf.readUInt16LE(p + 4) + 1;
    }
    p += 4 + slen;
  }
  throw new ProtocolError(`BGZF block at offset ${where} has no BC field`);
}

/** Inflates the complete block at buf[at..at+size), checking its CRC32 and length. */
export async function inflateBgzfBlock(buf: Buffer, at: number, size: number, where: number): Promise<Buffer> {
  const xlen = buf.readUInt16LE(at + 10);
  const data = await inflateRaw(buf.subarray(at + 12 + xlen, at + size - 8));
  const crc = buf.readUInt32LE(at + size - 8);
  const isize = buf.readUInt32LE(at + size - 4);
  if (data.length !== isize || zlib.crc32(data) !== crc) {
    throw new ProtocolError(`BGZF block at offset ${where} fails its checksum`);
  }
  return data;
}

/** Reads and inflates the block at compressed offset `coff`. */
export async function readBgzfBlock(src: RandomAccess, coff: number): Promise<BgzfBlock> {
  const buf = await src.read(coff, BGZF_MAX_BLOCK);
  const size = bgzfBlockSize(buf, 0, coff);
  if (size === undefined || size > buf.length) throw new ProtocolError(`truncated BGZF block at offset ${coff}`);
  return { coff, size, data: await inflateBgzfBlock(buf, 0, size, coff) };
}

/** Compresses `data` into BGZF blocks of at most BGZF_MAX_PAYLOAD uncompressed bytes each. */
export async function encodeBgzf(data: Buffer): Promise<Buffer[]> {
  const blocks: Buffer[] = [];
  for (let at = 0; at < data.length; at += BGZF_MAX_PAYLOAD) {
    blocks.push(await encodeBgzfBlock(data.subarray(at, at + BGZF_MAX_PAYLOAD)));
  }
  return blocks;
}

async function encodeBgzfBlock(payload: Buffer): Promise<Buffer> {
  const deflated = await deflateRaw(payload);
  const block = Buffer.alloc(18 + deflated.length + 8);
  BGZF_EOF.copy(block, 0, 0, 16); // the standard header: gzip magic, FEXTRA, the BC subfield
  block.writeUInt16LE(block.length - 1, 16);
  deflated.copy(block, 18);
  block.writeUInt32LE(zlib.crc32(payload), block.length - 8);
  block.writeUInt32LE(payload.length, block.length - 4);
  return block;
}

/** Virtual offsets are bigint: compressed offsets of files over 128 GiB overflow a double's 53 bits. */
export const voffset = (coff: number, uoff: number): bigint => (BigInt(coff) << 16n) | BigInt(uoff);
export const coffOf = (v: bigint): number => Number(v >> 16n);
export const uoffOf = (v: bigint): number => Number(v & 0xffffn);
