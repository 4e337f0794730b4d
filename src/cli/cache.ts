// `scorefs cache stats|verify|clear|warm`: the persistent cache, inspected and handled without a mount.
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import type { BlockCache } from '../cache/block-cache.js';
import type { Catalog } from '../model.js';
import { formatBytes } from '../util/progress.js';
import { NO_NETWORK, openCache } from './cache-open.js';
import { warmCommand } from './cache-warm.js';
import { quietLogger, reportFailure } from './command-errors.js';
import { declareOptions } from './options/declare.js';
import { resolveOptions } from './options/resolve.js';

interface StatsArgs {
  json: boolean;
}

interface ClearArgs {
  objectIds: string[];
}

/** Runs `fn` on the existing cache opened offline (no object bytes fetched; none created), closing it after. */
async function withCache(args: object, fn: (cache: BlockCache, dir: string) => Promise<void>): Promise<void> {
  quietLogger();
  let cache: BlockCache | undefined;
  try {
    const dir = (await resolveOptions('cache', args as Record<string, unknown>, process.env)).get('cache-dir');
    cache = await openCache({ dir, source: NO_NETWORK, memoryBytes: 0, create: false });
    await fn(cache, dir);
  } catch (err) {
    reportFailure(err);
  } finally {
    await cache?.close();
  }
}

const statsCommand: CommandModule<object, StatsArgs> = {
  command: 'stats',
  describe: 'What the cache holds, per object and in total',
  builder: (y: Argv) => declareOptions(y, 'cache').option('json', { type: 'boolean', default: false, describe: 'machine-readable output' }) as unknown as Argv<StatsArgs>,
  handler: (args: ArgumentsCamelCase<StatsArgs>) =>
    withCache(args, async (cache, dir) => {
      const names = fileNames(await cache.loadCatalog());
      const objects = (await cache.objects()).map((o) => ({
        id: o.obj.id,
        file: names.get(o.obj.id) ?? null,
        size: o.obj.size,
        cachedBytes: o.cachedBytes,
        blocks: o.blocks,
        ranges: o.ranges,
        complete: o.complete,
      }));
      objects.sort((a, b) => (a.file ?? '~').localeCompare(b.file ?? '~') || a.id.localeCompare(b.id));
      const total = {
        objects: objects.length,
        complete: objects.filter((o) => o.complete).length,
        cachedBytes: objects.reduce((s, o) => s + o.cachedBytes, 0),
        blocks: objects.reduce((s, o) => s + o.blocks, 0),
        ranges: objects.reduce((s, o) => s + o.ranges, 0),
      };
      if (args.json) {
        process.stdout.write(`${JSON.stringify({ cacheDir: dir, objects, total }, null, 2)}\n`);
        return;
      }
      if (objects.length === 0) {
        process.stdout.write(`the cache ${dir} holds no object bytes\n`);
        return;
      }
      const rows = objects.map((o) => [o.id, o.file ?? '-', formatBytes(o.cachedBytes), formatBytes(o.size), String(o.blocks), String(o.ranges), o.complete ? 'yes' : 'no']);
      process.stdout.write(table(['OBJECT', 'FILE', 'CACHED', 'SIZE', 'BLOCKS', 'RANGES', 'COMPLETE'], rows));
      process.stdout.write(`total: ${total.objects} object(s), ${total.complete} complete, ${formatBytes(total.cachedBytes)} in ${total.blocks} block(s)${andRanges(total.ranges)} (${dir})\n`);
    }),
};

const verifyCommand: CommandModule = {
  command: 'verify',
  describe: 'Re-check every block checksum and the MD5 of every complete object; drop what fails',
  builder: (y: Argv) => declareOptions(y, 'cache'),
  handler: (args: ArgumentsCamelCase) =>
    withCache(args, async (cache) => {
      const names = fileNames(await cache.loadCatalog());
      const label = (id: string): string => (names.has(id) ? `${id} (${names.get(id)})` : id);
      const report = await cache.verify();
      process.stdout.write(`checked ${report.checkedBlocks} block(s)${andRanges(report.checkedRanges)} of ${report.objects.length} object(s)\n`);
      for (const o of report.objects) {
        if (o.md5Failed.length > 0) {
          process.stdout.write(`BAD: object ${label(o.id)}: cached bytes do not match Score's MD5; dropped (they will be fetched again)\n`);
        } else if (o.badBlocks > 0) {
          process.stdout.write(`BAD: object ${label(o.id)}: ${o.badBlocks} block(s) failed their checksum or were missing; dropped (they will be fetched again)\n`);
        }
      }
      const md5Failures = report.objects.filter((o) => o.md5Failed.length > 0).length;
      if (report.badBlocks > 0 || md5Failures > 0) {
        process.stdout.write(`verify: ${report.badBlocks} bad block(s), ${md5Failures} object(s) failing MD5\n`);
        process.exitCode = 1;
      } else {
        process.stdout.write('verify: all good\n');
      }
    }),
};

const clearCommand: CommandModule<object, ClearArgs> = {
  command: 'clear [object-ids..]',
  describe: 'Empty the cache, or drop only the named objects',
  builder: (y: Argv) =>
    declareOptions(y, 'cache').positional('object-ids', { type: 'string', array: true, default: [], describe: 'object ids (default: everything)' }) as unknown as Argv<ClearArgs>,
  handler: (args: ArgumentsCamelCase<ClearArgs>) =>
    withCache(args, async (cache, dir) => {
      const ids = args.objectIds.map(String);
      const cached = await cache.objects();
      const dropped = ids.length ? cached.filter((o) => ids.includes(o.obj.id)) : cached;
      for (const id of ids) if (!cached.some((o) => o.obj.id === id)) process.stderr.write(`scorefs: object ${id} is not in the cache\n`);
      await cache.clear(ids.length ? ids : undefined);
      const bytes = dropped.reduce((s, o) => s + o.cachedBytes, 0);
      process.stdout.write(`cleared ${dropped.length} object(s), ${formatBytes(bytes)} (${dir})\n`);
    }),
};

export const cacheCommand: CommandModule = {
  command: 'cache',
  describe: 'Inspect (stats), check (verify), empty (clear) or pre-fill (warm PATH…) the persistent cache',
  builder: (y: Argv) =>
    y
      .command(statsCommand)
      .command(verifyCommand)
      .command(clearCommand)
      .command(warmCommand)
      .demandCommand(1, 'Name a cache command: stats, verify, clear or warm.'),
  handler: () => undefined,
};

/** " and N small range(s)" after a count of blocks, when there are any. */
function andRanges(n: number): string {
  return n > 0 ? ` and ${n} small range(s)` : '';
}

/** "analysisId/fileName" by object id, from the catalog snapshot the cache keeps. */
function fileNames(catalog: Catalog | undefined): Map<string, string> {
  return new Map((catalog?.files ?? []).map((f) => [f.id, `${f.analysisId}/${f.fileName}`]));
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const right = new Set([2, 3, 4]);
  const line = (cells: string[]): string => cells.map((c, i) => (right.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [header, ...rows].map(line).join('\n') + '\n';
}
