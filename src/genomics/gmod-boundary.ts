// The boundary with @gmod/bam and @gmod/cram: what they read goes in through a generic-filehandle2
// filehandle over a RandomAccess (so their many small reads are served by the block cache like every
// other read of the original), and what they throw comes out as our typed errors.
import type { CramFile } from '@gmod/cram';
import { ProtocolError, ScorefsError } from '../errors.js';
import type { RandomAccess } from './random-access.js';

export type GmodFilehandle = NonNullable<ConstructorParameters<typeof CramFile>[0]['filehandle']>;

/** A copy that owns its ArrayBuffer: @gmod views `.buffer` from offset 0, and block-cache buffers are slices. */
const owned = (buf: Buffer): Uint8Array<ArrayBuffer> => new Uint8Array(buf);

export function gmodFilehandle(src: RandomAccess): GmodFilehandle {
  const handle = {
    // Short (empty past the end) at the end of the file, never an error: @gmod reads ahead blindly.
    read: async (length: number, position: number) =>
      owned(position >= src.size ? Buffer.alloc(0) : await src.read(position, Math.min(length, src.size - position))),
    readFile: async () => owned(await src.read(0, src.size)),
    stat: async () => ({ size: src.size }),
    close: async () => undefined,
  };
  return handle as GmodFilehandle;
}

/** Runs a @gmod call: our own errors (from the block cache) pass through, theirs mean a malformed file. */
export async function viaGmod<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof ScorefsError) throw err;
    throw new ProtocolError(`${what}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}
