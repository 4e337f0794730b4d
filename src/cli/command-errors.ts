// How a one-shot command reports: its own lines for people, the logger only for real trouble
// (SCOREFS_LOG_LEVEL overrides); a failure is one line on stderr, exit code 2 for bad input, else 1.
import { InvalidInput } from '../errors.js';
import { configureLogger, envLogLevel } from '../util/log.js';

export function quietLogger(): void {
  configureLogger({ level: envLogLevel('error') });
}

export function reportFailure(err: unknown): void {
  process.stderr.write(`scorefs: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = err instanceof InvalidInput ? 2 : 1;
}
