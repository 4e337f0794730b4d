// Where this installation of scorefs lives (from build/src/service/ up to the repository root): the
// paths a systemd unit or the fstab helper must name absolutely.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../../..');

export const installation = {
  scorefsBin: path.join(root, 'bin', 'scorefs'),
  /** The compiled entry point of the fstab helpers (`node helper-main.js mount|umount …`). */
  helperMain: path.join(here, 'helper-main.js'),
  docs: path.join(root, 'docs', 'systemd-and-fstab.md'),
} as const;
