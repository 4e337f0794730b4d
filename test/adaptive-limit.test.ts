// The rules of the adaptive limit on range GETs in flight, on a simulated link: it grows while the
// throughput of all transfers together grows, stops (and steps back) when one more brings nothing,
// halves on failures and retries, ignores rounds a slow reader left unsaturated, and stays within
// 1..max.
import test from 'ava';
import { AdaptiveLimit } from '../src/util/adaptive-limit.js';

const CHUNK = 4 * 1024 * 1024;

/**
 * Runs `rounds` rounds at the limit's current value on a link where n transfers at once complete
 * one chunk each in `roundMs(n)` milliseconds; returns the limit after each round.
 */
function drive(limit: AdaptiveLimit, rounds: number, roundMs: (n: number) => number, clock = { now: 0 }): number[] {
  const seen: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const n = limit.limit;
    for (let i = 1; i <= n; i++) limit.started(i);
    clock.now += roundMs(n);
    for (let i = 0; i < n; i++) limit.completed(CHUNK, clock.now);
    seen.push(limit.limit);
  }
  return seen;
}

/** Each connection capped (every transfer takes the same time) until the link's total is reached. */
const cappedLink = (connectionsTheLinkCarries: number) => (n: number) => (100 * Math.max(n, connectionsTheLinkCarries)) / connectionsTheLinkCarries;

test('grows while the aggregate throughput grows, up to the maximum and not past it', (t) => {
  const limit = new AdaptiveLimit({ max: 8 }, 0);
  t.is(limit.limit, 4, 'it starts at half the maximum');
  const seen = drive(limit, 30, cappedLink(100)); // every added transfer adds its full rate
  t.true(seen.every((n) => n >= 1 && n <= 8), `within 1..8: ${seen.join(' ')}`);
  t.is(seen.at(-1), 8);
  t.true(seen.indexOf(8) <= 5, `reached the maximum within a few rounds: ${seen.join(' ')}`);
});

test('stops growing (and steps back) where more transfers bring nothing', (t) => {
  const limit = new AdaptiveLimit({ max: 32, initial: 1 }, 0);
  const seen = drive(limit, 60, cappedLink(5)); // the link carries 5 transfers' worth
  t.true(seen.every((n) => n <= 32));
  const settled = seen.slice(20);
  // Slow start doubles: 4 was short of the link, 8 filled it, 16 brought nothing and went back to 8.
  t.true(settled.every((n) => n >= 5 && n <= 9), `stays where the link is full once found: ${settled.join(' ')}`);
  t.true(Math.max(...seen) < 32, `never ran up to the maximum: ${seen.join(' ')}`);
});

test('halves on failures and retries, never below 1', (t) => {
  const limit = new AdaptiveLimit({ max: 16 }, 0);
  drive(limit, 10, cappedLink(100));
  t.is(limit.limit, 16);
  limit.failed(2000);
  t.is(limit.limit, 8);
  limit.failed(2000);
  limit.failed(2000);
  limit.failed(2000);
  limit.failed(2000);
  t.is(limit.limit, 1);
  // It holds for a while after a failure, then probes upwards again while that pays.
  const seen = drive(limit, 40, cappedLink(100), { now: 2000 });
  t.true(seen.slice(0, 7).every((n) => n === 1), `held after the failures: ${seen.join(' ')}`);
  t.true(seen.at(-1)! > 4, `grew again: ${seen.join(' ')}`);
});

test('a round in which the limit was never reached (a slow reader) changes nothing', (t) => {
  const limit = new AdaptiveLimit({ max: 8, initial: 2 }, 0);
  let now = 0;
  for (let r = 0; r < 10; r++) {
    limit.started(1); // one transfer at a time: the reader, not the link, sets the pace
    now += 100;
    limit.completed(CHUNK, now);
    limit.completed(CHUNK, now);
  }
  t.is(limit.limit, 2);
});

test('a maximum below the initial value, and a bad maximum', (t) => {
  t.is(new AdaptiveLimit({ max: 1 }).limit, 1);
  t.throws(() => new AdaptiveLimit({ max: 0 }), { instanceOf: RangeError });
});
