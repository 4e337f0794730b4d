// The config file every command reads (also score-client's application.properties): `key = value`
// lines whose keys are the option names of the table (table.ts) or score-client's keys there.
import { readFile } from 'node:fs/promises';
import { InvalidInput } from '../../errors.js';
import { OPTION_NAMES, OPTIONS } from './table.js';

/** `#` and `!` start comment lines, blank lines are skipped, a later key wins. */
export async function readConfigFile(path: string): Promise<Map<string, string>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new InvalidInput(`cannot read config file ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, { cause: err });
  }
  const entries = parseConfigText(text, path);
  checkConfigKeys(entries, path);
  return entries;
}

function parseConfigText(text: string, source: string): Map<string, string> {
  const entries = new Map<string, string>();
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith('!')) return;
    const eq = line.indexOf('=');
    const key = eq > 0 ? line.slice(0, eq).trim() : '';
    // The line may hold a token, so it is never quoted back.
    if (!key || /\s/.test(key)) throw new InvalidInput(`${source} line ${i + 1}: expected "key = value"`);
    entries.set(key, unquote(line.slice(eq + 1).trim()));
  });
  return entries;
}

function unquote(value: string): string {
  const m = /^(["'])(.*)\1$/.exec(value);
  return m ? m[2]! : value;
}

const KEYS = new Set(OPTION_NAMES.flatMap((n) => OPTIONS[n].keys));
/** The keys named in an error: the table's, without score-client's dotted ones. */
const LISTED = [...KEYS].filter((k) => !k.includes('.'));

/**
 * A misspelt key would silently fall back to a default: refuse it, naming it. score-client's other
 * (dotted) keys, transport.parallel and the like, are ignored.
 */
function checkConfigKeys(file: Map<string, string>, source: string): void {
  for (const key of file.keys()) {
    if (KEYS.has(key) || key.includes('.')) continue;
    const dashed = key.replace(/_/g, '-');
    const hint = KEYS.has(dashed) ? ` (did you mean ${dashed}?)` : '';
    throw new InvalidInput(`${source}: unknown key "${key}"${hint}; the keys are ${LISTED.join(', ')}`);
  }
}
