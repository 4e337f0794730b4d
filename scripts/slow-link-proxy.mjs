#!/usr/bin/env node
// A loopback TCP proxy that makes a slow link of 127.0.0.1 for benchmarks: every byte is delayed by
// half the round-trip time each way, and each connection's downstream (server → client) is capped, as
// an object store or a long path caps one connection. Connections are independent, so N connections
// get up to N times the cap.
// Usage: node scripts/slow-link-proxy.mjs TARGET_PORT RTT_MS MB_PER_S → prints "listening PORT".
import net from 'node:net';

const [targetPort, rttMs, mbps] = process.argv.slice(2).map(Number);
if (!(targetPort > 0) || !(rttMs >= 0) || !(mbps > 0)) {
  process.stderr.write('usage: slow-link-proxy.mjs TARGET_PORT RTT_MS MB_PER_S\n');
  process.exit(2);
}
/** Bytes queued in the proxy beyond which the sender is paused (as a TCP window would). */
const HIGH_WATER = 4 * 1024 * 1024;

/** Forwards `from` to `to`, each chunk `delayMs` late and, with a rate, no faster than it, in order. */
function forward(from, to, delayMs, bytesPerMs) {
  const queue = []; // [due, chunk], due ascending
  let releaseAt = 0; // when the link is free for the next chunk
  let queued = 0;
  let timer;
  let ended = false;
  const drain = () => {
    timer = undefined;
    const now = performance.now();
    while (queue.length > 0 && queue[0][0] <= now) {
      const chunk = queue.shift()[1];
      queued -= chunk.length;
      if (!to.destroyed) to.write(chunk);
    }
    if (queued <= HIGH_WATER / 2 && from.isPaused()) from.resume();
    if (queue.length > 0) timer = setTimeout(drain, Math.max(1, queue[0][0] - now));
    else if (ended) to.end();
  };
  from.on('data', (chunk) => {
    const now = performance.now();
    releaseAt = bytesPerMs ? Math.max(now, releaseAt) + chunk.length / bytesPerMs : now;
    queue.push([releaseAt + delayMs, chunk]);
    queued += chunk.length;
    if (queued > HIGH_WATER) from.pause();
    timer ??= setTimeout(drain, Math.max(1, releaseAt + delayMs - now));
  });
  from.on('end', () => {
    ended = true;
    timer ??= setTimeout(drain, 0);
  });
  from.on('error', () => to.destroy());
}

const server = net.createServer((client) => {
  const upstream = net.connect(targetPort, '127.0.0.1');
  client.setNoDelay(true);
  upstream.setNoDelay(true);
  forward(client, upstream, rttMs / 2, 0);
  forward(upstream, client, rttMs / 2, (mbps * 1e6) / 1000);
  client.on('close', () => upstream.destroy());
  upstream.on('close', () => client.destroy());
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`listening ${server.address().port}\n`));
