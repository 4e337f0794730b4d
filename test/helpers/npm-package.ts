// scorefs installed the way Node users install a CLI: `npm pack` in a copy of this checkout without
// build/ (so the tarball holds what `prepack` builds, not what happens to lie in build/), then
// `npm install -g --prefix DIR` of the tarball. Everything lives in one temporary directory.
import { cp, readdir, readFile, symlink } from 'node:fs/promises';
import path from 'node:path';
import type { ExecutionContext } from 'ava';
import { output } from './exec.js';
import { repoRoot } from './paths.js';
import { tempDir } from './tmp.js';

export interface InstalledPackage {
  tarball: string;
  /** The `--prefix` of the global install: bin/scorefs, lib/node_modules/scorefs. */
  prefix: string;
  /** PREFIX/bin/scorefs, the link npm puts on PATH. */
  scorefs: string;
  /** The version in package.json. */
  version: string;
}

/** Not copied: outputs, caches and data (node_modules is linked, for prepack's tsc). */
const NOT_COPIED = new Set(['.git', 'node_modules', 'build', '.tmp', 'data', 'bench-data']);

export async function packAndInstall(t: ExecutionContext): Promise<InstalledPackage> {
  const work = await tempDir(t, 'scorefs-npm-');
  const checkout = path.join(work, 'checkout');
  for (const entry of await readdir(repoRoot)) {
    if (!NOT_COPIED.has(entry)) await cp(path.join(repoRoot, entry), path.join(checkout, entry), { recursive: true });
  }
  await symlink(path.join(repoRoot, 'node_modules'), path.join(checkout, 'node_modules'));

  const packed = JSON.parse(await npm(['pack', '--json', '--pack-destination', work], checkout)) as Array<{ filename: string }>;
  const tarball = path.join(work, packed[0]!.filename);
  const prefix = path.join(work, 'prefix');
  await npm(['install', '--global', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', tarball], work);
  const { version } = JSON.parse(await readFile(path.join(repoRoot, 'package.json'), 'utf8')) as { version: string };
  return { tarball, prefix, scorefs: path.join(prefix, 'bin', 'scorefs'), version };
}

/** npm in `cwd`, without the npm_* settings an npm-started test run (npx, npm test) passes down. */
async function npm(args: string[], cwd: string): Promise<string> {
  const baseEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));
  return output('npm', args, { cwd, baseEnv, timeoutMs: 300_000 });
}
