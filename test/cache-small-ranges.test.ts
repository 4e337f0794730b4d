// Which range a random read gets: REACH past it on the 64 KiB grid (HEADER_REACH in the first block); a read that continues a range gets
// the next one of its run, until the run would outgrow a block; small objects and sequential runs take
// whole blocks; ranges never overlap. A read waits for its own bytes of a range, not for the whole range.
import test from 'ava';
import { ALIGN, HEADER_REACH, REACH, SmallRanges } from '../src/cache/small-ranges.js';

const MiB = 1024 * 1024;
const SIZE = 200 * MiB;
const up = (n: number): number => Math.ceil(n / ALIGN) * ALIGN;
const down = (n: number): number => Math.floor(n / ALIGN) * ALIGN;

function keep(ranges: SmallRanges, plan: { start: number; end: number; runStart: number }): void {
  ranges.add('k', plan, () => Promise.resolve(Buffer.alloc(plan.end - plan.start)));
}

test('a random read gets REACH past it on the 64 KiB grid, and the reads it covers find it', (t) => {
  const ranges = new SmallRanges(64 * MiB, MiB);
  const at = 27_923_168;
  const plan = ranges.plan('k', SIZE, at, at + 4096)!;
  t.deepEqual(plan, { start: down(at), end: up(at + REACH), runStart: down(at) });
  keep(ranges, plan);
  t.is(ranges.covering('k', at + 4096, at + 64 * 1024)?.length, 1);
  t.is(ranges.covering('k', at, plan.end + 1), undefined);
});

test('a read continuing a range gets the next of its run; the run stops at a block, then blocks', (t) => {
  const ranges = new SmallRanges(64 * MiB, MiB);
  const at = 10 * MiB + 4096;
  const first = ranges.plan('k', SIZE, at, at + 4096)!;
  keep(ranges, first);
  // the kernel's readahead straddles the end of the first range
  const ahead = first.end - 64 * 1024;
  const next = ranges.plan('k', SIZE, ahead, ahead + 128 * 1024)!;
  t.is(next.start, first.end, 'no byte fetched twice');
  t.is(next.runStart, first.start);
  keep(ranges, next);
  t.is(ranges.covering('k', ahead, ahead + 128 * 1024)?.length, 2, 'served from both');
  let end = next.end;
  for (;;) {
    const p = ranges.plan('k', SIZE, end, end + 128 * 1024);
    if (!p) {
      t.is(ranges.runBefore('k', end, end + 128 * 1024), first.start, 'the run that outgrew a block');
      break;
    }
    t.true(p.end - p.runStart <= MiB, 'a run holds at most a block');
    keep(ranges, p);
    end = p.end;
  }
  t.true(end - first.start > MiB - REACH - 2 * ALIGN, 'the run went on until close to a block');
});

test('objects under two ranges, big first reads (a sequential reader), and reads as big as the blocks take blocks; off without memory', (t) => {
  const ranges = new SmallRanges(64 * MiB, MiB);
  t.is(ranges.plan('k', SIZE, 0, 128 * 1024), undefined);
  const header = ranges.plan('k', SIZE, 0, 4096)!;
  t.is(header.end, up(4096 + HEADER_REACH));
  keep(ranges, header);
  t.is(ranges.plan('k', SIZE, header.end - 4096, header.end + 128 * 1024), undefined, 'reading on past the header');
  t.is(ranges.plan('k', 300 * 1024, 0, 4096), undefined);
  t.is(ranges.plan('k', SIZE, 0, MiB), undefined);
  t.is(new SmallRanges(0, MiB).plan('k', SIZE, 5 * MiB, 5 * MiB + 4096), undefined);
});

test('a range ahead cuts the new one short; a read reaching into it takes blocks', (t) => {
  const ranges = new SmallRanges(64 * MiB, MiB);
  const ahead = ranges.plan('k', SIZE, 20 * MiB + 128 * 1024, 20 * MiB + 132 * 1024)!;
  keep(ranges, ahead);
  const before = ranges.plan('k', SIZE, 20 * MiB, 20 * MiB + 4096)!;
  t.is(before.end, ahead.start);
  t.is(ranges.plan('k', SIZE, 20 * MiB, ahead.start + 1), undefined);
});

test('a read waits for its own bytes of a range as they arrive, not for the whole range; a failed fetch fails the reads still waiting', async (t) => {
  const ranges = new SmallRanges(64 * MiB, MiB);
  const plan = ranges.plan('k', SIZE, 10 * MiB, 10 * MiB + 4096)!;
  const into = Buffer.alloc(plan.end - plan.start);
  let progress: (into: Buffer, received: number) => void = () => undefined;
  let finish: (b: Buffer) => void = () => undefined;
  const range = ranges.add('k', plan, (onProgress) => {
    progress = onProgress;
    return new Promise<Buffer>((resolve) => (finish = resolve));
  });
  let done = false;
  const first = SmallRanges.until(range, plan.start + 4096).then((b) => ((done = true), b));
  progress(into, 1024);
  await new Promise((r) => setImmediate(r));
  t.false(done, 'not yet: 1 KiB of the 4 asked arrived');
  progress(into, 64 * 1024);
  t.is(await first, into, 'answered from the buffer the range arrives in');
  t.is(SmallRanges.arrived(range, plan.start + 64 * 1024), into);
  t.is(SmallRanges.arrived(range, plan.end), undefined, 'the rest has not arrived');
  finish(into);
  t.is(await SmallRanges.until(range, plan.end), into);

  const other = ranges.plan('k', SIZE, 40 * MiB, 40 * MiB + 4096)!;
  let fail: (e: Error) => void = () => undefined;
  const failing = ranges.add('k', other, () => new Promise<Buffer>((_, reject) => (fail = reject)));
  const waiting = SmallRanges.until(failing, other.end);
  fail(new Error('connection reset'));
  await t.throwsAsync(waiting, { message: 'connection reset' });
});
