// Reference sequences from SAM header text: the @SQ lines, in order (their position is the tid).
import { ProtocolError } from '../errors.js';
import type { Contig } from './region.js';

export function contigsFromSamText(text: string): Contig[] {
  const contigs: Contig[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('@SQ\t')) continue;
    const fields = new Map(line.split('\t').slice(1).map((f) => [f.slice(0, 2), f.slice(3)] as const));
    const name = fields.get('SN');
    const length = Number(fields.get('LN'));
    if (!name || !Number.isSafeInteger(length)) throw new ProtocolError(`malformed @SQ line: ${line.slice(0, 200)}`);
    contigs.push({ name, length });
  }
  return contigs;
}
