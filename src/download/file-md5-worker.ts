// RunningFileMd5's worker: reads the part file from its start up to the end it is told (the bytes
// whose chunks are all written, mostly still in the page cache) and hashes them, on its own thread so
// that MD5 (~500 MB/s) does not take the event loop that receives the chunks.
import { createHash } from 'node:crypto';
import { readSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';

export interface Md5WorkerData {
  /** The part file, opened for reading by the main thread (which closes it: a worker may be terminated). */
  fd: number;
  length: number;
}

/** To the worker: hash up to `upTo` bytes from the file's start. */
export interface Md5WorkerRequest {
  upTo: number;
}

/** From the worker: the digest once `length` bytes are hashed, or why not. */
export type Md5WorkerReply = { digest: string } | { shortAt: number } | { error: string };

const READ_BYTES = 1024 * 1024;
const { fd, length } = workerData as Md5WorkerData;
const hash = createHash('md5');
const buffer = Buffer.allocUnsafe(READ_BYTES);
let hashed = 0;
let over = false;

function reply(r: Md5WorkerReply): void {
  over = true;
  parentPort!.postMessage(r);
  parentPort!.close(); // nothing more to do: the thread ends
}

parentPort!.on('message', ({ upTo }: Md5WorkerRequest) => {
  if (over) return;
  try {
    while (hashed < upTo) {
      const bytesRead = readSync(fd, buffer, 0, Math.min(READ_BYTES, upTo - hashed), hashed);
      if (bytesRead === 0) return reply({ shortAt: hashed });
      hash.update(buffer.subarray(0, bytesRead));
      hashed += bytesRead;
    }
    if (hashed >= length) reply({ digest: hash.digest('hex') });
  } catch (err) {
    reply({ error: err instanceof Error ? err.message : String(err) });
  }
});
