// The yargs declaration of a command's table options (table.ts): each flag with its --help text, which
// names its environment variables and default, and its value checked as yargs parses it. No yargs
// default: an option not given is left to the environment, the config file, then the table's default.
import type { Argv } from 'yargs';
import { checkedOption } from '../option-values.js';
import { OPTIONS, optionsOf, type Command } from './table.js';

export function declareOptions<T>(yargs: Argv<T>, command: Command): Argv<T> {
  let y = yargs;
  for (const name of optionsOf(command)) {
    const row = OPTIONS[name];
    if ('noFlag' in row) continue;
    const describe = `${row.describe} (env ${row.env.join(', ')}; default ${row.defaultText})`;
    const spec = row.kind.boolean
      ? { type: 'boolean' as const, describe }
      : checkedOption(name, { describe, ...(row.kind.choices ? { choices: row.kind.choices } : {}) }, (text) => row.kind.parse(text, `--${name}`));
    y = y.option(name, spec) as Argv<T>;
  }
  return y;
}
