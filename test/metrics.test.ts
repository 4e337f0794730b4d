// The mount's Prometheus text: every sample line is `name{labels} value` with a HELP and TYPE line
// before it, counters end in _total, the metrics server serves it fresh on each scrape, and a real
// mount's FUSE reads show in the read latency histogram, beside the process's own CPU and memory.
import test from 'ava';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { BlockCache } from '../src/cache/block-cache.js';
import { MountMetrics } from '../src/metrics/mount-metrics.js';
import { startMetricsServer } from '../src/metrics/server.js';
import { exec } from './helpers/exec.js';
import { FileRangeSource } from './helpers/file-range-source.js';
import { mountScorefs } from './helpers/mount.js';
import { freePort } from './helpers/ports.js';
import { SAMPLE, sampleData } from './helpers/sample-data.js';
import { startServer } from './helpers/server.js';
import { tempDir } from './helpers/tmp.js';

const SAMPLE_LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*")(,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*")*\})? (-?(?:\d+(?:\.\d+)?(?:e[+-]?\d+)?|NaN|\+Inf|-Inf))$/;

interface Parsed {
  samples: Map<string, number>;
  types: Map<string, string>;
}

/** Parses the exposition text strictly; throws on any line that is not a comment or a sample. */
function parse(text: string): Parsed {
  const samples = new Map<string, number>();
  const types = new Map<string, string>();
  const helped = new Set<string>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const type = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram)$/.exec(line);
    if (type) {
      types.set(type[1]!, type[2]!);
      continue;
    }
    const help = /^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) .+$/.exec(line);
    if (help) {
      helped.add(help[1]!);
      continue;
    }
    const m = SAMPLE_LINE.exec(line);
    if (!m) throw new Error(`not a Prometheus sample line: ${JSON.stringify(line)}`);
    const histogram = /^(.*)_(bucket|sum|count)$/.exec(m[1]!)?.[1];
    const family = histogram && types.get(histogram) === 'histogram' ? histogram : m[1]!;
    if (!types.has(family) || !helped.has(family)) throw new Error(`${m[1]} has no TYPE/HELP before its sample`);
    samples.set(`${m[1]}${m[2] ?? ''}`, Number(m[m.length - 1]));
  }
  return { samples, types };
}

test('a stats document renders as valid Prometheus text, counters and gauges as declared', async (t) => {
  const cache = await BlockCache.open({ dir: await tempDir(t), source: new FileRangeSource(new Map()), minFreeBytes: 0 });
  t.teardown(() => cache.close());
  const doc = {
    mode: 'offline',
    files: 10,
    catalogFetchedAt: '2024-10-09T12:00:00.000Z',
    bytesRead: 1234,
    bytesFromNetwork: 56,
    cacheBytes: 4096,
    cache: { ...cache.stats(), bytesFromDisk: 7, networkRequests: 3, source: { retries: 2 } },
  };
  const { samples, types } = parse(await new MountMetrics(() => doc).render());
  t.is(samples.get('scorefs_bytes_read_total'), 1234);
  t.is(types.get('scorefs_bytes_read_total'), 'counter');
  t.is(samples.get('scorefs_bytes_from_network_total'), 56);
  t.is(samples.get('scorefs_cache_bytes_from_disk_total'), 7);
  t.is(samples.get('scorefs_cache_network_requests_total'), 3);
  t.is(samples.get('scorefs_cache_source_retries_total'), 2);
  t.is(types.get('scorefs_cache_evictions_total'), 'counter');
  t.is(types.get('scorefs_cache_md5_failures_total'), 'counter');
  t.is(types.get('scorefs_cache_buffers_reused_total'), 'counter');
  t.is(samples.get('scorefs_cache_disk_capacity_bytes'), cache.stats().diskCapacityBytes);
  t.is(types.get('scorefs_cache_disk_capacity_bytes'), 'gauge');
  t.is(types.get('scorefs_cache_bytes'), 'gauge');
  t.is(samples.get('scorefs_files'), 10);
  t.is(samples.get('scorefs_mode{mode="offline"}'), 1);
  t.is(samples.get('scorefs_catalog_fetched_at_timestamp_seconds'), Date.parse('2024-10-09T12:00:00.000Z') / 1000);
  t.is(types.get('scorefs_fuse_read_duration_seconds'), 'histogram');
  t.false(samples.has('scorefs_requests_total'), 'a number the document lacks is left out');
});

