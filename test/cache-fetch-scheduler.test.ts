// The order and the number of range GETs in flight: never more than the connections, demand reads
// before prefetch, prefetch never holding every connection (a demand read always finds one at once),
// a queued prefetch a reader now waits for moves ahead, and a paused priority waits (told the bytes in
// flight, so that the disk's write queue can hold back what it could not take once arrived).
import test from 'ava';
import { FetchScheduler, type FetchJob, type Priority } from '../src/cache/fetch-scheduler.js';

interface TestJob extends FetchJob {
  name: string;
  finish(): Promise<void>;
}

/** Jobs whose fetch ends when the test says; `log` records the order they started in. */
function jobs(log: string[]): (name: string, priority: Priority) => TestJob {
  return (name, priority) => {
    let end!: () => void;
    const done = new Promise<void>((resolve) => (end = resolve));
    const job: TestJob = {
      name,
      priority,
      deadline: Date.now() + 60_000,
      started: false,
      bytes: 4 * 1024 * 1024,
      run: () => {
        log.push(name);
        return done;
      },
      finish: async () => {
        end();
        await done;
        await new Promise((resolve) => setImmediate(resolve)); // the scheduler's own then/finally
      },
    };
    return job;
  };
}

test('never more GETs in flight than connections; the rest start as others end', async (t) => {
  const started: string[] = [];
  const make = jobs(started);
  const s = new FetchScheduler(3);
  const all = Array.from({ length: 7 }, (_, i) => make(`d${i}`, 'demand'));
  all.forEach((j) => s.submit(j));
  t.deepEqual(started, ['d0', 'd1', 'd2']);
  t.is(s.inFlight.now, 3);
  await all[1]!.finish();
  t.deepEqual(started, ['d0', 'd1', 'd2', 'd3']);
  for (const j of all) await j.finish();
  t.is(started.length, 7);
  t.is(s.inFlight.peak, 3);
  t.is(s.inFlight.now, 0);
});

test('prefetch never takes every connection: a demand read starts at once behind a queue of prefetches', (t) => {
  const started: string[] = [];
  const make = jobs(started);
  const s = new FetchScheduler(4);
  for (let i = 0; i < 10; i++) s.submit(make(`p${i}`, 'prefetch'));
  const prefetching = started.length;
  t.true(prefetching >= 1 && prefetching <= 3, `${prefetching} prefetches in flight of 4 connections`);
  s.submit(make('d', 'demand'));
  t.is(started.at(-1), 'd', 'the demand read started without waiting for a prefetch to end');
});

test('queued demand reads go before queued prefetches', async (t) => {
  const started: string[] = [];
  const make = jobs(started);
  const s = new FetchScheduler(1);
  const first = make('d0', 'demand');
  s.submit(first);
  s.submit(make('p0', 'prefetch'));
  s.submit(make('d1', 'demand'));
  t.deepEqual(started, ['d0'], 'one connection, busy');
  await first.finish();
  t.deepEqual(started, ['d0', 'd1']);
});

test('a queued prefetch that a reader now waits for is promoted ahead of the other prefetches', async (t) => {
  const started: string[] = [];
  const make = jobs(started);
  const s = new FetchScheduler(2); // one slot for prefetch, one kept for demand
  const blockers = [make('d0', 'demand'), make('d1', 'demand')];
  blockers.forEach((j) => s.submit(j));
  const queued = ['p0', 'p1', 'p2'].map((n) => make(n, 'prefetch'));
  queued.forEach((j) => s.submit(j));
  s.promote(queued[2]!, Date.now() + 1000);
  t.is(queued[2]!.priority, 'demand');
  await blockers[0]!.finish();
  t.is(started[2], 'p2', 'the promoted job went first');
});

test('a paused priority waits until the pause ends; the other goes on', async (t) => {
  const started: string[] = [];
  const make = jobs(started);
  let prefetchPaused = true;
  const s = new FetchScheduler(4, (p) => p === 'prefetch' && prefetchPaused);
  s.submit(make('p0', 'prefetch'));
  s.submit(make('d0', 'demand'));
  t.deepEqual(started, ['d0']);
  prefetchPaused = false;
  s.pump();
  t.deepEqual(started, ['d0', 'p0']);
});

test('a pause is told the bytes in flight with the next job: a job waits unless it fits beside those under way, and starts as they end', async (t) => {
  const started: string[] = [];
  const make = jobs(started);
  const heard: number[] = [];
  // At most 8 MiB under way (two of the 4 MiB jobs), as a write queue with room for them only would say.
  const s = new FetchScheduler(4, (_p, inFlight) => (heard.push(inFlight), inFlight > 8 * 1024 * 1024));
  const all = ['d0', 'd1', 'd2', 'd3'].map((n) => make(n, 'demand'));
  all.forEach((j) => s.submit(j));
  t.deepEqual(started, ['d0', 'd1'], 'two under way, two held back although connections are free');
  t.is(heard[0], 4 * 1024 * 1024, 'the first job was asked about with its own bytes');
  t.true(heard.includes(12 * 1024 * 1024), 'the third with all three');
  await all[0]!.finish();
  t.deepEqual(started, ['d0', 'd1', 'd2'], 'one ended, one more starts');
});
