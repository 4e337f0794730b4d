// MD5 hex digests: of bytes in this process, and of a file by `md5sum`, the independent tool that
// judges what scorefs serves against the source.
import { createHash } from 'node:crypto';
import { output } from './exec.js';

export function md5(bytes: Buffer): string {
  return createHash('md5').update(bytes).digest('hex');
}

/** `md5sum FILE` (throws when it fails). */
export async function md5sum(file: string): Promise<string> {
  return (await output('md5sum', [file])).split(' ')[0]!;
}
