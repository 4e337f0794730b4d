// A one-line progress bar for long transfers (`scorefs download`, `scorefs cache warm`): bytes, rate
// and ETA, redrawn in place with \r on a terminal, then a summary line; on a pipe or a file it only
// passes notes through.

const REDRAW_MS = 250;
const BAR_WIDTH = 24;
/** The rate is averaged over this window, so a stall shows up within seconds. */
const RATE_WINDOW_MS = 5000;

export interface ProgressOptions {
  /** Bytes expected in all (0 = unknown). */
  total: number;
  /** Bytes already there before this run (resumed, cached): counted as done, not in the rate. */
  initial?: number;
  /** Shown before the bar, e.g. "download". */
  label: string;
  stream?: NodeJS.WriteStream;
  /** Default: whether the stream is a TTY. */
  live?: boolean;
}

export class ProgressBar {
  private done: number;
  private readonly startedAt = Date.now();
  private readonly samples: Array<{ at: number; done: number }> = [];
  private readonly timer: NodeJS.Timeout | undefined;
  private readonly stream: NodeJS.WriteStream;
  private readonly live: boolean;
  private drawn = false;
  private finished = false;

  constructor(private readonly opts: ProgressOptions) {
    this.done = opts.initial ?? 0;
    this.stream = opts.stream ?? process.stderr;
    this.live = opts.live ?? this.stream.isTTY === true;
    this.samples.push({ at: this.startedAt, done: this.done });
    if (this.live) {
      this.timer = setInterval(() => this.draw(), REDRAW_MS);
      this.timer.unref();
    }
  }

  /** Counts `bytes` more as done. */
  add(bytes: number): void {
    this.done += bytes;
  }

  /** Writes a line above the bar (a skipped file, a warning) without garbling it. */
  note(line: string): void {
    if (this.live && this.drawn) this.stream.write('\r\x1b[2K');
    this.stream.write(`${line}\n`);
    if (this.live && !this.finished) this.draw();
  }

  /** Replaces the bar by a summary line (on a terminal; elsewhere the caller reports). */
  finish(): void {
    if (this.finished) return;
    this.finished = true;
    if (this.timer) clearInterval(this.timer);
    if (!this.live) return;
    if (this.drawn) this.stream.write('\r\x1b[2K');
    this.stream.write(`${this.summary()}\n`);
  }

  /** "1.2 GiB in 34 s (36.1 MiB/s)" for the bytes moved in this run. */
  summary(): string {
    const seconds = Math.max(0.001, (Date.now() - this.startedAt) / 1000);
    const moved = this.done - (this.opts.initial ?? 0);
    return `${this.opts.label}: ${formatBytes(moved)} in ${formatDuration(seconds)} (${formatBytes(moved / seconds)}/s)`;
  }

  private draw(): void {
    const now = Date.now();
    this.samples.push({ at: now, done: this.done });
    while (this.samples.length > 2 && now - this.samples[0]!.at > RATE_WINDOW_MS) this.samples.shift();
    const first = this.samples[0]!;
    const rate = now > first.at ? ((this.done - first.done) * 1000) / (now - first.at) : 0;
    const { total } = this.opts;
    let line = `${this.opts.label} `;
    if (total > 0) {
      const share = Math.min(1, this.done / total);
      const filled = Math.round(share * BAR_WIDTH);
      line += `[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}] ${(share * 100).toFixed(0).padStart(3)}% `;
      line += `${formatBytes(this.done)}/${formatBytes(total)}`;
    } else {
      line += formatBytes(this.done);
    }
    line += `  ${formatBytes(rate)}/s`;
    if (total > 0 && rate > 0 && this.done < total) line += `  ETA ${formatDuration((total - this.done) / rate)}`;
    const width = this.stream.columns || 100;
    this.stream.write(`\r\x1b[2K${line.slice(0, width - 1)}`);
    this.drawn = true;
  }
}

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

/** 1536 → "1.5 KiB". */
export function formatBytes(n: number): string {
  let v = Math.max(0, n);
  let u = 0;
  while (v >= 1024 && u < UNITS.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${Math.round(v)} B` : `${v.toFixed(v < 10 ? 2 : 1)} ${UNITS[u]}`;
}

/** 75 → "1m15s". */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  if (seconds < 10) return `${seconds.toFixed(1)} s`;
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}
