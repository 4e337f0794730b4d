// Child process of the crash test: opens the block cache over `scorefs serve` and reads random ranges
// for ever, checking each against the local file, until it is killed. Prints "ready", then "ok N".
// argv[2]: JSON { url, cache: BlockCacheOptions minus source, objects: [{ obj, path }] }; argv[3]: the seed of the ranges.
import { readFile } from 'node:fs/promises';
import { BlockCache, type BlockCacheOptions } from '../../src/cache/block-cache.js';
import type { ObjectIdentity, ReadStreamHandle } from '../../src/model.js';
import { ScoreClient } from '../../src/score/client.js';
import { CLIENT_DEFAULTS } from '../../src/score/config.js';
import { seededRandom } from './random.js';

interface ChildConfig {
  url: string;
  cache: Omit<BlockCacheOptions, 'source'>;
  objects: Array<{ obj: ObjectIdentity; path: string }>;
}

const config = JSON.parse(process.argv[2]!) as ChildConfig;
const client = new ScoreClient({ ...CLIENT_DEFAULTS, storageUrl: config.url, metadataUrl: config.url });
const cache = await BlockCache.open({ ...config.cache, source: client.source });
const files = await Promise.all(config.objects.map(async (o) => ({ obj: o.obj, bytes: await readFile(o.path) })));
process.stdout.write('ready\n');

const random = seededRandom(Number(process.argv[3]));
const rand = random.int;
let reads = 0;
const streams = new Map<number, ReadStreamHandle>();
for (;;) {
  const i = rand(files.length);
  const { obj, bytes } = files[i]!;
  let stream: ReadStreamHandle | undefined;
  let offset: number;
  let length: number;
  if (random.next() < 0.5) {
    // a sequential run through a stream (prefetch, coalesced GETs)
    stream = streams.get(i) ?? cache.openStream(obj);
    streams.set(i, stream);
    offset = rand(obj.size);
    length = 128 * 1024;
  } else {
    offset = rand(obj.size + 1000);
    length = rand(300_000);
  }
  const runs = stream ? 8 : 1;
  for (let r = 0; r < runs; r++, offset += length) {
    const got = await cache.read(obj, offset, length, stream ? { stream } : {});
    const want = bytes.subarray(Math.min(offset, bytes.length), Math.min(offset + length, bytes.length));
    if (!got.equals(want)) {
      process.stdout.write(`MISMATCH object ${obj.id} offset ${offset} length ${length} (seed ${random.seed})\n`);
      process.exit(3);
    }
    if (++reads % 20 === 0) process.stdout.write(`ok ${reads}\n`);
  }
}
