// Waiting for background work (MD5 checks, orphan sweeps) to show, with a deadline instead of a sleep.
import { setTimeout as sleep } from 'node:timers/promises';

export async function waitFor(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what} after ${timeoutMs} ms`);
    await sleep(20);
  }
}

/** `read()`'s value once it has stopped moving: the same across `quietMs` (background fetches settle). */
export async function settled<T>(what: string, read: () => Promise<T>, quietMs = 500, timeoutMs = 30_000): Promise<T> {
  let now = await read();
  await waitFor(what, async () => {
    const last = JSON.stringify(now);
    await sleep(quietMs);
    now = await read();
    return JSON.stringify(now) === last;
  }, timeoutMs);
  return now;
}
