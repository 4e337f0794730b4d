#!/usr/bin/env node
// What receiving object bytes costs the daemon's main thread, per transport of src/score/http.ts:
// DirectHttp (plain http://: the kernel reads each body straight into its segment) against undici (what
// https:// object stores get), next to curl's rate from the same origin as the network's limit. Each
// transport fetches the whole object as the block cache does: 4 MiB range GETs on 15 connections at
// once, received into 1 MiB segments taken from and returned to a pool. Each run is a child process of
// its own (a fresh V8); rounds interleave curl, direct and undici. Prints MB/s and the child's CPU
// seconds per GiB (user and system), then the medians.
// Usage: npx tsc -p . && node scripts/bench-receive.mjs URL [ROUNDS]   (default 3 rounds)
//   URL: any object on a server that answers ranged GETs, e.g. the bench BAM on nginx from tmpfs as
//   scripts/bench-ceiling.sh serves it.
import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const MiB = 1024 * 1024;
const GET_BYTES = 4 * MiB;
const SEGMENT_BYTES = MiB;
const CONNECTIONS = 15;

if (process.argv[2] === '--child') {
  const [, , , transport, url, size] = process.argv;
  process.stdout.write(JSON.stringify(await receive(transport === 'direct', url, Number(size))) + '\n');
  process.exit(0);
}

const [url, roundsArg] = process.argv.slice(2);
if (!url || !url.startsWith('http://')) {
  process.stderr.write('usage: node scripts/bench-receive.mjs http://HOST:PORT/OBJECT [ROUNDS]\n');
  process.exit(2);
}
const rounds = Number(roundsArg ?? 3);
const size = Number(/content-length:\s*(\d+)/i.exec(execFileSync('curl', ['-sfI', url], { encoding: 'utf8' }))[1]);
const rows = { curl: [], direct: [], undici: [] };
for (let r = 1; r <= rounds; r++) {
  const curl = execFileSync('curl', ['-sf', '-o', '/dev/null', '-w', '%{speed_download}', url], { encoding: 'utf8' });
  rows.curl.push({ mbps: Number(curl) / 1e6 });
  for (const transport of r % 2 ? ['direct', 'undici'] : ['undici', 'direct']) {
    const child = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child', transport, url, String(size)], { encoding: 'utf8' });
    if (child.status !== 0) throw new Error(`${transport} run failed: ${child.stderr}`);
    rows[transport].push(JSON.parse(child.stdout));
  }
  process.stdout.write(`round ${r}: ${Object.entries(rows).map(([k, v]) => `${k} ${fmt(v.at(-1))}`).join(' | ')}\n`);
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
process.stdout.write(`\nmedians of ${rounds} (${(size / 2 ** 30).toFixed(2)} GiB from ${new URL(url).origin}):\n`);
for (const [name, runs] of Object.entries(rows)) {
  const m = Object.fromEntries(Object.keys(runs[0]).map((k) => [k, median(runs.map((x) => x[k]))]));
  process.stdout.write(`  ${name.padEnd(7)} ${fmt(m)}\n`);
}

function fmt(x) {
  const cpu = x.user !== undefined ? `, CPU s/GiB ${(x.user + x.system).toFixed(2)} (user ${x.user.toFixed(2)}, system ${x.system.toFixed(2)})` : '';
  return `${Math.round(x.mbps)} MB/s${cpu}`;
}

async function receive(direct, url, size) {
  const { HttpClient } = await import(path.join(repo, 'build/src/score/http.js'));
  const http = new HttpClient({ connections: CONNECTIONS + 1, stallTimeoutMs: 30_000, direct });
  const pool = [];
  const acquire = (n) => (pool.pop() ?? Buffer.allocUnsafeSlow(SEGMENT_BYTES)).subarray(0, n);
  let next = 0;
  const worker = async () => {
    while (next < size) {
      const offset = next;
      next += GET_BYTES;
      const end = Math.min(size, offset + GET_BYTES);
      const res = await http.getSegmented(url, { headers: { range: `bytes=${offset}-${end - 1}` }, maxBytes: end - offset, segmentBytes: SEGMENT_BYTES, allocate: acquire });
      if (res.status !== 206 || res.length !== end - offset) throw new Error(`bytes ${offset}-${end - 1}: HTTP ${res.status}, ${res.length} bytes`);
      for (const s of res.segments) pool.push(Buffer.from(s.buffer, s.byteOffset, SEGMENT_BYTES));
    }
  };
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(Array.from({ length: CONNECTIONS }, worker));
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  await http.close();
  const gib = size / 2 ** 30;
  return { mbps: size / seconds / 1e6, user: cpu.user / 1e6 / gib, system: cpu.system / 1e6 / gib };
}
