// Ctrl-C for long commands: the first SIGINT (or SIGTERM) aborts gracefully, so state is saved and
// the command can be resumed; a second one exits at once.

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
