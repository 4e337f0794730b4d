// Waiting for background work (MD5 checks, orphan sweeps) to show, with a deadline instead of a sleep.
import { setTimeout as sleep } from 'node:timers/promises';

export async function waitFor(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what} after ${timeoutMs} ms`);
    await sleep(20);
  }
}
