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
  new BodyWriter(job).start();
}

class BodyWriter {
  private readonly startedAt = Date.now();
  /** Byte offset where the plan cuts the body (Infinity: never). */
  private readonly cutAt: number;
  /** Byte offset where the plan stalls the body; Infinity once the stall has happened, or never. */
  private stallAt: number;
  private sent = 0;
  /** Reasons the source is paused (socket backpressure, a stall, throttling); it resumes when none is left. */
  private pauses = 0;
  /** Stall and throttle delays still running: the body ends only after them. */
  private readonly delays = new Set<NodeJS.Timeout>();
  private sourceEnded = false;
  /** Ended, cut, or abandoned: nothing more is written. */
  private finished = false;

  constructor(private readonly job: BodyJob) {
    const { total, plan } = job;
    this.cutAt = plan.cut ? Math.floor(total * plan.cut.at) : Infinity;
    this.stallAt = plan.stall && plan.stall.at !== 'before' ? Math.floor(total * plan.stall.at) : Infinity;
  }

  start(): void {
    const { source, res } = this.job;
    source.on('data', (chunk: Buffer) => this.onChunk(chunk));
    source.once('end', () => {
      this.sourceEnded = true;
      this.endIfDone();
    });
    source.once('error', () => {
      this.stop();
      res.destroy();
    });
    res.once('close', () => {
      if (!res.writableFinished) this.stop();
    });
  }

  private onChunk(chunk: Buffer): void {
    if (this.finished) return;
    if (this.sent + chunk.length >= this.cutAt) this.cut(chunk);
    else if (this.sent + chunk.length > this.stallAt) this.stall(chunk);
    else {
      this.write(chunk);
      this.throttle();
    }
  }

  /** Writes the bytes before the cut, then ends the connection: EOF short of Content-Length, or a reset. */
  private cut(chunk: Buffer): void {
    this.write(chunk.subarray(0, this.cutAt - this.sent));
    this.stop();
    const socket = this.job.res.socket;
    if (this.job.plan.cut!.kind === 'reset') socket?.resetAndDestroy();
    else socket?.end();
  }

  /** Writes the bytes before the stall, and the rest of the chunk once the stall is over. */
  private stall(chunk: Buffer): void {
    const head = this.stallAt - this.sent;
    this.stallAt = Infinity;
    this.write(chunk.subarray(0, head));
    this.pauseFor(this.job.plan.stall!.ms, () => this.write(chunk.subarray(head)));
  }

  /** Pauses the source until the bytes sent so far are due at the plan's rate. */
  private throttle(): void {
    const bps = this.job.plan.bytesPerSecond;
    if (!bps) return;
    const wait = this.startedAt + (this.sent / bps) * 1000 - Date.now();
    if (wait > 1) this.pauseFor(wait, () => undefined);
  }

  private pauseFor(ms: number, then: () => void): void {
    this.pause();
    const timer = setTimeout(() => {
      this.delays.delete(timer);
      if (this.finished) return;
      then();
      this.resume();
      this.endIfDone();
    }, ms);
    this.delays.add(timer);
  }

  private write(chunk: Buffer): void {
    if (chunk.length === 0) return;
    const { res, onBytes } = this.job;
    this.sent += chunk.length;
    const accepted = res.write(chunk, (err) => {
      if (!err) onBytes(chunk.length);
    });
    if (!accepted) {
      this.pause();
      res.once('drain', () => this.resume());
    }
  }

  private pause(): void {
    if (this.pauses++ === 0) this.job.source.pause();
  }

  private resume(): void {
    if (--this.pauses === 0 && !this.finished) this.job.source.resume();
  }

  private endIfDone(): void {
    if (!this.sourceEnded || this.delays.size > 0 || this.finished) return;
    this.finished = true;
    this.job.res.end();
  }

  /** Abandons the body: no more writes, delays cancelled, the source closed. */
  private stop(): void {
    this.finished = true;
    for (const t of this.delays) clearTimeout(t);
    this.delays.clear();
    this.job.source.destroy();
  }
}
