#!/usr/bin/env node
// Read-engine benchmark (ScoreRangeSource + BlockCache) against `scorefs serve` on 127.0.0.1, each
// figure next to its baseline measured in the same run:
//   cold sequential read through a stream (1 MiB reads)  vs  a plain undici GET of the external URL
//     (with the CPU seconds per GiB of each: the machine's cores are shared with the server; the
//     engine's also until its background MD5 checks are done, the object's checksums known as in a mount)
//   warm read from the disk tier (a new cache over it)    vs  fs reads (1 MiB) of the local file
//   64 concurrent random 64 KiB reads, cold and warm: latency p50/p99, throughput
//   peak RSS of each engine phase, each run in a process of its own (as the mount daemon is).
// Usage: npm run build && node scripts/bench-engine.mjs [FILE]   (default: a fresh 1 GiB random file)
// Env: RUNS (default 2) sequential runs per pair, RANDOM_READS (default 2000), MEMORY_MIB (memory tier
// size for the cold and random runs; default the cache's 64 MiB), SCOREFS_BUILD (the compiled engine to
// measure, default this checkout's build/: scripts/bench-ab.sh points it at other revisions; the server
// is always this checkout's).
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { link, copyFile, mkdir, mkdtemp, open, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execFileSync } from 'node:child_process';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const build = path.resolve(process.env.SCOREFS_BUILD ?? path.join(repo, 'build'));
const { BlockCache } = await import(path.join(build, 'src/cache/block-cache.js'));
const { ScoreClient } = await import(path.join(build, 'src/score/client.js'));
const { CLIENT_DEFAULTS } = await import(path.join(build, 'src/score/config.js'));

const MiB = 1024 * 1024;
const RUNS = Number(process.env.RUNS ?? 2);
const RANDOM_READS = Number(process.env.RANDOM_READS ?? 2000);
const memoryOption = process.env.MEMORY_MIB ? { memoryBytes: Number(process.env.MEMORY_MIB) * MiB } : {};

// Each engine phase runs in a child process of its own (this script, BENCH_ENGINE_PHASE set), so
// that its peak RSS is that of one cache at work, as in a mount daemon.
if (process.env.BENCH_ENGINE_PHASE) {
  const spec = JSON.parse(process.env.BENCH_ENGINE_PHASE);
  const client = new ScoreClient({ ...CLIENT_DEFAULTS, storageUrl: spec.url, metadataUrl: spec.url });
  // With the checksums a mount's first open learns, so that the cache's MD5 checks run as in a mount.
  const listed = (await client.fetchCatalog()).files[0];
  const obj = { ...listed, ...(await client.describe(listed)) };
  const result = await runPhase(spec, client, obj);
  await client.close();
  process.stdout.write(JSON.stringify({ ...result, maxRssMiB: Math.round(process.resourceUsage().maxRSS / 1024) }));
  process.exit(0);
}

async function runPhase(spec, client, obj) {
  if (spec.phase === 'cold') {
    const c0 = process.cpuUsage();
    const cache = await BlockCache.open({ dir: spec.dir, source: client.source, minFreeBytes: 0, ...memoryOption });
    const cold = await measure(obj.size, () => readThroughStream(cache, obj));
    // The part/object MD5 checks run in the background; let them finish (a mount would) before closing.
    const t0 = Date.now();
    const blocks = Math.ceil(obj.size / MiB);
    const settled = () => cache.stats().diskBlocks + cache.stats().diskWritesSkipped >= blocks;
    while ((!settled() || (cache.stats().objectsVerified === 0 && cache.stats().diskWritesSkipped === 0)) && Date.now() - t0 < 120_000) {
      await new Promise((r) => setTimeout(r, 50));
    }
    const skippedWrites = cache.stats().diskWritesSkipped;
    const verified = cache.stats().objectsVerified;
    await cache.close();
    // All CPU of the cold read and its MD5 checks (the worker's too), until the cache is idle.
    const c = process.cpuUsage(c0);
    const idleCpuSecPerGiB = +(((c.user + c.system) / 1e6) * (2 ** 30 / obj.size)).toFixed(2);
    return { ...cold, idleCpuSecPerGiB, verified, skippedWrites, verifyLagMs: Date.now() - t0 };
  }
  if (spec.phase === 'warm') {
    // A new process's cache (empty memory tier, default settings) over the filled disk tier.
    const cache = await BlockCache.open({ dir: spec.dir, source: client.source, minFreeBytes: 0 });
    const warm = await measure(obj.size, () => readThroughStream(cache, obj));
    const networkBytes = cache.stats().bytesFromNetwork;
    await cache.close();
    return { ...warm, networkBytes };
  }
  // Random reads: cold (fresh cache) then warm (the same offsets again, memory tier on).
  const offsets = Array.from({ length: RANDOM_READS }, () => Math.floor(Math.random() * (obj.size - 65536)));
  const cache = await BlockCache.open({ dir: spec.dir, source: client.source, minFreeBytes: 0, ...memoryOption });
  const cold = await randomReads(cache, obj, offsets);
  const warm = await randomReads(cache, obj, offsets);
  const networkMiB = Math.round(cache.stats().networkBytes / MiB);
  await cache.close();
  return { cold, warm, networkMiB };
}

