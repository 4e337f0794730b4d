// Which cache blocks and Score parts a byte range touches, and the key an object's blocks live under:
// the arithmetic behind "every byte served is the object's", judged against a byte-by-byte count
// (fast-check, seeded) and, for keys, by what must and must not change them.
import test from 'ava';
import fc from 'fast-check';
import assert from 'node:assert/strict';
import { blockCount, blockLength, objectKey } from '../src/cache/object-key.js';
import { blockSpan, partsOverlapping } from '../src/cache/parts.js';
import type { ObjectIdentity } from '../src/model.js';

const SEED = 20261206;

test('blockSpan names exactly the blocks holding the bytes of a range', (t) => {
  t.notThrows(() =>
    fc.assert(
      fc.property(fc.nat({ max: 5000 }), fc.integer({ min: 1, max: 3000 }), fc.integer({ min: 1, max: 700 }), (offset, length, blockSize) => {
        const blocks = new Set<number>();
        for (let b = offset; b < offset + length; b++) blocks.add(Math.floor(b / blockSize));
        const [first, last] = blockSpan(offset, length, blockSize);
        assert.deepEqual([first, last], [Math.min(...blocks), Math.max(...blocks)]);
        assert.equal(last - first + 1, blocks.size, 'no block between them is left out');
      }),
      { seed: SEED, numRuns: 300 },
    ),
  );
});

test('an object is cut into blockCount blocks of blockLength bytes: full ones, then one short one at most', (t) => {
  t.notThrows(() =>
    fc.assert(
      fc.property(fc.nat({ max: 100_000 }), fc.integer({ min: 1, max: 5000 }), (size, blockSize) => {
        const count = blockCount(size, blockSize);
        const lengths = Array.from({ length: count }, (_, n) => blockLength(size, blockSize, n));
        assert.equal(lengths.reduce((a, b) => a + b, 0), size, 'the blocks hold every byte once');
        assert.ok(lengths.every((l, n) => (n < count - 1 ? l === blockSize : l > 0 && l <= blockSize)), `block lengths ${lengths}`);
        assert.equal(blockLength(size, blockSize, count), 0, 'there is nothing past the last block');
      }),
      { seed: SEED, numRuns: 300 },
    ),
  );
  t.is(blockCount(0, 4096), 0, 'an empty object has no blocks');
});

test('partsOverlapping names exactly the parts sharing a byte with the range', (t) => {
  const parts = (sizes: number[]): NonNullable<ObjectIdentity['parts']> => {
    let offset = 0;
    return sizes.map((size) => ({ offset: (offset += size) - size, size, md5: '0'.repeat(32) }));
  };
  t.notThrows(() =>
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 400 }), { minLength: 1, maxLength: 8 }), fc.nat({ max: 3500 }), fc.integer({ min: 1, max: 1500 }), (sizes, offset, length) => {
        const obj: ObjectIdentity = { id: 'o', size: sizes.reduce((a, b) => a + b, 0), md5: null, lastModified: 0, parts: parts(sizes) };
        const want = obj.parts!.flatMap((p, i) => {
          for (let b = offset; b < offset + length; b++) if (b >= p.offset && b < p.offset + p.size) return [i];
          return [];
        });
        assert.deepEqual(partsOverlapping(obj, offset, length), want);
      }),
      { seed: SEED, numRuns: 300 },
    ),
  );
  t.deepEqual(partsOverlapping({ id: 'o', size: 10, md5: null, lastModified: 0 }, 0, 10), [], 'an object without parts has none to check');
});

const OBJ: ObjectIdentity = { id: '5b3c9a2e-0000-4000-8000-000000000001', size: 1_000_000, md5: '9e107d9d372bb6826bd81d3542a419d6', lastModified: 1_700_000_000_000 };

test('the key of an object is a 32-hex directory name, the same for the same object (a restart finds its blocks)', (t) => {
  const key = objectKey(OBJ, 65536);
  t.regex(key, /^[0-9a-f]{32}$/);
  t.is(objectKey({ ...OBJ }, 65536), key);
  t.is(objectKey({ ...OBJ, md5: OBJ.md5!.toUpperCase() }, 65536), key, 'an MD5 in capitals is the same MD5');
  t.is(objectKey({ ...OBJ, lastModified: OBJ.lastModified + 1 }, 65536), key, 'with an MD5, a new mtime alone keeps the cached blocks');
  t.is(objectKey({ ...OBJ, parts: [{ offset: 0, size: OBJ.size, md5: OBJ.md5! }] }, 65536), key, 'learning the parts keeps the blocks');
});

test('a changed object, or another block size, gets another key, so old blocks are never served for it', (t) => {
  const key = objectKey(OBJ, 65536);
  const noMd5 = { ...OBJ, md5: null };
  const others: [string, string][] = [
    ['another id', objectKey({ ...OBJ, id: OBJ.id.replace(/1$/, '2') }, 65536)],
    ['another size', objectKey({ ...OBJ, size: OBJ.size + 1 }, 65536)],
    ['another MD5', objectKey({ ...OBJ, md5: 'e4d909c290d0fb1ca068ffaddf22cbd0' }, 65536)],
    ['no MD5 any more', objectKey(noMd5, 65536)],
    ['another block size', objectKey(OBJ, 131072)],
    ['without an MD5, another mtime', objectKey({ ...noMd5, lastModified: OBJ.lastModified + 1 }, 65536)],
  ];
  for (const [what, other] of others) t.not(other, key, what);
  t.is(new Set(others.map(([, k]) => k)).size, others.length, 'they differ from each other too (without an MD5, the mtime decides)');
  // The fields cannot run into each other: id "a" of size 12 is not id "a1" of size 2.
  t.not(objectKey({ ...OBJ, id: 'a', size: 12 }, 65536), objectKey({ ...OBJ, id: 'a1', size: 2 }, 65536));
});
