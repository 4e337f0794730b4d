// Ctrl-C for long commands: the first SIGINT (or SIGTERM) aborts gracefully, so state is saved and
// the command can be resumed; a second one exits at once.
import { reportFailure } from './command-errors.js';

/** Installs the handlers; returns a function that removes them. */
export function onInterrupt(abort: AbortController, message: string): () => void {
  const handler = (): void => {
    if (abort.signal.aborted) process.exit(130);
    process.stderr.write(`\n${message}\n`);
    abort.abort(new Error('interrupted'));
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}

/**
 * Runs a long command's work with onInterrupt's handlers: a failure is reported as one line (after
 * an interrupt, as "interrupted" with exit code 130), and the cleanups the work registered run last.
 */
export async function runInterruptible(
  message: string,
  work: (signal: AbortSignal, atExit: (cleanup: () => Promise<void>) => void) => Promise<void>,
): Promise<void> {
  const abort = new AbortController();
  const stopInterrupts = onInterrupt(abort, message);
  const cleanups: Array<() => Promise<void>> = [];
  try {
    await work(abort.signal, (cleanup) => cleanups.push(cleanup));
  } catch (err) {
    if (abort.signal.aborted) {
      process.stderr.write('scorefs: interrupted\n');
      process.exitCode = 130;
    } else {
      reportFailure(err);
    }
  } finally {
    stopInterrupts();
    for (const cleanup of cleanups.reverse()) await cleanup();
  }
}
