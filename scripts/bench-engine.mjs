#!/usr/bin/env node
// Read-engine benchmark (ScoreRangeSource + BlockCache) against `scorefs serve` on 127.0.0.1, each
// figure next to its baseline measured in the same run:
//   cold sequential read through a stream (1 MiB reads)  vs  a plain undici GET of the external URL
//     (with this process's CPU seconds per GiB for each: the machine's cores are shared with the server)
//   warm read from the disk tier (a new cache over it)    vs  fs reads (1 MiB) of the local file
//   64 concurrent random 64 KiB reads, cold and warm: latency p50/p99, throughput
//   peak RSS of this process (the engine's; the undici baseline runs in a child process).
// Usage: npm run build && node scripts/bench-engine.mjs [FILE]   (default: a fresh 1 GiB random file)
// Env: RUNS (default 2) sequential runs per pair, RANDOM_READS (default 2000), MEMORY_MIB (memory tier
// size for the cold and random runs; default the cache's 64 MiB).
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { link, copyFile, mkdir, mkdtemp, open, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import v8 from 'node:v8';
import vm from 'node:vm';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execFileSync } from 'node:child_process';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { BlockCache } = await import(path.join(repo, 'build/src/cache/block-cache.js'));
const { ScoreClient } = await import(path.join(repo, 'build/src/score/client.js'));
const { CLIENT_DEFAULTS } = await import(path.join(repo, 'build/src/score/config.js'));

const MiB = 1024 * 1024;
const RUNS = Number(process.env.RUNS ?? 2);
// Each phase opens a cache of its own; collect the last one's garbage before the next starts, so the
// peak RSS is that of one cache at work, not of several waiting for the GC.
v8.setFlagsFromString('--expose-gc');
const collectGarbage = vm.runInNewContext('gc');
const RANDOM_READS = Number(process.env.RANDOM_READS ?? 2000);
const work = await mkdtemp(path.join(os.tmpdir(), 'scorefs-bench-engine-'));
let server;

try {
  // Data: DIR/BENCH/AN-BENCH/<name>
  const folder = path.join(work, 'data', 'BENCH', 'AN-BENCH');
  await mkdir(folder, { recursive: true });
  let file;
  if (process.argv[2]) {
    file = path.join(folder, path.basename(process.argv[2]));
    await link(path.resolve(process.argv[2]), file).catch(() => copyFile(path.resolve(process.argv[2]), file));
  } else {
    file = path.join(folder, 'big.bin');
    execFileSync('bash', ['-c', `head -c 1G /dev/urandom > '${file}'`]);
  }
  const size = (await stat(file)).size;
  log(`object: ${path.basename(file)}, ${(size / MiB).toFixed(0)} MiB; ${os.cpus().length} CPUs, load ${os.loadavg()[0].toFixed(1)}`);

  server = spawn(process.execPath, [path.join(repo, 'bin/scorefs'), 'serve', '--data', path.join(work, 'data'), '--host', '127.0.0.1', '--port', '0'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise((resolve, reject) => {
    let out = '';
    server.stdout.on('data', (d) => {
      out += d;
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1].replace(/\/$/, ''));
    });
    server.once('exit', (code) => reject(new Error(`scorefs serve exited ${code}`)));
  });
  server.stdout.resume();

  const client = new ScoreClient({ ...CLIENT_DEFAULTS, storageUrl: url, metadataUrl: url });
  const catalog = await client.fetchCatalog(); // also makes the server hash the file once
  const obj = catalog.files[0];
  const external = await client.urls.get({ id: obj.id, studyId: obj.studyId });

  const results = { coldEngine: [], coldBaseline: [], coldEngineCpuSecPerGiB: [], coldBaselineCpuSecPerGiB: [], warmEngine: [], warmBaseline: [] };
  for (let run = 1; run <= RUNS; run++) {
    const baseline = await undiciDownload(external, size);
    results.coldBaseline.push(baseline.mbps);
    results.coldBaselineCpuSecPerGiB.push(baseline.cpuSecPerGiB);
    const dir = path.join(work, `cache-${run}`);
    let cache = await BlockCache.open({ dir, source: client.source, minFreeBytes: 0, ...(process.env.MEMORY_MIB ? { memoryBytes: Number(process.env.MEMORY_MIB) * MiB } : {}) });
    const cold = await measure(size, () => readThroughStream(cache, obj));
    results.coldEngine.push(cold.mbps);
    results.coldEngineCpuSecPerGiB.push(cold.cpuSecPerGiB);
    // The part/object MD5 checks run in the background; let them finish (a mount would) before closing.
    const t0 = Date.now();
    const blocks = Math.ceil(size / MiB);
    const settled = () => cache.stats().diskBlocks + cache.stats().diskWritesSkipped >= blocks;
    while ((!settled() || (cache.stats().objectsVerified === 0 && cache.stats().diskWritesSkipped === 0)) && Date.now() - t0 < 120_000) {
      await new Promise((r) => setTimeout(r, 50));
    }
    results.skippedWrites = (results.skippedWrites ?? []).concat(cache.stats().diskWritesSkipped);
    results.verifyLagMs = (results.verifyLagMs ?? []).concat(Date.now() - t0);
    await cache.close();
    collectGarbage();
    // Warm: a new process's cache (empty memory tier, default settings) over the filled disk tier.
    cache = await BlockCache.open({ dir, source: client.source, minFreeBytes: 0 });
    results.warmEngine.push((await measure(size, () => readThroughStream(cache, obj))).mbps);
    const fromNet = cache.stats().bytesFromNetwork;
    await cache.close();
    collectGarbage();
    results.warmBaseline.push((await measure(size, () => readLocal(file))).mbps);
    log(
      `run ${run}: cold engine ${last(results.coldEngine)} MB/s vs undici ${last(results.coldBaseline)} MB/s; ` +
        `warm engine ${last(results.warmEngine)} MB/s (network bytes ${fromNet}) vs fs.read ${last(results.warmBaseline)} MB/s`,
    );
    if (run < RUNS) await rm(dir, { recursive: true, force: true });
  }

  // Random reads: cold (fresh cache) then warm (the same offsets again, memory tier on).
  const offsets = Array.from({ length: RANDOM_READS }, () => Math.floor(Math.random() * (size - 65536)));
  const rdir = path.join(work, 'cache-random');
  collectGarbage();
  const rcache = await BlockCache.open({ dir: rdir, source: client.source, minFreeBytes: 0, ...(process.env.MEMORY_MIB ? { memoryBytes: Number(process.env.MEMORY_MIB) * MiB } : {}) });
  const cold = await randomReads(rcache, obj, offsets);
  const warm = await randomReads(rcache, obj, offsets);
  const rstats = rcache.stats();
  await rcache.close();

  const rssMiB = process.resourceUsage().maxRSS / 1024;
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const summary = {
    date: new Date().toISOString().slice(0, 10),
    load: os.loadavg()[0].toFixed(1),
    sizeMiB: Math.round(size / MiB),
    ...results,
    coldRatio: (median(results.coldEngine) / median(results.coldBaseline)).toFixed(2),
    warmRatio: (median(results.warmEngine) / median(results.warmBaseline)).toFixed(2),
    randomCold: cold,
    randomWarm: warm,
    randomNetworkMiB: Math.round(rstats.networkBytes / MiB),
    memoryTierMiB: Number(process.env.MEMORY_MIB ?? 64),
    peakRssMiB: Math.round(rssMiB),
  };
  console.log(JSON.stringify(summary, null, 2));
  await client.close();
} finally {
  if (server && server.exitCode === null) {
    server.kill('SIGTERM');
    await once(server, 'exit');
  }
  await rm(work, { recursive: true, force: true });
}

