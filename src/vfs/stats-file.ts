// /.scorefs/stats.json: live counters, generated on every stat and open.
//
// The kernel caches attributes (attr_timeout is global and long, for the immutable objects), so a
// size that changed between two `cat`s would cut the second one short. The document is therefore
// rendered with every scalar right-aligned in a fixed-width column: its length depends only on its
// keys, which do not change while mounted, so the size stays right. The mtime changes with every
// generation, which makes the FUSE layer (auto_cache) drop the cached pages at the next open.
import type { FileHandle, FileNode, NodeStat } from './node.js';

export type StatsProvider = () => Record<string, unknown>;

const SCALAR_WIDTH = 16;

export class StatsFile implements FileNode {
  readonly kind = 'file';
  private lastMtimeMs = 0;

  constructor(private readonly provider: StatsProvider) {}

  async stat(): Promise<NodeStat> {
    return { kind: 'file', size: this.render().length, mtimeMs: this.nextMtime() };
  }

  async open(): Promise<FileHandle> {
    const content = this.render();
    return {
      read: async (offset, length) => content.subarray(Math.min(offset, content.length), Math.min(offset + length, content.length)),
      release: () => undefined,
    };
  }

  private render(): Buffer {
    return Buffer.from(renderFixedWidthJson(this.provider()) + '\n');
  }

  /** Strictly increasing, so two generations in one millisecond still differ. */
  private nextMtime(): number {
    this.lastMtimeMs = Math.max(Date.now(), this.lastMtimeMs + 1);
    return this.lastMtimeMs;
  }
}

/** Pretty JSON whose scalars are padded to a fixed width (JSON allows the whitespace). */
export function renderFixedWidthJson(value: unknown, indent = ''): string {
  if (value === null || typeof value !== 'object') return scalar(value);
  const inner = indent + '  ';
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return `[\n${value.map((v) => inner + renderFixedWidthJson(v, inner)).join(',\n')}\n${indent}]`;
  }
  const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined && typeof v !== 'function');
  if (entries.length === 0) return '{}';
  const keyWidth = Math.max(...entries.map(([k]) => JSON.stringify(k).length + 1));
  const lines = entries.map(([k, v]) => `${inner}${(JSON.stringify(k) + ':').padEnd(keyWidth)} ${renderFixedWidthJson(v, inner)}`);
  return `{\n${lines.join(',\n')}\n${indent}}`;
}

function scalar(value: unknown): string {
  const text = JSON.stringify(typeof value === 'bigint' ? Number(value) : value) ?? 'null';
  return text.padStart(SCALAR_WIDTH);
}
