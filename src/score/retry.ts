// Retries TransientErrors with exponential backoff (100 ms doubling to 30 s, jittered, as score-client's
// RetryTemplate) until a deadline, then fails with Unavailable carrying the last cause.
import { setTimeout as sleep } from 'node:timers/promises';
import { TransientError, Unavailable } from '../errors.js';

/** Every Score call takes these: an absolute deadline (epoch millis) and a caller's abort signal. */
export interface CallOptions {
  deadline?: number;
  signal?: AbortSignal;
}

export interface RetryOptions {
  deadline: number;
  signal?: AbortSignal;
  /** Names the operation in the Unavailable message, e.g. "reading object <id>". */
  what: string;
  onRetry?: (err: TransientError, attempt: number) => void;
}

const INITIAL_BACKOFF_MS = 100;
const MAX_BACKOFF_MS = 30_000;

/** The pause before retry number `n` (1-based): 100 ms · 2^(n-1), at most 30 s, with ±25% jitter. */
export function backoffMs(n: number): number {
  const base = Math.min(MAX_BACKOFF_MS, INITIAL_BACKOFF_MS * 2 ** Math.min(n - 1, 20));
  return Math.round(base * (0.75 + Math.random() * 0.5));
}

/**
 * Runs `attempt` until it succeeds, throws a non-transient error, the caller aborts (the signal's
 * reason is rethrown) or the deadline passes (Unavailable). `attempt` gets a signal that also fires at
 * the deadline, so no single try outlives it.
 */
export async function withRetry<T>(attempt: (signal: AbortSignal) => Promise<T>, opts: RetryOptions): Promise<T> {
  const deadlineHit = new AbortController();
  const timer = setTimeout(() => deadlineHit.abort(new Error('deadline')), Math.max(0, opts.deadline - Date.now()));
  const signal = opts.signal ? AbortSignal.any([opts.signal, deadlineHit.signal]) : deadlineHit.signal;
  let last: unknown;
  const giveUp = (cause: unknown): Unavailable => {
    const reason = cause instanceof Error ? cause.message : 'no answer before the deadline';
    return new Unavailable(`${opts.what} failed: ${reason}`, { cause });
  };
  try {
    for (let n = 1; ; n++) {
      try {
        return await attempt(signal);
      } catch (err) {
        if (opts.signal?.aborted) throw opts.signal.reason;
        if (deadlineHit.signal.aborted) throw giveUp(err instanceof TransientError ? err : last);
        if (!(err instanceof TransientError)) throw err;
        last = err;
        const pause = backoffMs(n);
        if (Date.now() + pause >= opts.deadline) throw giveUp(err);
        opts.onRetry?.(err, n);
        try {
          await sleep(pause, undefined, { signal });
        } catch {
          if (opts.signal?.aborted) throw opts.signal.reason;
          throw giveUp(last);
        }
      }
    }
  } finally {
    clearTimeout(timer);
  }
}
