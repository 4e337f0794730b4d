// Prometheus text from a stats object: every sample line is `name{labels} value` with a HELP and TYPE
// line before it, counters end in _total, and the metrics server serves it fresh on each scrape.
import test from 'ava';
import path from 'node:path';
import { BlockCache } from '../src/cache/block-cache.js';
import { renderPrometheus } from '../src/metrics/prometheus.js';
import { startMetricsServer } from '../src/metrics/server.js';
import { FileRangeSource } from './helpers/file-range-source.js';
import { SAMPLE, sampleData } from './helpers/sample-data.js';
import { tempDir } from './helpers/tmp.js';
import { stat } from 'node:fs/promises';

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
    const type = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge)$/.exec(line);
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
    if (!types.has(m[1]!) || !helped.has(m[1]!)) throw new Error(`${m[1]} has no TYPE/HELP before its sample`);
    samples.set(`${m[1]}${m[2] ?? ''}`, Number(m[m.length - 1]));
  }
  return { samples, types };
}

test('a nested stats document renders as valid Prometheus text with counters and gauges', (t) => {
  const text = renderPrometheus({
    mode: 'offline',
    files: 10,
    catalogFetchedAt: '2024-10-09T12:00:00.000Z',
    bytesRead: 1234,
    cacheBytes: 4096,
    healthy: true,
    ratio: 0.25,
    missing: null,
    list: [1, 2],
    cache: { bytesFromDisk: 7, networkRequests: 3, diskCapacityBytes: 10737418240, evictions: 0 },
    note: 'say "hi"\\ now',
  });
  const { samples, types } = parse(text);
  t.is(samples.get('scorefs_bytes_read_total'), 1234);
  t.is(types.get('scorefs_bytes_read_total'), 'counter');
  t.is(samples.get('scorefs_cache_bytes_from_disk_total'), 7);
  t.is(samples.get('scorefs_cache_network_requests_total'), 3);
  t.is(types.get('scorefs_cache_evictions_total'), 'counter');
  t.is(samples.get('scorefs_cache_disk_capacity_bytes'), 10737418240);
  t.is(types.get('scorefs_cache_disk_capacity_bytes'), 'gauge');
  t.is(types.get('scorefs_cache_bytes'), 'gauge');
  t.is(samples.get('scorefs_files'), 10);
  t.is(samples.get('scorefs_healthy'), 1);
  t.is(samples.get('scorefs_ratio'), 0.25);
  t.is(samples.get('scorefs_mode{mode="offline"}'), 1);
  t.is(samples.get('scorefs_note{note="say \\"hi\\"\\\\ now"}'), 1);
  t.is(samples.get('scorefs_catalog_fetched_at_timestamp_seconds'), Date.parse('2024-10-09T12:00:00.000Z') / 1000);
  t.false(text.includes('missing') || text.includes('list'), 'nulls and arrays are left out');
});

test("a real BlockCache's stats render; the server scrapes them fresh on 127.0.0.1", async (t) => {
  const file = path.join(sampleData(), SAMPLE.study, SAMPLE.bamAnalysis, 'ex1.bam');
  const size = (await stat(file)).size;
  const obj = { id: 'obj-1', size, md5: null, lastModified: 1 };
  const cache = await BlockCache.open({ dir: await tempDir(t), source: new FileRangeSource(new Map([['obj-1', file]])), minFreeBytes: 0 });
  t.teardown(() => cache.close());

  const server = await startMetricsServer(0, () => ({ cache: cache.stats() }));
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
  const first = await startMetricsServer(0, () => ({}));
  t.teardown(() => first.close());
  await t.throwsAsync(startMetricsServer(first.port, () => ({})), { message: new RegExp(`cannot serve metrics on 127\\.0\\.0\\.1:${first.port}: the port is in use by another program \\(EADDRINUSE\\): pick another --metrics-port`) });
});