function log(msg) {
  process.stderr.write(`${msg}\n`);
}

function last(xs) {
  return xs[xs.length - 1];
}

// MB/s of fn, and this process's CPU seconds per GiB for it (all threads: the MD5 worker too).
async function measure(bytes, fn) {
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const got = await fn();
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  const c = process.cpuUsage(c0);
  if (got !== bytes) throw new Error(`read ${got} bytes, expected ${bytes}`);
  return { mbps: Math.round(bytes / 1e6 / s), cpuSecPerGiB: +(((c.user + c.system) / 1e6) * (2 ** 30 / bytes)).toFixed(2) };
}

// The baseline runs in a child process, so that its memory does not count in this process's peak RSS.
async function undiciDownload(url, size) {
  const script = `
    const { request } = await import(${JSON.stringify(path.join(repo, 'node_modules/undici/index.js'))});
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    const res = await request(process.argv[1]);
    if (res.statusCode !== 200) throw new Error('GET external URL: HTTP ' + res.statusCode);
    let n = 0;
    for await (const chunk of res.body) n += chunk.length;
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    const c = process.cpuUsage(c0);
    console.log(JSON.stringify({ n, s, cpu: (c.user + c.system) / 1e6 }));`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script, url], { encoding: 'utf8' });
  const { n, s, cpu } = JSON.parse(out);
  if (n !== size) throw new Error(`baseline read ${n} bytes, expected ${size}`);
  return { mbps: Math.round(size / 1e6 / s), cpuSecPerGiB: +((cpu * 2 ** 30) / size).toFixed(2) };
}

// Into one reused buffer, as the mount reads into the kernel's (and as readLocal does).
async function readThroughStream(cache, obj) {
  const stream = cache.openStream(obj);
  const buf = Buffer.allocUnsafe(MiB);
  let n = 0;
  for (let off = 0; off < obj.size; off += MiB) n += await cache.readInto(obj, off, buf, { stream });
  stream.close();
  return n;
}

async function readLocal(file) {
  const fh = await open(file, 'r');
  const buf = Buffer.allocUnsafe(MiB);
  let n = 0;
  try {
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, MiB, n);
      if (bytesRead === 0) return n;
      n += bytesRead;
    }
  } finally {
    await fh.close();
  }
}

async function randomReads(cache, obj, offsets) {
  const latencies = [];
  let next = 0;
  const t0 = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: 64 }, async () => {
      const buf = Buffer.allocUnsafe(65536);
      while (next < offsets.length) {
        const off = offsets[next++];
        const s = process.hrtime.bigint();
        if ((await cache.readInto(obj, off, buf)) !== 65536) throw new Error('short random read');
        latencies.push(Number(process.hrtime.bigint() - s) / 1e6);
      }
    }),
  );
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  latencies.sort((a, b) => a - b);
  const q = (p) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))].toFixed(1);
  return { reads: offsets.length, p50ms: q(0.5), p99ms: q(0.99), readsPerSec: Math.round(offsets.length / secs), MBps: Math.round((offsets.length * 65536) / 1e6 / secs) };
}
