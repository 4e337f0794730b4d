// The scorefs command line: one module per command, this file only wires them into yargs.
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { cacheCommand } from './cache.js';
import { downloadCommand } from './download.js';
import { installSystemdCommand } from './install-systemd.js';
import { mountCommand } from './mount.js';
import { serveCommand } from './serve.js';
import { unmountCommand } from './unmount.js';

export async function main(argv: string[]): Promise<void> {
  await yargs(hideBin(argv))
    .scriptName('scorefs')
    .command(mountCommand)
    .command(unmountCommand)
    .command(serveCommand)
    .command(cacheCommand)
    .command(downloadCommand)
    .command(installSystemdCommand)
    .demandCommand(1, 'Name a command: scorefs --help lists them.')
    .strict()
    .help()
    .alias('h', 'help')
    .version()
    .wrap(Math.min(110, process.stdout.columns || 100))
    .fail((msg, err) => {
      if (err) throw err;
      process.stderr.write(`scorefs: ${msg}\nRun scorefs --help for usage.\n`);
      process.exit(2);
    })
    .parseAsync();
}
