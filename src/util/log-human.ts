// Human-readable log lines for a terminal: "12:34:56 WARN  cache: message key=value".
import type { Writable } from 'node:stream';

const OMIT = new Set(['level', 'time', 'pid', 'hostname', 'module', 'msg']);

export function humanLine(json: string): string {
  let rec: Record<string, unknown>;
  try {
    rec = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json;
  }
  const time = typeof rec.time === 'number' ? new Date(rec.time).toISOString().slice(11, 19) : '';
  const level = String(rec.level ?? '').toUpperCase().padEnd(5);
  const module = rec.module ? `${String(rec.module)}: ` : '';
  const extra = Object.entries(rec)
    .filter(([k]) => !OMIT.has(k))
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
  return `${time} ${level} ${module}${String(rec.msg ?? '')}${extra ? ` ${extra}` : ''}\n`;
}

/** A pino destination that prints each JSON line as a human line on `out`. */
export function humanDestination(out: Writable): { write(line: string): void } {
  return { write: (line: string) => void out.write(humanLine(line.trimEnd())) };
}
