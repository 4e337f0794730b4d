// How many range GETs to keep in flight on a link whose single connections may be capped (object
// stores give one connection 50–100 MB/s; a proxy or a long path less): more while the throughput of
// all of them together grows with each one added, one fewer when an added one brought nothing, half as
// many when requests fail or are retried. Never more than `max` (the connection pool), never below 1.
//
// Time is measured in rounds: a round ends once as many transfers have completed as the limit allows
// in flight, and its rate is the bytes they brought over the round's time. A round counts only if the
// limit was reached during it (a reader slower than the link leaves slots idle, and that says nothing
// about the link), and not the round right after a change (its transfers started under the old limit).

/** A rate must beat the last by this factor to count as growth (measurements are noisy). */
const GROWTH = 1.1;
/** Rounds held at a limit that an added transfer did not improve, before trying one more again. */
const HOLD_ROUNDS = 8;

export interface AdaptiveLimitOptions {
  max: number;
  /** Where to start; default half the maximum (rounded up): most links take that many, and more is found fast. */
  initial?: number;
}

export class AdaptiveLimit {
  private current: number;
  /** Until the first round that did not grow: double per round (a link's capacity is found fast). */
  private slowStart = true;
  private lastRate = 0;
  private holding = 0;
  /** The last adjustment added transfers (so the next round tells whether they helped). */
  private raised = false;
  /** The limit before the last increase. */
  private before = 1;
  private roundStart: number;
  private roundBytes = 0;
  private roundDone = 0;
  private saturated = false;
  /** The limit changed: the round under way mixes the old and the new, and is not judged. */
  private settling = false;

  constructor(
    private readonly opts: AdaptiveLimitOptions,
    now: number = Date.now(),
  ) {
    if (!Number.isInteger(opts.max) || opts.max < 1) throw new RangeError(`an adaptive limit needs a maximum of at least 1, not ${opts.max}`);
    this.current = clamp(opts.initial ?? Math.ceil(opts.max / 2), opts.max);
    this.roundStart = now;
  }

  /** Transfers that may be in flight now. */
  get limit(): number {
    return this.current;
  }

  get max(): number {
    return this.opts.max;
  }

  /** A transfer started; `inFlight` counts the transfers now running, this one included. */
  started(inFlight: number): void {
    if (inFlight >= this.current) this.saturated = true;
  }

  /** A transfer of `bytes` completed at `now` (epoch millis). */
  completed(bytes: number, now: number = Date.now()): void {
    this.roundBytes += bytes;
    if (++this.roundDone < this.current) return;
    const rate = this.roundBytes / Math.max(1, now - this.roundStart);
    const before = this.current;
    if (this.saturated && !this.settling) this.adjust(rate);
    this.newRound(now);
    this.settling = this.current !== before;
  }

  /** A transfer failed or was retried: the link (or the server) is overloaded; halve. */
  failed(now: number = Date.now()): void {
    this.current = clamp(Math.floor(this.current / 2), this.opts.max);
    this.slowStart = false;
    this.lastRate = 0;
    this.raised = false;
    this.holding = HOLD_ROUNDS;
    this.newRound(now);
    this.settling = true;
  }

  private adjust(rate: number): void {
    const grew = this.lastRate === 0 || rate > this.lastRate * GROWTH;
    if (this.holding > 0) {
      // Settled: note the rate here, and after a while see whether one more helps now.
      this.lastRate = rate;
      if (--this.holding === 0) this.raise();
    } else if (this.raised && !grew) {
      // The last increase brought nothing: go back to where the rate last grew.
      this.current = this.before;
      this.slowStart = false;
      this.raised = false;
      this.holding = HOLD_ROUNDS;
    } else if (grew) {
      this.lastRate = rate;
      this.raise();
    } else {
      this.lastRate = rate; // at the maximum, steady
      this.holding = HOLD_ROUNDS;
    }
  }

  private raise(): void {
    const next = clamp(this.slowStart ? this.current * 2 : this.current + 1, this.opts.max);
    this.raised = next > this.current;
    this.before = this.current;
    this.current = next;
  }

  private newRound(now: number): void {
    this.roundStart = now;
    this.roundBytes = 0;
    this.roundDone = 0;
    this.saturated = false;
  }
}

function clamp(n: number, max: number): number {
  return Math.max(1, Math.min(max, n));
}
