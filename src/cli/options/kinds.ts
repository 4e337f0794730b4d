// What an option's value is: how its text (from a flag, the environment or a config file) is
// checked and turned into the value, and how yargs declares the flag. `label` names where the text
// came from (`--cache-size`, `SCOREFS_CACHE_SIZE`, `cache-size in FILE`), so an error says which.
import path from 'node:path';
import { InvalidInput } from '../../errors.js';
import { baseUrl } from '../../score/config.js';
import { parseDuration, parseSize } from '../mount-options.js';
import { parseNumber, type NumberRule } from '../option-values.js';

export interface Kind<T> {
  parse(text: string, label: string): T;
  /** The value as text `parse` takes back (the mount daemon's command line), when String() is not. */
  format?(value: T): string;
  /** A switch (`--allow-other`) rather than an option that takes a value. */
  boolean?: true;
  choices?: readonly string[];
}

export const text: Kind<string> = { parse: (t) => t };

/** Absolute, so the mount daemon (started elsewhere) reads the same file. */
export const file: Kind<string> = { parse: (t) => path.resolve(t) };

export const url = (what: string): Kind<string> => ({
  parse: (t, label) => {
    try {
      return baseUrl(t, what);
    } catch (err) {
      throw err instanceof InvalidInput ? new InvalidInput(`${label}: ${err.message}`) : err;
    }
  },
});

/** Bytes, from 50G, 512M, 4096 … */
export const size: Kind<number> = { parse: (t, label) => parseSize(t, label) };

/** Milliseconds, from 12h, 30m, 90s, 1d or seconds. */
export const duration: Kind<number> = { parse: (t, label) => parseDuration(t, label), format: (ms) => String(ms / 1000) };

export const number = (option: string, rule: NumberRule, example: string): Kind<number> => ({
  parse: (t, label) => parseNumber(t, option, rule, example, label)
});

export const oneOf = <T extends string>(choices: readonly T[]): Kind<T> => ({
  choices,
  parse: (t, label) => {
    if (!(choices as readonly string[]).includes(t)) throw new InvalidInput(`${label} must be one of ${choices.join(', ')}, not "${t}"`);
    return t as T;
  }
});

export const flag: Kind<boolean> = {
  boolean: true,
  parse: (t, label) => {
    if (t === 'true' || t === 'false') return t === 'true';
    throw new InvalidInput(`${label} must be true or false, not "${t}"`);
  },
};

/** The access token: never a flag; checked (and its source named) where it is read, src/cli/options/client.ts. */
export const token: Kind<string> = { parse: (t) => t.trim() };
