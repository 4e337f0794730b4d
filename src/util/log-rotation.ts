// Keeps a log file bounded: past maxBytes it is renamed to .1 (older ones shift to .2 … .keep, the
// oldest dropped) and the writer reopens a fresh file. Checked on a timer, off the read path.
import { rename, stat, unlink } from 'node:fs/promises';

export interface Reopenable {
  reopen(file?: string): void;
}

export interface RotationOptions {
  maxBytes: number;
  keep: number;
  checkEveryMs: number;
}

export const DEFAULT_ROTATION: RotationOptions = { maxBytes: 20 * 1024 * 1024, keep: 3, checkEveryMs: 30_000 };

/** Rotates `file` now if it has grown past the bound. Returns true when it rotated. */
export async function rotateIfLarge(file: string, dest: Reopenable, opts: RotationOptions): Promise<boolean> {
  const size = await stat(file).then((s) => s.size, () => 0);
  if (size <= opts.maxBytes) return false;
  await unlink(`${file}.${opts.keep}`).catch(() => undefined);
  for (let i = opts.keep - 1; i >= 1; i--) await rename(`${file}.${i}`, `${file}.${i + 1}`).catch(() => undefined);
  await rename(file, `${file}.1`);
  dest.reopen();
  return true;
}

/** Checks on a timer that never keeps the process alive; returns a function that stops it. */
export function startRotation(file: string, dest: Reopenable, opts: RotationOptions = DEFAULT_ROTATION): () => void {
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    rotateIfLarge(file, dest, opts)
      .catch(() => undefined) // a log that cannot rotate must never take the mount down
      .finally(() => (busy = false));
  }, opts.checkEveryMs);
  timer.unref();
  return () => clearInterval(timer);
}
