#!/usr/bin/env node
// Reads FILE… concurrently, one sequential reader per file (1 MiB reads into its own buffer, awaited one
// after another), and prints JSON: aggregate MB/s (all bytes / wall time until the last reader ends),
// each reader's MB/s, and the latency of every single 1 MiB read (ms; its percentiles are
// scripts/stats.py's). Used by scripts/bench-ceiling.sh. Run with UV_THREADPOOL_SIZE ≥ the number of files (libuv's default pool
// of 4 threads would let only 4 reads be in flight).
// Usage: UV_THREADPOOL_SIZE=16 node scripts/parallel-read.mjs FILE...
import { open } from 'node:fs/promises';

const files = process.argv.slice(2);
if (files.length === 0) {
  process.stderr.write('usage: UV_THREADPOOL_SIZE=N node scripts/parallel-read.mjs FILE...\n');
  process.exit(2);
}
const MiB = 1024 * 1024;
const latencies = [];

async function readOne(file) {
  const fh = await open(file, 'r');
  const buf = Buffer.allocUnsafe(MiB);
  const t0 = process.hrtime.bigint();
  let bytes = 0;
  for (;;) {
    const r0 = process.hrtime.bigint();
    const { bytesRead } = await fh.read(buf, 0, MiB, bytes);
    latencies.push(Number(process.hrtime.bigint() - r0) / 1e6);
    if (bytesRead === 0) break;
    bytes += bytesRead;
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  await fh.close();
  return { bytes, seconds };
}

const t0 = process.hrtime.bigint();
const readers = await Promise.all(files.map(readOne));
const wall = Number(process.hrtime.bigint() - t0) / 1e9;
const total = readers.reduce((s, r) => s + r.bytes, 0);
process.stdout.write(
  JSON.stringify({
    bytes: total,
    wallSeconds: wall,
    aggregateMBps: total / wall / 1e6,
    readerMBps: readers.map((r) => r.bytes / r.seconds / 1e6),
    readLatenciesMs: latencies.map((ms) => Math.round(ms * 1000) / 1000),
  }) + '\n',
);
