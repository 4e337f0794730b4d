// Option values checked as yargs parses them, so a bad one is refused naming the option and an
// example of a good one: numbers (yargs' own type turns "abc" into NaN), sizes, and an option given
// twice (yargs would make it an array). Numeric options are declared as strings and coerced here;
// `nargs: 1` lets a value start with "-" (yargs would read "-5G" as the flags -5 and -G).
import type { Options } from 'yargs';
import { InvalidInput } from '../errors.js';

export interface NumberRule {
  /** What a valid value is, after "must be". */
  what: string;
  ok(n: number): boolean;
}

export const SECONDS: NumberRule = { what: 'a positive number of seconds', ok: (n) => n > 0 };
export const COUNT: NumberRule = { what: 'a positive integer', ok: (n) => Number.isInteger(n) && n >= 1 };
export const PORT: NumberRule = { what: 'a TCP port number (1-65535)', ok: (n) => Number.isInteger(n) && n >= 1 && n <= 65535 };
export const OFFSET: NumberRule = { what: 'a byte offset (an integer ≥ 0)', ok: (n) => Number.isSafeInteger(n) && n >= 0 };
export const LENGTH: NumberRule = { what: 'a byte count, or -1 for the rest', ok: (n) => Number.isSafeInteger(n) && n >= -1 };

/** A numeric option: yargs hands the handler a number, or refuses the value saying what would do. */
export function numberOption(option: string, rule: NumberRule, example: string, spec: Omit<Options, 'type' | 'coerce'>): Options {
  return checkedOption(option, spec, (text) => parseNumber(text, option, rule, example));
}

/** `label` says where the text came from: `--read-deadline`, `SCOREFS_READ_DEADLINE`, a config file's key. */
export function parseNumber(raw: unknown, option: string, rule: NumberRule, example: string, label = `--${option}`): number {
  const text = String(raw).trim();
  const n = text === '' ? NaN : Number(text);
  if (!Number.isFinite(n) || !rule.ok(n)) throw new InvalidInput(`${label} must be ${rule.what}, not "${text}" (example: --${option} ${example})`);
  return n;
}

/** A one-value option whose text `parse` checks (and converts) as yargs parses it. */
export function checkedOption(option: string, spec: Omit<Options, 'type' | 'coerce'>, parse: (text: string) => unknown): Options {
  return { ...spec, type: 'string', nargs: 1, coerce: (raw: unknown) => (raw === undefined ? undefined : parse(String(onceOnly(option, raw)))) };
}

function onceOnly(option: string, raw: unknown): unknown {
  if (Array.isArray(raw)) throw givenTwice(option, raw);
  return raw;
}

function givenTwice(option: string, values: unknown[]): InvalidInput {
  return new InvalidInput(`--${option} was given ${values.length} times (${values.map((v) => `"${String(v)}"`).join(', ')}): give it once`);
}

/** The options that take several values (positional lists and `download --object-id`). */
const LIST_OPTIONS = new Set(['paths', 'object-ids', 'object-id']);
const POSITIONALS = new Set(['mountpoint', 'paths', 'object-ids']);

/**
 * yargs middleware (before validation): an option given more than once (but for the lists) is
 * refused, rather than reaching a command as a list it does not expect ("no Score URL" for two
 * --storage-url); so is an empty value (--token-file '' would be the current directory).
 */
export function checkOptionValues(argv: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(argv)) {
    if (key === '_' || key === '$0' || /[A-Z]/.test(key)) continue; // yargs' own, and camel-case twins
    if (Array.isArray(value) && !LIST_OPTIONS.has(key)) throw givenTwice(key, value);
    if ((Array.isArray(value) ? value : [value]).some((v) => typeof v === 'string' && v.trim() === '')) {
      const name = POSITIONALS.has(key) ? `the ${key} argument` : `--${key}`;
      throw new InvalidInput(`${name} is empty: give it a value (scorefs --help describes it)`);
    }
  }
}