test("a real BlockCache's stats render; the server scrapes them fresh on 127.0.0.1", async (t) => {
  const file = path.join(sampleData(), SAMPLE.study, SAMPLE.bamAnalysis, 'ex1.bam');
  const size = (await stat(file)).size;
  const obj = { id: 'obj-1', size, md5: null, lastModified: 1 };
  const cache = await BlockCache.open({ dir: await tempDir(t), source: new FileRangeSource(new Map([['obj-1', file]])), minFreeBytes: 0 });
  t.teardown(() => cache.close());

  const server = await startMetricsServer(0, new MountMetrics(() => ({ cache: cache.stats() })));
  t.teardown(() => server.close());
  t.regex(server.url, /^http:\/\/127\.0\.0\.1:\d+$/);

  const scrape = async () => {
    const res = await fetch(`${server.url}/metrics`);
    t.is(res.status, 200);
    t.regex(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    return parse(await res.text());
  };
  const before = await scrape();
  t.is(before.samples.get('scorefs_cache_bytes_read_total'), 0);
  await cache.read(obj, 0, 10_000);
  const after = await scrape();
  t.is(after.samples.get('scorefs_cache_bytes_read_total'), 10_000);
  t.is(after.samples.get('scorefs_cache_bytes_from_network_total'), 10_000);
  t.is(after.types.get('scorefs_cache_memory_capacity_bytes'), 'gauge');

  t.is((await fetch(`${server.url}/other`)).status, 404);
});

test('a metrics port in use is a clear error', async (t) => {
  const metrics = new MountMetrics(() => ({}));
  const first = await startMetricsServer(0, metrics);
  t.teardown(() => first.close());
  await t.throwsAsync(startMetricsServer(first.port, metrics), { message: new RegExp(`cannot serve metrics on 127\\.0\\.0\\.1:${first.port}: the port is in use by another program \\(EADDRINUSE\\): pick another --metrics-port`) });
});

/** At the default readahead (128 KiB) FUSE hands a read to the daemon in requests of at most this many bytes. */
const FUSE_MAX_READ = 128 * 1024;

test('a mount with --metrics-port counts every FUSE read in its latency histogram, and reports its own CPU and memory', async (t) => {
  const data = sampleData();
  const server = await startServer(t, { data });
  const port = await freePort();
  const mount = await mountScorefs(t, { serverUrl: server.url, extraArgs: ['--metrics-port', String(port)] });
  const scrape = async () => {
    const res = await fetch(`http://127.0.0.1:${port}/metrics`);
    t.is(res.status, 200);
    return parse(await res.text());
  };
  t.is((await scrape()).samples.get('scorefs_fuse_read_duration_seconds_count{result="ok"}') ?? 0, 0);

  // A file not read before is not in the page cache: each of its 128 KiB spans is at least one FUSE read.
  let atLeast = 0;
  let bytes = 0;
  const files = [
    [SAMPLE.bamAnalysis, 'ex1.bam'],
    [SAMPLE.bamAnalysis, 'ex1.bam.bai'],
    [SAMPLE.cramAnalysis, 'ex1.cram'],
    [SAMPLE.cramAnalysis, 'ex1.cram.crai'],
  ] as const;
  for (const [analysis, file] of files) {
    const { size } = await stat(path.join(data, SAMPLE.study, analysis, file));
    const r = await exec('cat', [path.join(mount.mnt, analysis, file)]);
    t.is(r.code, 0, r.stderr);
    atLeast += Math.ceil(size / FUSE_MAX_READ);
    bytes += size;
  }

  const { samples, types } = await scrape();
  t.is(types.get('scorefs_fuse_read_duration_seconds'), 'histogram');
  const count = samples.get('scorefs_fuse_read_duration_seconds_count{result="ok"}') ?? 0;
  t.true(count >= atLeast, `${count} reads counted, at least ${atLeast} made`);
  t.is(samples.get('scorefs_fuse_read_duration_seconds_bucket{le="+Inf",result="ok"}'), count);
  t.true((samples.get('scorefs_fuse_read_duration_seconds_sum{result="ok"}') ?? 0) > 0);
  t.true((samples.get('scorefs_bytes_read_total') ?? 0) >= bytes);
  t.is(samples.get('scorefs_mode{mode="online"}'), 1);
  // What the daemon costs the machine, from the process itself (its pid is the mount's).
  const rss = Number((await readFile(`/proc/${mount.pid}/status`, 'utf8')).match(/^VmRSS:\s+(\d+) kB/m)![1]) * 1024;
  const reported = samples.get('process_resident_memory_bytes') ?? 0;
  t.true(reported > rss / 2 && reported < rss * 2, `resident memory ${reported} B, /proc says ${rss} B`);
  t.true((samples.get('process_cpu_seconds_total') ?? 0) > 0);
  t.true((samples.get('nodejs_heap_size_used_bytes') ?? 0) > 0);
});
