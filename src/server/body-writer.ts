// Writes a response body from a stream while honouring a fault plan (cut, stall, throttle) and
// backpressure, and counts the bytes that actually reached the socket.
import type { ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import type { FaultPlan } from './faults.js';

export interface BodyJob {
  res: ServerResponse;
  source: Readable;
  /** Body length announced in Content-Length. */
  total: number;
  plan: FaultPlan;
  /** Called with the size of every chunk the socket accepted. */
  onBytes(n: number): void;
}

export function writeBody(job: BodyJob): void {
  const { res, source, total, plan, onBytes } = job;
  const cutAt = plan.cut ? Math.floor(total * plan.cut.at) : Infinity;
  const stallAt = plan.stall && plan.stall.at !== 'before' ? Math.floor(total * plan.stall.at) : Infinity;
  const bps = plan.bytesPerSecond;
  const started = Date.now();
  let sent = 0;
  let holds = 0; // reasons the source is paused: backpressure, stall, throttle
  let stalled = false;
  let waits = 0; // stall or throttle timers that must run before the body may end
  let ended = false;
  let finished = false;
  const timers = new Set<NodeJS.Timeout>();

  const hold = (): void => {
    if (holds++ === 0) source.pause();
  };
  const release = (): void => {
    if (--holds === 0 && !finished) source.resume();
  };
  const after = (ms: number, fn: () => void): void => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      fn();
    }, ms);
    timers.add(timer);
  };
  const counted = (n: number) => (err?: Error | null) => {
    if (!err) onBytes(n);
  };
  const write = (chunk: Buffer): void => {
    if (chunk.length === 0) return;
    sent += chunk.length;
    if (!res.write(chunk, counted(chunk.length))) {
      hold();
      res.once('drain', release);
    }
  };
  const stop = (): void => {
    finished = true;
    for (const t of timers) clearTimeout(t);
    timers.clear();
    source.destroy();
  };

  source.on('data', (chunk: Buffer) => {
    if (finished) return;
    if (sent + chunk.length >= cutAt) {
      write(chunk.subarray(0, cutAt - sent));
      stop();
      const socket = res.socket;
      if (plan.cut!.kind === 'reset') socket?.resetAndDestroy();
      else socket?.end(); // a body shorter than its Content-Length, then EOF
      return;
    }
    if (!stalled && sent + chunk.length > stallAt) {
      stalled = true;
      const rest = chunk.subarray(stallAt - sent);
      write(chunk.subarray(0, stallAt - sent));
      waits++;
      hold();
      after(plan.stall!.ms, () => {
        waits--;
        if (finished) return;
        write(rest);
        release();
        endIfDone();
      });
      return;
    }
    write(chunk);
    if (bps) {
      const due = started + (sent / bps) * 1000;
      const wait = due - Date.now();
      if (wait > 1) {
        waits++;
        hold();
        after(wait, () => {
          waits--;
          release();
          endIfDone();
        });
      }
    }
  });
  const endIfDone = (): void => {
    if (!ended || waits > 0 || finished) return;
    finished = true;
    res.end();
  };
  source.once('end', () => {
    ended = true;
    endIfDone();
  });
  source.once('error', () => {
    stop();
    res.destroy();
  });
  res.once('close', () => {
    if (!res.writableFinished) stop();
  });
}
