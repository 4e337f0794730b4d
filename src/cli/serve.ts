// `scorefs serve`: placeholder until src/server/ lands (issue 2).
import type { CommandModule } from 'yargs';

export const serveCommand: CommandModule = {
  command: 'serve',
  describe: 'Run a local Score + SONG compatible server over a data directory',
  handler: () => {
    throw new Error('serve: not implemented yet');
  },
};
