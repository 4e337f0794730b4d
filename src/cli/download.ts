// `scorefs download`: score-client's download (same options, layouts and skip/force rules), through
// ranged GETs in parallel, resumable after a kill, with the whole-file MD5 checked against Score's.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { downloadTargets } from '../download/downloader.js';
import { OUTPUT_LAYOUTS, type OutputLayout } from '../download/output-layout.js';
import { resolveTargets } from '../download/targets.js';
import { InvalidInput } from '../errors.js';
import { ScoreClient } from '../score/client.js';
import { readManifest } from '../score/manifest.js';
import { formatBytes } from '../util/progress.js';
import { quietLogger } from './command-errors.js';
import { connectionOptions, resolveConnection, type ConnectionArgs } from './connection-options.js';
import { runInterruptible } from './interrupt.js';
import { COUNT, LENGTH, numberOption, OFFSET } from './option-values.js';

interface DownloadArgs extends ConnectionArgs {
  objectId?: string[];
  manifest?: string;
  analysisId?: string;
  studyId?: string;
  outputDir: string;
  outputLayout: OutputLayout;
  index: boolean;
  force: boolean;
  validate: boolean;
  offset?: number;
  length?: number;
  parallel?: number;
  verifyConnection: boolean;
}


export const downloadCommand: CommandModule<object, DownloadArgs> = {
  command: 'download',
  describe: "Download objects to files (score-client's download: parallel, resumable, MD5-validated)",
  builder: (y: Argv) =>
    connectionOptions(y)
      .usage('$0 download (--object-id ID… | --manifest FILE | --analysis-id A --study-id S) --output-dir DIR [options]')
      .option('object-id', { type: 'string', array: true, describe: 'object ids to download' })
      .option('manifest', { type: 'string', describe: 'score-client download manifest (TSV file)' })
      .option('analysis-id', { type: 'string', describe: 'every file of this analysis (with --study-id)' })
      .option('study-id', { type: 'string', alias: 'program-id', describe: 'the study of --analysis-id' })
      .option('output-dir', { type: 'string', demandOption: true, describe: 'where the files go' })
      .option('output-layout', { type: 'string', choices: OUTPUT_LAYOUTS, default: 'filename', describe: 'filename: DIR/<fileName>; bundle: DIR/<analysisId>/<fileName>; id: DIR/<objectId>' })
      .option('index', { type: 'boolean', default: true, describe: 'also download the paired .bai/.crai/.csi/.tbi' })
      .option('force', { type: 'boolean', default: false, describe: 'download again files that exist' })
      .option('validate', { type: 'boolean', default: true, describe: "check each file's MD5 against Score's" })
      .option('offset', numberOption('offset', OFFSET, '1048576', { describe: 'first byte to download (one object only)' }))
      .option('length', numberOption('length', LENGTH, '65536', { describe: 'bytes to download from --offset (-1 = to the end)' }))
      .option('parallel', numberOption('parallel', COUNT, '4', { describe: 'most ranged GETs in flight (env TRANSPORT_PARALLEL; default: connections, 8)' }))
      .option('verify-connection', { type: 'boolean', default: true, describe: 'check that Score and SONG answer before starting' }) as unknown as Argv<DownloadArgs>,
  handler: async (args: ArgumentsCamelCase<DownloadArgs>) => {
    quietLogger();
    await runInterruptible('download: stopping; run the same command again to resume (Ctrl-C again to quit at once)', async (signal, atExit) => {
      const ranged = args.offset !== undefined || args.length !== undefined;
      const objectIds = (args.objectId ?? []).map(String);
      const sources = [objectIds.length > 0, args.manifest !== undefined, args.analysisId !== undefined].filter(Boolean).length;
      if (sources !== 1) throw new InvalidInput('name what to download with exactly one of --object-id, --manifest, or --analysis-id with --study-id');
      if (ranged && (objectIds.length !== 1 || args.manifest !== undefined)) throw new InvalidInput('--offset/--length apply to a single --object-id');
      const parallelRaw = args.parallel ?? (process.env.TRANSPORT_PARALLEL?.trim() ? Number(process.env.TRANSPORT_PARALLEL) : undefined);
      if (parallelRaw !== undefined && (!Number.isInteger(parallelRaw) || parallelRaw < 1)) throw new InvalidInput('--parallel (or TRANSPORT_PARALLEL) must be a positive integer');

      const client = new ScoreClient(await resolveConnection(args, process.env));
      atExit(() => client.close());
      if (args.verifyConnection) await client.checkConnection({ signal });
      const ids = args.manifest !== undefined ? [...(await readManifest(args.manifest))] : objectIds;
      const targets = await resolveTargets(
        client.api,
        { objectIds: ids, analysisId: args.analysisId, studyId: args.studyId, index: args.index && !ranged },
        { signal },
      );
      const outputDir = path.resolve(args.outputDir);
      await mkdir(outputDir, { recursive: true });
      const r = await downloadTargets(client.source, targets, {
        outputDir,
        layout: args.outputLayout,
        force: args.force,
        validate: args.validate,
        parallel: parallelRaw ?? client.config.connections,
        chunkDeadlineMs: client.config.readDeadlineMs,
        ...(ranged ? { range: { offset: args.offset ?? 0, ...(args.length !== undefined ? { length: args.length } : {}) } } : {}),
        signal,
      });
      for (const d of r.downloaded) process.stdout.write(`${d.dest}\t${VALIDATION_WORDS[d.validation]}\n`);
      const resumed = r.bytesResumed > 0 ? ` (${formatBytes(r.bytesResumed)} resumed from an earlier run)` : '';
      process.stdout.write(
        `download: ${r.downloaded.length} downloaded, ${r.skipped.length} skipped, ${r.failed.length} failed; ${formatBytes(r.bytesFetched)} fetched${resumed}\n`,
      );
      if (signal.aborted) {
        process.stderr.write('scorefs: interrupted: run the same command again to resume\n');
        process.exitCode = 130;
      } else if (r.failed.length > 0) {
        process.exitCode = 1;
      }
    });
  },
};

const VALIDATION_WORDS = {
  'md5-ok': 'MD5 ok',
  'no-md5': 'not validated: Score has no MD5 for it',
  partial: 'not validated: a byte range',
  off: 'not validated (--validate false)',
} as const;
