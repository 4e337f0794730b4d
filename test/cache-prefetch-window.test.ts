// The read-ahead decision of one open file, as a region query and a sequential reader meet it: nothing
// is prefetched before SEQUENTIAL_EVIDENCE bytes of one run, a seek ends the run, reads the kernel
// delivers out of order still count as sequential, the window grows to its maximum and never passes the
// end of the object, and nothing is asked for twice.
import test from 'ava';
import fc from 'fast-check';
import { PrefetchWindow, SEQUENTIAL_EVIDENCE, type ByteRange } from '../src/cache/prefetch-window.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const READ = 128 * KiB; // what FUSE hands over at most per read

/** Reads [from, to) in READ-sized pieces in order; every range prefetch asked for. */
function readSequentially(w: PrefetchWindow, from: number, to: number): ByteRange[] {
  const asked: ByteRange[] = [];
  for (let at = from; at < to; at += READ) {
    const r = w.onRead(at, Math.min(to, at + READ));
    if (r) asked.push(r);
  }
  return asked;
}

test('a region query (a few small reads, then a seek) prefetches nothing', (t) => {
  const w = new PrefetchWindow(100 * MiB, 4 * MiB, 64 * MiB);
  t.deepEqual(readSequentially(w, 10 * MiB, 10 * MiB + 3 * READ), []);
  t.deepEqual(readSequentially(w, 70 * MiB, 70 * MiB + 3 * READ), []);
  t.false(w.enabled);
});

test('prefetch starts once a run has read SEQUENTIAL_EVIDENCE bytes, not before', (t) => {
  const w = new PrefetchWindow(100 * MiB, 4 * MiB, 64 * MiB);
  t.deepEqual(readSequentially(w, 0, SEQUENTIAL_EVIDENCE - READ), []);
  const first = w.onRead(SEQUENTIAL_EVIDENCE - READ, SEQUENTIAL_EVIDENCE);
  t.truthy(first);
  t.is(first!.offset, SEQUENTIAL_EVIDENCE, 'prefetch begins where the reader is');
  t.true(w.enabled);
});

test('a seek far away ends the run: the evidence is gathered again', (t) => {
  const w = new PrefetchWindow(200 * MiB, 4 * MiB, 64 * MiB);
  t.true(readSequentially(w, 0, 2 * SEQUENTIAL_EVIDENCE).length > 0);
  t.is(w.onRead(150 * MiB, 150 * MiB + READ), undefined);
  t.false(w.enabled);
  t.deepEqual(readSequentially(w, 150 * MiB + READ, 150 * MiB + SEQUENTIAL_EVIDENCE - READ), []);
});

test('reads delivered out of order by the kernel still count as one sequential run', (t) => {
  const w = new PrefetchWindow(100 * MiB, 4 * MiB, 64 * MiB);
  const asked: ByteRange[] = [];
  // 12 reads of 128 KiB in flight at a time, answered in a scrambled order within each group.
  for (let group = 0; group < (2 * SEQUENTIAL_EVIDENCE) / (12 * READ); group++) {
    const base = group * 12 * READ;
    for (const i of [3, 0, 11, 5, 1, 7, 2, 10, 4, 9, 6, 8]) {
      const r = w.onRead(base + i * READ, base + (i + 1) * READ);
      if (r) asked.push(r);
    }
  }
  t.true(asked.length > 0, 'prefetch began');
  t.true(w.enabled);
});

test('over a whole object: ranges never overlap, never pass the end, stay within the largest window, and cover the rest of the object', (t) => {
  t.notThrows(() =>
    fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 200 }).map((n) => n * MiB + 12_345),
      fc.constantFrom(1, 2, 4).map((n) => n * MiB),
      fc.constantFrom(8, 16, 64).map((n) => n * MiB),
      (size, minWindow, maxWindow) => {
        const w = new PrefetchWindow(size, minWindow, maxWindow, minWindow);
        const asked = readSequentially(w, 0, size);
        let end = 0;
        for (const r of asked) {
          if (r.offset < end || r.end <= r.offset || r.end > size) return false;
          if (r.end - r.offset > maxWindow) return false;
          end = r.end;
        }
        // Everything after the evidence threshold was asked for ahead of the reader, up to the end.
        return size <= SEQUENTIAL_EVIDENCE + READ || end === size;
      },
    ),
    { seed: 20261206, numRuns: 200 },
    ),
  );
});

test('what the budget did not let go out is asked for again later', (t) => {
  const w = new PrefetchWindow(100 * MiB, 4 * MiB, 64 * MiB, 4 * MiB);
  readSequentially(w, 0, SEQUENTIAL_EVIDENCE - READ);
  const first = w.onRead(SEQUENTIAL_EVIDENCE - READ, SEQUENTIAL_EVIDENCE)!;
  w.issuedUpTo(first.offset + MiB); // only one MiB of it went out
  const asked = readSequentially(w, SEQUENTIAL_EVIDENCE, SEQUENTIAL_EVIDENCE + 2 * MiB);
  t.true(asked.length > 0);
  t.is(asked[0]!.offset, first.offset + MiB, 'the rest is asked for, from where the issued part ended');
});
