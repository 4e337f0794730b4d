// The one resolver of the table's options (table.ts), for every command: the flag, then the
// environment, then the config file, then the default. The config file is read once, here.
import { InvalidInput } from '../../errors.js';
import { readConfigFile } from './config-file.js';
import { OPTIONS, optionsOf, type Command, type OptionName, type Resolved, type ValueOf } from './table.js';

export type Source = 'flag' | 'env' | 'file' | 'default';

export interface Setting<T> {
  value: T;
  from: Source;
  /** Where it came from, as an error names it: `--cache-size`, `SCOREFS_CACHE_SIZE`, `cache-size in FILE`. */
  label: string;
}

export class ResolvedOptions {
  constructor(
    private readonly flags: Record<string, unknown>,
    private readonly env: NodeJS.ProcessEnv,
    /** The config file, absolute, when there is one. */
    readonly configFile: string | undefined,
    private readonly file: ReadonlyMap<string, string>,
  ) {}

  get<N extends OptionName>(name: N): Resolved<N> {
    return this.setting(name)?.value as Resolved<N>;
  }

  /**
   * The option's value and where it came from; undefined when nothing sets it and it has no
   * default. A value from the environment or the file is checked now, naming its source.
   */
  setting<N extends OptionName>(name: N): Setting<ValueOf<N>> | undefined {
    const row = OPTIONS[name];
    const parse = (text: string, label: string): ValueOf<N> => row.kind.parse(text, label) as ValueOf<N>;
    const flag = this.flags[name];
    if (flag !== undefined) return { value: flag as ValueOf<N>, from: 'flag', label: `--${name}` };
    for (const variable of row.env) {
      const text = this.env[variable];
      if (text?.trim()) return { value: parse(text, variable), from: 'env', label: variable };
    }
    for (const key of row.keys) {
      const text = this.file.get(key);
      const label = `${key} in ${this.configFile}`;
      if (text?.trim()) return { value: parse(text, label), from: 'file', label };
    }
    return 'default' in row ? { value: row.default(this.env) as ValueOf<N>, from: 'default', label: 'the default' } : undefined;
  }
}

/**
 * The options of `command`. `flags` are yargs' parsed options (kebab case; values already checked by
 * the table's parsers); `env` is usually process.env. Reads the config file (--config, else
 * SCOREFS_CONFIG), checking its keys, and checks every value of the command's options now, before the
 * command does anything.
 */
export async function resolveOptions(command: Command, flags: Record<string, unknown>, env: NodeJS.ProcessEnv): Promise<ResolvedOptions> {
  if (flags.token !== undefined || flags['access-token'] !== undefined || flags.accessToken !== undefined) {
    throw new InvalidInput('a token is never accepted on the command line (argv is world-readable): use --token-file FILE or ACCESSTOKEN');
  }
  const configFile = new ResolvedOptions(flags, env, undefined, new Map()).get('config');
  const file = configFile === undefined ? new Map<string, string>() : await readConfigFile(configFile);
  const options = new ResolvedOptions(flags, env, configFile, file);
  for (const name of optionsOf(command)) options.setting(name);
  return options;
}
