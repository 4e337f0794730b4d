// A stats object (flat or nested, as /.scorefs/stats.json holds it) in the Prometheus text exposition
// format 0.0.4: one `scorefs_<path_in_snake_case>` sample per number, with HELP and TYPE lines.
// Counters (cumulative) get the `_total` suffix; everything else is a gauge.

export type MetricKind = 'counter' | 'gauge';

export interface RenderOptions {
  /** Metric name prefix; default "scorefs". */
  prefix?: string;
  /** HELP text by metric base name (without prefix and _total), e.g. { cache_disk_bytes: '…' }. */
  help?: Readonly<Record<string, string>>;
  /** Kind by metric base name, overriding the name-based guess. */
  kinds?: Readonly<Record<string, MetricKind>>;
}

/** Base names ending like this count events or bytes moved since start: counters. */
const COUNTER_NAME =
  /(^|_)(bytes_(read|from_[a-z]+|fetched|sent)|requests|retries|refreshes|errors|failures|evictions|verified|skipped|removed|missing_blocks|network_bytes|prefetch_bytes|total)$/;

interface Sample {
  name: string;
  kind: MetricKind;
  labels: string;
  value: number;
}

/** The Prometheus text of `stats`. Arrays, nulls and non-finite numbers are left out. */
export function renderPrometheus(stats: object, opts: RenderOptions = {}): string {
  const prefix = opts.prefix ?? 'scorefs';
  const samples: Sample[] = [];
  collect(stats, [], samples, opts);
  const byName = new Map<string, Sample[]>();
  for (const s of samples) {
    const list = byName.get(s.name);
    if (list) list.push(s);
    else byName.set(s.name, [s]);
  }
  const lines: string[] = [];
  for (const [base, list] of byName) {
    const kind = list[0]!.kind;
    const name = `${prefix}_${base}${kind === 'counter' && !base.endsWith('_total') ? '_total' : ''}`;
    lines.push(`# HELP ${name} ${escapeHelp(opts.help?.[base] ?? base.replace(/_/g, ' '))}`);
    lines.push(`# TYPE ${name} ${kind}`);
    for (const s of list) lines.push(`${name}${s.labels} ${formatValue(s.value)}`);
  }
  return lines.length ? `${lines.join('\n')}\n` : '';
}

function collect(value: unknown, path: string[], out: Sample[], opts: RenderOptions): void {
  if (value === null || value === undefined || Array.isArray(value)) return;
  const base = path.join('_');
  if (typeof value === 'object') {
    for (const [key, child] of Object.entries(value as Record<string, unknown>)) collect(child, [...path, snake(key)], out, opts);
    return;
  }
  if (!base) return;
  const kind = (b: string): MetricKind => opts.kinds?.[b] ?? (COUNTER_NAME.test(b) ? 'counter' : 'gauge');
  if (typeof value === 'number') {
    if (Number.isFinite(value)) out.push({ name: base, kind: kind(base), labels: '', value });
  } else if (typeof value === 'boolean') {
    out.push({ name: base, kind: 'gauge', labels: '', value: value ? 1 : 0 });
  } else if (typeof value === 'string') {
    // An ISO time becomes a timestamp gauge; any other string an info-style gauge with the value as label.
    const at = /^\d{4}-\d\d-\d\dT/.test(value) ? Date.parse(value) : NaN;
    if (Number.isFinite(at)) out.push({ name: `${base}_timestamp_seconds`, kind: 'gauge', labels: '', value: at / 1000 });
    else out.push({ name: base, kind: 'gauge', labels: `{${path[path.length - 1]}="${escapeLabel(value)}"}`, value: 1 });
  }
}

/** "bytesFromDisk" → "bytes_from_disk"; anything outside [a-zA-Z0-9_] becomes "_". */
export function snake(key: string): string {
  return key
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/[^A-Za-z0-9_]+/g, '_')
    .replace(/^(\d)/, '_$1')
    .toLowerCase();
}

function formatValue(v: number): string {
  return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(15)));
}

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function escapeHelp(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}
