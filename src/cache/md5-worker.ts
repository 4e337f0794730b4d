// The MD5 worker: hashes ranges of block files off the main thread (MD5 runs at ~600 MB/s, which
// would otherwise take the event loop from FUSE reads). It checks each file against the size and
// CRC the index holds, and can carry a running hash of a whole object across consecutive ranges.
import { createHash, type Hash } from 'node:crypto';
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { parentPort } from 'node:worker_threads';
import { alignedBuffer } from './aligned-slabs.js';
import { readBlockFile } from './block-files.js';
import { blockIntact } from './checksum.js';
import type { HashJob, HashResult } from './md5-hasher.js';

const runs = new Map<string, Hash>();

// Checking is background work: give this thread the lowest CPU priority (Linux takes a thread id
// here), so reads and everything else on a small machine go first. Best effort.
try {
  const tid = Number(/task\/(\d+)$/.exec(readlinkSync('/proc/thread-self'))?.[1]);
  if (tid > 0) setPriority(tid, 19);
} catch {
  // not Linux, or not allowed: run at normal priority
}
let scratch: Buffer = Buffer.allocUnsafe(0);

/** A block file's bytes, in a buffer reused from one block to the next (aligned: read direct). */
function readBlock(path: string, at: number, size: number): Promise<Buffer | undefined> {
  if (scratch.length < size) scratch = alignedBuffer(size) ?? Buffer.allocUnsafe(size);
  return readBlockFile(path, at, size, scratch.subarray(0, size));
}

async function run(job: HashJob): Promise<HashResult> {
  // A job that feeds a running hash computes only that one: each byte is hashed once.
  const hash = job.run ? undefined : createHash('md5');
  let objectHash: Hash | undefined;
  if (job.run?.mode === 'start') runs.set(job.run.key, (objectHash = createHash('md5')));
  else if (job.run?.mode === 'continue') objectHash = runs.get(job.run.key);
  if (job.run && !objectHash) return { id: job.id, kind: 'run-lost' };
  for (const b of job.blocks) {
    const bytes = await readBlock(b.path, b.at, b.size);
    const kind = !bytes ? 'missing' : !blockIntact(bytes, b) ? 'corrupt' : undefined;
    if (kind || !bytes) {
      if (job.run) runs.delete(job.run.key);
      return { id: job.id, kind: kind ?? 'missing', block: b.n };
    }
    const piece = bytes.subarray(b.from, b.to);
    hash?.update(piece);
    objectHash?.update(piece);
  }
  let objectMd5: string | undefined;
  if (job.run?.finish && objectHash) {
    objectMd5 = objectHash.digest('hex');
    runs.delete(job.run.key);
  }
  return { id: job.id, kind: 'md5', ...(hash ? { md5: hash.digest('hex') } : {}), ...(objectMd5 ? { objectMd5 } : {}) };
}

// One job at a time: they share the scratch buffer and the running hashes.
let queue = Promise.resolve();
parentPort?.on('message', (msg: HashJob | { forget: string }) => {
  queue = queue.then(async () => {
    if ('forget' in msg) {
      runs.delete(msg.forget);
      return;
    }
    const result = await run(msg).catch(
      (err: unknown): HashResult => ({ id: msg.id, kind: 'error', message: err instanceof Error ? err.message : String(err) }),
    );
    parentPort!.postMessage(result);
  });
});
