// `scorefs serve`: runs the local Score + SONG compatible server (src/server/) until SIGTERM/SIGINT.
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { startScoreServer } from '../server/server.js';
import { reportFailure } from './command-errors.js';

interface ServeArgs {
  data: string;
  host: string;
  port: number;
  tokens?: string;
  urlTtl: number;
  partSize: number;
  objectBaseUrl?: string;
  enableTestControls: boolean;
}

export const serveCommand: CommandModule<object, ServeArgs> = {
  command: 'serve',
  describe: 'Run a local Score + SONG compatible server over a data directory',
  builder: (yargs: Argv) =>
    yargs
      .usage('$0 serve --data DIR [options]\n\nServes DIR/<studyId>/<analysisId>/<fileName> as Score (STORAGE_URL) and SONG (METADATA_URL) on one origin.')
      .option('data', { type: 'string', demandOption: true, describe: 'data directory: DIR/<studyId>/<analysisId>/<fileName>' })
      .option('host', { type: 'string', default: '127.0.0.1', describe: 'address to listen on' })
      .option('port', { type: 'number', default: 0, describe: 'port to listen on (0 = a free port)' })
      .option('tokens', { type: 'string', describe: 'JSON file of token → [scopes]; enables access control' })
      .option('url-ttl', { type: 'number', default: 86400, describe: 'lifetime of presigned object URLs, in seconds' })
      .option('part-size', { type: 'number', default: 20971520, describe: 'part size of download specifications, in bytes' })
      .option('object-base-url', { type: 'string', describe: 'hand out object URLs on this origin, which serves DIR as static files' })
      .option('enable-test-controls', { type: 'boolean', default: false, describe: 'enable the /-/faults switchboard (tests only)' })
      .check((a) => {
        if (!Number.isSafeInteger(a.port) || a.port < 0 || a.port > 65535) throw new Error('--port must be an integer in 0..65535');
        if (!Number.isSafeInteger(a['url-ttl']) || a['url-ttl'] < 1) throw new Error('--url-ttl must be a positive integer');
        if (!Number.isSafeInteger(a['part-size']) || a['part-size'] < 1) throw new Error('--part-size must be a positive integer');
        const base = a['object-base-url'];
        if (base !== undefined && !/^https?:\/\/[^/?#]+(\/[^?#]*)?$/.test(base)) throw new Error('--object-base-url must be an http(s) URL');
        return true;
      }) as unknown as Argv<ServeArgs>,
  handler: async (args: ArgumentsCamelCase<ServeArgs>) => {
    let server;
    try {
      server = await startScoreServer({
        data: args.data,
        host: args.host,
        port: args.port,
        tokensFile: args.tokens,
        urlTtlSeconds: args.urlTtl,
        partSize: args.partSize,
        objectBaseUrl: args.objectBaseUrl,
        testControls: args.enableTestControls,
      });
    } catch (err) {
      reportFailure(err);
      return;
    }
    // Signal handlers go in before the ready line: a supervisor may stop us as soon as it reads it.
    const stopped = new Promise<void>((resolve) => {
      const stop = (): void => {
        process.off('SIGTERM', stop);
        process.off('SIGINT', stop);
        void server.close().then(resolve);
      };
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
    });
    process.stdout.write(`scorefs serve: listening on ${server.url}\n  STORAGE_URL=${server.url}\n  METADATA_URL=${server.url}\n`);
    await stopped;
    process.exit(0);
  },
};