async function phase(spec) {
  const out = execFileSync(process.execPath, [fileURLToPath(import.meta.url)], {
    encoding: 'utf8',
    env: { ...process.env, BENCH_ENGINE_PHASE: JSON.stringify(spec) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return JSON.parse(out);
}

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
  // Every wait has a deadline: a server that neither listens nor exits in 120 s is reported.
  let deadline;
  const url = await new Promise((resolve, reject) => {
    deadline = setTimeout(() => reject(new Error('scorefs serve did not say "listening on" within 120 s')), 120_000);
    let out = '';
    server.stdout.on('data', (d) => {
      out += d;
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1].replace(/\/$/, ''));
    });
    server.once('exit', (code) => reject(new Error(`scorefs serve exited ${code}`)));
  }).finally(() => clearTimeout(deadline));
  server.stdout.resume();

  const client = new ScoreClient({ ...CLIENT_DEFAULTS, storageUrl: url, metadataUrl: url });
  const catalog = await client.fetchCatalog(); // also makes the server hash the file once
  const obj = catalog.files[0];
  const external = await client.urls.get({ id: obj.id, studyId: obj.studyId });

  const results = {
    coldEngine: [],
    coldBaseline: [],
    coldEngineCpuSecPerGiB: [],
    coldIdleCpuSecPerGiB: [],
    coldBaselineCpuSecPerGiB: [],
    warmEngine: [],
    warmEngineCpuSecPerGiB: [],
    warmBaseline: [],
    peakRssMiB: {},
  };
  const notePeak = (phase, r) => (results.peakRssMiB[phase] = Math.max(results.peakRssMiB[phase] ?? 0, r.maxRssMiB));
  for (let run = 1; run <= RUNS; run++) {
    const baseline = await undiciDownload(external, size);
    results.coldBaseline.push(baseline.mbps);
    results.coldBaselineCpuSecPerGiB.push(baseline.cpuSecPerGiB);
    const dir = path.join(work, `cache-${run}`);
    const cold = await phase({ phase: 'cold', url, dir });
    results.coldEngine.push(cold.mbps);
    results.coldEngineCpuSecPerGiB.push(cold.cpuSecPerGiB);
    results.coldIdleCpuSecPerGiB.push(cold.idleCpuSecPerGiB);
    if (!cold.verified) log(`run ${run}: the object's MD5 was not checked within 120 s`);
    results.skippedWrites = (results.skippedWrites ?? []).concat(cold.skippedWrites);
    results.verifyLagMs = (results.verifyLagMs ?? []).concat(cold.verifyLagMs);
    notePeak('cold', cold);
    const warm = await phase({ phase: 'warm', url, dir });
    results.warmEngine.push(warm.mbps);
    results.warmEngineCpuSecPerGiB.push(warm.cpuSecPerGiB);
    notePeak('warm', warm);
    results.warmBaseline.push((await measure(size, () => readLocal(file))).mbps);
    log(
      `run ${run}: cold engine ${cold.mbps} MB/s vs undici ${baseline.mbps} MB/s; ` +
        `warm engine ${warm.mbps} MB/s (network bytes ${warm.networkBytes}) vs fs.read ${last(results.warmBaseline)} MB/s`,
    );
    if (run < RUNS) await rm(dir, { recursive: true, force: true });
  }
  const random = await phase({ phase: 'random', url, dir: path.join(work, 'cache-random') });
  notePeak('random', random);

  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const summary = {
    date: new Date().toISOString().slice(0, 10),
    load: os.loadavg()[0].toFixed(1),
    sizeMiB: Math.round(size / MiB),
    ...results,
    coldRatio: (median(results.coldEngine) / median(results.coldBaseline)).toFixed(2),
    warmRatio: (median(results.warmEngine) / median(results.warmBaseline)).toFixed(2),
    randomCold: random.cold,
    randomWarm: random.warm,
    randomNetworkMiB: random.networkMiB,
    memoryTierMiB: Number(process.env.MEMORY_MIB ?? 64),
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

// MB/s of fn, and this process's CPU seconds per GiB for it (all threads).
async function measure(bytes, fn) {
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const got = await fn();
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  const c = process.cpuUsage(c0);
  if (got !== bytes) throw new Error(`read ${got} bytes, expected ${bytes}`);
  return { mbps: Math.round(bytes / 1e6 / s), cpuSecPerGiB: +(((c.user + c.system) / 1e6) * (2 ** 30 / bytes)).toFixed(2) };
}

// The baseline runs in a child process too.
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
