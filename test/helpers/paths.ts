// Paths every test helper needs: the repository root and the compiled CLI.
import { fileURLToPath } from 'node:url';
import path from 'node:path';

/** The repository root (tests run from build/test/...). */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const scorefsBin = path.join(repoRoot, 'bin', 'scorefs');
/** The command words that run the CLI of this checkout; an installed `scorefs` is just its path. */
export const checkoutScorefs: readonly string[] = [process.execPath, scorefsBin];
