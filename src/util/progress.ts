// A one-line progress bar for long transfers (`scorefs download`, `scorefs cache warm`): bytes, rate
// and ETA, drawn by cli-progress on a terminal (notes go above it), then a summary line; on a pipe or
// a file it only passes notes through.
import { MultiBar, type SingleBar } from 'cli-progress';

const REDRAW_FPS = 4;
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
}

/** What the bar's format shows besides cli-progress's own tokens. */
interface Payload {
  label: string;
  rate: string;
  /** "  ETA 1m15s", or empty while the rate is 0 or the transfer is done. */
  remaining: string;
}

export class ProgressBar {
  private done: number;
  private readonly startedAt = Date.now();
  private readonly samples: Array<{ at: number; done: number }> = [];
  private readonly stream: NodeJS.WriteStream;
  /** On a terminal only. */
  private readonly bars: MultiBar | undefined;
  private readonly bar: SingleBar | undefined;
  private finished = false;

  constructor(private readonly opts: ProgressOptions) {
    this.done = opts.initial ?? 0;
    this.stream = opts.stream ?? process.stderr;
    this.samples.push({ at: this.startedAt, done: this.done });
    if (this.stream.isTTY !== true) return;
    this.bars = new MultiBar({
      stream: this.stream,
      format: opts.total > 0 ? '{label} [{bar}] {percentage}% {value}/{total}  {rate}/s{remaining}' : '{label} {value}  {rate}/s',
      formatValue: (v, _options, type) => (type === 'value' || type === 'total' ? formatBytes(v) : String(v)),
      barsize: BAR_WIDTH,
      barCompleteChar: '#',
      barIncompleteChar: '.',
      fps: REDRAW_FPS,
      clearOnComplete: true,
    });
    this.bar = this.bars.create(opts.total, this.done, this.payload());
    // Before every redraw: the bytes done so far, and the rate over the last seconds.
    this.bars.on('update-pre', () => this.bar!.update(this.done, this.payload()));
  }

  /** Counts `bytes` more as done. */
  add(bytes: number): void {
    this.done += bytes;
  }

  /** Writes a line above the bar (a skipped file, a warning) without garbling it. */
  note(line: string): void {
    if (this.bars && !this.finished) this.bars.log(`${line}\n`);
    else this.stream.write(`${line}\n`);
  }

  /** Replaces the bar by a summary line (on a terminal; elsewhere the caller reports). */
  finish(): void {
    if (this.finished) return;
    this.finished = true;
    if (!this.bars) return;
    this.bars.update(); // shows the notes not yet drawn
    this.bars.stop();
    this.stream.write(`${this.summary()}\n`);
  }

  /** "1.2 GiB in 34 s (36.1 MiB/s)" for the bytes moved in this run. */
  summary(): string {
    const seconds = Math.max(0.001, (Date.now() - this.startedAt) / 1000);
    const moved = this.done - (this.opts.initial ?? 0);
    return `${this.opts.label}: ${formatBytes(moved)} in ${formatDuration(seconds)} (${formatBytes(moved / seconds)}/s)`;
  }

  private payload(): Payload {
    const now = Date.now();
    this.samples.push({ at: now, done: this.done });
    while (this.samples.length > 2 && now - this.samples[0]!.at > RATE_WINDOW_MS) this.samples.shift();
    const first = this.samples[0]!;
    const rate = now > first.at ? ((this.done - first.done) * 1000) / (now - first.at) : 0;
    const { total } = this.opts;
    const remaining = total > 0 && rate > 0 && this.done < total ? `  ETA ${formatDuration((total - this.done) / rate)}` : '';
    return { label: this.opts.label, rate: formatBytes(rate), remaining };
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
