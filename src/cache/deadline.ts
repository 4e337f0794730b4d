// Bounding a wait: the promise's outcome, or Unavailable once the deadline (epoch millis) passes.
import { Unavailable } from '../errors.js';

export function withDeadline<T>(work: Promise<T>, deadline: number, what: string): Promise<T> {
  const ms = deadline - Date.now();
  if (ms <= 0) {
    work.catch(() => undefined);
    return Promise.reject(new Unavailable(`${what}: read deadline passed`));
  }
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Unavailable(`${what}: no answer within ${ms} ms`)), ms);
    work.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
