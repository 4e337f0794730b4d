// MD5 of Score parts side by side: the SIMD lanes of md5-lanes.node and the hasher that reads parts
// from block files into them, each judged against Node's own MD5 (OpenSSL) of the same bytes.
import test, { type ExecutionContext } from 'ava';
import { randomBytes } from 'node:crypto';
import { BlockFiles } from '../src/cache/block-files.js';
import { blockChecksum } from '../src/cache/checksum.js';
import { MAX_LANES, NodeMd5Lanes, md5Lanes, simdLanesAvailable, type Md5Lanes } from '../src/cache/md5-lanes.js';
import { HasherClosed, PartHasher, type HashBlock } from '../src/cache/part-hasher.js';
import { md5 } from './helpers/md5.js';
import { tempDir } from './helpers/tmp.js';

test('the build made the SIMD lanes (scripts/build-native.sh)', (t) => {
  t.true(simdLanesAvailable);
});

/** Streams of awkward lengths, fed in pieces of awkward sizes (some rounds leave a stream out). */
function checkLanes(t: ExecutionContext, make: (n: number) => Md5Lanes): void {
  for (const n of [1, 3, 4, 7, MAX_LANES]) {
    const lanes = make(n);
    const streams: Buffer[][] = Array.from({ length: n }, () => []);
    for (let round = 0; round < 6; round++) {
      const pieces = streams.map((s, l) => {
        if ((round + l) % 5 === 4) return null;
        const piece = randomBytes([0, 1, 55, 63, 64, 65, 1000, 70_001][(round * 7 + l * 3) % 8]!);
        s.push(piece);
        return piece;
      });
      lanes.update(pieces);
    }
    streams.forEach((s, l) => t.is(lanes.digest(l), md5(Buffer.concat(s)), `${n} lanes, lane ${l}`));
  }
}

test('lanes give each stream its own MD5, whatever the lengths and pieces', (t) => {
  checkLanes(t, md5Lanes);
});

test("Node's MD5 per stream (without the addon) gives the same digests", (t) => {
  checkLanes(t, (n) => new NodeMd5Lanes(n));
});

test('no more streams than lanes', (t) => {
  t.throws(() => md5Lanes(MAX_LANES + 1), { instanceOf: RangeError });
});

test('the hasher hashes ranges of block files side by side, and names a block that fails its check', async (t) => {
  // Blocks larger than a range's share of the hasher's scratch (4 MiB over 16 ranges): read in pieces.
  const blockSize = 600 * 1024 + 5;
  const files = new BlockFiles(await tempDir(t), blockSize, 2 * blockSize); // range r's two blocks: segment file r
  t.teardown(() => files.close());
  const okey = 'object';
  const expected: string[] = [];
  const ranges: HashBlock[][] = [];
  for (let r = 0; r < MAX_LANES; r++) {
    const blocks = [randomBytes(blockSize), randomBytes(blockSize - 1000 * r)];
    for (const [i, b] of blocks.entries()) await files.write(okey, 2 * r + i, b);
    const from = 17 * r; // ranges that start and end inside their blocks
    const to = blocks[1]!.length - 3 * r;
    expected.push(md5(Buffer.concat([blocks[0]!.subarray(from), blocks[1]!.subarray(0, to)])));
    ranges.push(blocks.map((b, i) => ({ n: 2 * r + i, size: b.length, crc: blockChecksum(b), from: i === 0 ? from : 0, to: i === 0 ? b.length : to })));
  }
  ranges[5]![1]!.crc ^= 1; // what the index holds no longer matches the block's bytes
  await files.removeFileOf(okey, 18); // range 9's file is gone
  let yields = 0;
  const hasher = new PartHasher(files, async () => void yields++);
  const outcomes = await hasher.hash(okey, ranges);
  outcomes.forEach((o, r) => {
    if (r === 5) t.deepEqual(o, { kind: 'corrupt', block: 11 });
    else if (r === 9) t.deepEqual(o, { kind: 'missing', block: 18 });
    else t.deepEqual(o, { kind: 'md5', md5: expected[r]! }, `range ${r}`);
  });
  t.true(yields >= 6, 'it yielded to reads between rounds (2 blocks of 3 pieces each)');
  hasher.close();
  await t.throwsAsync(hasher.hash(okey, ranges), { instanceOf: HasherClosed });
});
