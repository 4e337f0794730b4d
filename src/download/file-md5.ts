// Hex MD5 of a file, streamed (the event loop stays free between chunks).
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

export async function md5OfFile(path: string, signal?: AbortSignal): Promise<string> {
  const hash = createHash('md5');
  for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024, signal })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
