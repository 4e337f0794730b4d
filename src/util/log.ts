// The process logger: JSON lines to a size-bounded file, or human lines on a terminal, with tokens
// and signed URLs redacted.
import { chmodSync, statSync } from 'node:fs';
import { pino, type DestinationStream, type Logger } from 'pino';
import { humanDestination } from './log-human.js';
import { DEFAULT_ROTATION, startRotation, type RotationOptions } from './log-rotation.js';

export type { Logger };

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';

const SECRET_QUERY = /([?&](?:X-Amz-[A-Za-z-]+|Signature|sig|se|token|access_token|X-Score-[A-Za-z-]+)=)[^&\s"']+/gi;
const BEARER = /(Bearer\s+)[A-Za-z0-9._~+/=-]+/gi;

/** Strips query-string signatures and bearer tokens from any text bound for a log or error message. */
export function redact(text: string): string {
  return text.replace(SECRET_QUERY, '$1REDACTED').replace(BEARER, '$1REDACTED');
}

/**
 * SCOREFS_LOG_LEVEL when it names a level; else `fallback` (empty is unset; `scorefs mount`, whose
 * log-level option it is, refuses a bad one by name before it logs anything).
 */
export function envLogLevel(fallback: LogLevel): LogLevel {
  const level = process.env.SCOREFS_LOG_LEVEL;
  return level !== undefined && (level === 'silent' || level in pino.levels.values) ? (level as LogLevel) : fallback;
}

let root: Logger = pino({ level: envLogLevel('warn') }, pino.destination(2));

/** A log names objects and studies of controlled data: only its user reads it (rotated ones too: renamed). */
export const LOG_FILE_MODE = 0o600;

/** An existing log file made by an older scorefs (or under a lax umask) is made private. */
function makeLogPrivate(file: string): void {
  try {
    if (statSync(file).mode & 0o077) chmodSync(file, LOG_FILE_MODE);
  } catch {
    // none yet: it is created with LOG_FILE_MODE
  }
}

let stopRotation: (() => void) | undefined;

/**
 * Replaces the process logger: `file` gets JSON lines (appended, rotated past 20 MiB, 3 kept);
 * otherwise stderr gets human lines on a terminal and JSON lines elsewhere.
 */
export function configureLogger(opts: { level?: LogLevel; file?: string; rotation?: RotationOptions }): Logger {
  stopRotation?.();
  stopRotation = undefined;
  let dest: DestinationStream;
  if (opts.file) {
    makeLogPrivate(opts.file);
    const file = pino.destination({ dest: opts.file, append: true, mkdir: true, sync: false, mode: LOG_FILE_MODE });
    stopRotation = startRotation(opts.file, file, opts.rotation ?? DEFAULT_ROTATION);
    dest = file;
  } else {
    dest = process.stderr.isTTY ? humanDestination(process.stderr) : pino.destination(2);
  }
  root = pino(
    {
      level: opts.level ?? 'info',
      base: { pid: process.pid },
      formatters: { level: (label) => ({ level: label }) },
      hooks: {
        logMethod(args, method) {
          method.apply(this, args.map((a) => (typeof a === 'string' ? redact(a) : a)) as Parameters<typeof method>);
        },
      },
      redact: { paths: ['token', 'accessToken', 'url', '*.url', 'headers.authorization'], censor: 'REDACTED' },
    },
    dest,
  );
  children.clear();
  return root;
}

const children = new Map<string, Logger>();

/**
 * A logger for one module. Safe to call at import time: it follows the root that configureLogger()
 * installs later.
 */
export function logger(module: string): Logger {
  const current = (): Logger => {
    let child = children.get(module);
    if (!child) children.set(module, (child = root.child({ module })));
    return child;
  };
  return new Proxy({} as Logger, {
    get(_target, prop) {
      const target = current();
      const value = Reflect.get(target, prop, target) as unknown;
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
