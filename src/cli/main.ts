// The scorefs command line: one module per command, this file only wires them into yargs.
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { cacheCommand } from './cache.js';
import { downloadCommand } from './download.js';
import { InvalidInput } from '../errors.js';
import { installSystemdCommand } from './install-systemd.js';
import { mountCommand } from './mount.js';
import { checkOptionValues } from './option-values.js';
import { serveCommand } from './serve.js';
import { unmountCommand } from './unmount.js';

export async function main(argv: string[]): Promise<void> {
  try {
    await parse(argv);
  } catch (err) {
    if (!(err instanceof InvalidInput)) throw err;
    usageError(err.message); // a bad option value (option-values.ts)
  }
}

function parse(argv: string[]): Promise<unknown> {
  return yargs(hideBin(argv))
    .scriptName('scorefs')
    .command(mountCommand)
    .command(unmountCommand)
    .command(serveCommand)
    .command(cacheCommand)
    .command(downloadCommand)
    .command(installSystemdCommand)
    .demandCommand(1, 'Name a command: scorefs --help lists them.')
    .middleware(checkOptionValues, true)
    .strict()
    .help()
    .alias('h', 'help')
    .version()
    .wrap(Math.min(110, process.stdout.columns || 100))
    .fail((msg, err) => {
      // yargs' own errors (YError: a value missing, a coerce in option-values.ts refusing one) are usage errors
      if (err && err.name !== 'YError') throw err;
      usageError(err?.message ?? msg);
    })
    .parseAsync();
}

function usageError(text: string): never {
  process.stderr.write(`scorefs: ${text}\nRun scorefs --help for usage.\n`);
  process.exit(2);
}
