// `scorefs cache warm PATH…`: pre-fills the cache with whole files, so a later mount reads them from
// disk. Ctrl-C stops after the reads under way; running it again resumes (cached blocks are kept).
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import type { BlockCache } from '../cache/block-cache.js';
import type { CatalogFile } from '../model.js';
import { ScoreClient } from '../score/client.js';
import { warmFiles } from '../download/warm.js';
import { selectWarmPaths } from '../download/warm-paths.js';
import { formatBytes } from '../util/progress.js';
import { cacheDirOption, openCache, resolveCacheLocation, type CacheDirArgs } from './cache-open.js';
import { parseDuration } from './mount-options.js';
import { quietLogger } from './command-errors.js';
import { connectionOptions, resolveConnection, type ConnectionArgs } from './connection-options.js';
import { runInterruptible } from './interrupt.js';
import { COUNT, durationOption, numberOption, sizeOption } from './option-values.js';

interface WarmArgs extends CacheDirArgs, ConnectionArgs {
  paths: string[];
  parallel: number;
  accessLease?: string;
}

export const warmCommand: CommandModule<object, WarmArgs> = {
  command: 'warm <paths..>',
  describe: 'Fetch whole files into the cache: object ids, analysisId/fileName, or paths under a scorefs mount',
  builder: (y: Argv) =>
    cacheDirOption(connectionOptions(y))
      .positional('paths', { type: 'string', array: true, describe: 'what to warm' })
      .option('cache-size', sizeOption('cache-size', { describe: 'disk cache bound, as the mount uses it (e.g. 50G; default 10G)' }))
      .option('parallel', numberOption('parallel', COUNT, '8', { default: 8, describe: 'steps of 8 MiB in flight (range GETs: as many as the link rewards, up to connections)' }))
      .option('access-lease', durationOption('access-lease', { describe: 'how long an offline mount may serve a warmed controlled file to this token (default 24h)' })) as unknown as Argv<WarmArgs>,
  handler: async (args: ArgumentsCamelCase<WarmArgs>) => {
    quietLogger();
    await runInterruptible('warm: stopping after the reads under way (Ctrl-C again to quit at once)', async (signal, atExit) => {
      const leaseMs = parseDuration(args.accessLease ?? (process.env.SCOREFS_ACCESS_LEASE || '24h'), 'access-lease');
      const location = await resolveCacheLocation(args, process.env);
      const client = new ScoreClient(await resolveConnection(args, process.env));
      atExit(() => client.close());
      const source = client.source;
      const { readDeadlineMs, connections } = client.config;
      const open = (): Promise<BlockCache> =>
        openCache({ dir: location.dir, source, memoryBytes: 0, readDeadlineMs, fetchConcurrency: connections, ...(location.sizeBytes !== undefined ? { diskBytes: location.sizeBytes } : {}) });
      await (await open()).close(); // a cache in use by a mount says so before any network work

      const catalog = await client.fetchCatalog({ signal });
      const selection = selectWarmPaths(catalog, args.paths.map(String));
      for (const note of selection.notes) process.stderr.write(`scorefs: ${note}\n`);
      const allowedAt = new Map<CatalogFile, number>(); // controlled files Score let this token read, and when
      const describe = async (file: CatalogFile) => {
        const checksums = await client.describe(file, { signal });
        if (file.access !== 'open') allowedAt.set(file, Date.now());
        return checksums;
      };
      const r = await warmFiles(selection.files, { openCache: open, parallel: args.parallel, signal, describe });
      const after = await open();
      try {
        // names for `cache stats`, listing for offline mounts (with the MD5s learned for the warmed files)
        await after.saveCatalog(catalog);
        // warmed to be read offline: an offline mount serves controlled files to this token within these leases
        const leases = after.leasesOf(client.config.token);
        for (const [file, at] of allowedAt) await leases.grant(file.id, at + leaseMs);
      } finally {
        await after.close();
      }
      for (const { file, error } of r.failed) {
        process.stderr.write(`scorefs: ${file.analysisId}/${file.fileName}: ${error instanceof Error ? error.message : String(error)}\n`);
      }
      process.stdout.write(
        `warm: ${r.complete.length} of ${selection.files.length} file(s) complete in ${location.dir}; ` +
          `${formatBytes(r.bytesFromNetwork)} fetched, ${formatBytes(r.bytesCached)} were cached already\n`,
      );
      if (r.interrupted) {
        process.stderr.write('scorefs: interrupted: run the same command again to go on (cached blocks are not fetched again)\n');
        process.exitCode = 130;
      } else if (r.failed.length > 0 || r.incomplete.length > 0) {
        if (r.incomplete.length > 0) process.stderr.write(`scorefs: ${r.incomplete.length} file(s) could not be kept whole: is the cache full (--cache-size, free disk space)?\n`);
        process.exitCode = 1;
      }
    });
  },
};
